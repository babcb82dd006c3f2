# slot: tsp.heuristics
# expect: rejected
# reason: '.ma' is not an attribute
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    m = np.sum(distance_matrix).ma
    return distance_matrix.copy()
