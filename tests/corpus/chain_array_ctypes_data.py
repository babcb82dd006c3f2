# slot: tsp.heuristics
# expect: rejected
# reason: '.ctypes' is not an attribute
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    address = distance_matrix.ctypes.data
    return distance_matrix.copy()
