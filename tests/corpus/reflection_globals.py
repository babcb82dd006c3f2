# slot: tsp.heuristics
# expect: rejected
# reason: 'globals' is not allowed
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    g = globals()
    return distance_matrix.copy()
