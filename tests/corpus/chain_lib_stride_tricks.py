# slot: tsp.heuristics
# expect: rejected
# reason: np.lib is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    v = np.lib.stride_tricks.as_strided(distance_matrix, (10**9, 10**9), (0, 0))
    return distance_matrix.copy()
