# slot: tsp.heuristics
# expect: rejected
# reason: np.emath is not allowed
# class: attribute-chain
import math
import numpy as np


def heuristics(distance_matrix):
    r = np.emath.sqrt(distance_matrix)
    return distance_matrix.copy()
