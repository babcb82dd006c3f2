# slot: tsp.heuristics
# expect: rejected
# reason: np.testing is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    m = np.testing.overrides.sys.modules
    return distance_matrix.copy()
