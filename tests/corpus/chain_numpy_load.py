# slot: tsp.heuristics
# expect: rejected
# reason: np.load is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    a = np.load('/etc/passwd', allow_pickle=True)
    return distance_matrix.copy()
