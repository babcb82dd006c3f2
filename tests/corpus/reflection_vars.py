# slot: tsp.heuristics
# expect: rejected
# reason: 'vars' is not allowed
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    v = vars()
    return distance_matrix.copy()
