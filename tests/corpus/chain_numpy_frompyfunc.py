# slot: tsp.heuristics
# expect: rejected
# reason: np.frompyfunc is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    f = np.frompyfunc(abs, 1, 1)
    return distance_matrix.copy()
