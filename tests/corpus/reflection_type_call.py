# slot: tsp.heuristics
# expect: rejected
# reason: 'type' is not allowed
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    t = type(distance_matrix)
    return distance_matrix.copy()
