# slot: tsp.heuristics
# expect: rejected
# reason: np.ctypeslib is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    a = np.ctypeslib.as_array(distance_matrix)
    return distance_matrix.copy()
