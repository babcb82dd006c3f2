# slot: tsp.heuristics
# expect: rejected
# reason: np.compat is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    p = np.compat.os.getcwd()
    return distance_matrix.copy()
