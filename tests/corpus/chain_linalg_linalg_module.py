# slot: tsp.heuristics
# expect: rejected
# reason: np.linalg.linalg is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    r = np.linalg.linalg.sys.modules
    return distance_matrix.copy()
