# slot: tsp.heuristics
# expect: rejected
# reason: np.core is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    a = np.core.multiarray.array([1.0])
    return distance_matrix.copy()
