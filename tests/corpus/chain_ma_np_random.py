# slot: tsp.heuristics
# expect: rejected
# reason: np.ma is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    r = np.ma.core.np.random.rand(3)
    return distance_matrix.copy()
