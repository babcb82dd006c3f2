# slot: tsp.heuristics
# expect: rejected
# reason: np.matrixlib is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    r = np.matrixlib.defmatrix.sys.modules
    return distance_matrix.copy()
