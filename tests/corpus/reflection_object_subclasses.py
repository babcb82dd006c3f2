# slot: tsp.heuristics
# expect: rejected
# reason: 'object' is not allowed
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    s = object.__subclasses__()
    return distance_matrix.copy()
