# slot: tsp.heuristics
# expect: rejected
# reason: names the numpy module
# class: scoping
import numpy as np


def heuristics(distance_matrix):
    np = distance_matrix
    return np.copy()
