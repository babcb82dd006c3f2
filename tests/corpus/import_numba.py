# slot: tsp.heuristics
# expect: rejected
# reason: import of 'numba' is not allowed
# class: imports
import numba
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
