# slot: tsp.heuristics
# expect: rejected
# reason: np.linalg.lapack_lite is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    r = np.linalg.lapack_lite.dgeev
    return distance_matrix.copy()
