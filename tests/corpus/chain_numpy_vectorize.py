# slot: tsp.heuristics
# expect: rejected
# reason: np.vectorize is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    f = np.vectorize(abs)
    return distance_matrix.copy()
