# slot: tsp.heuristics
# expect: rejected
# reason: '.base' is not an attribute
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    b = distance_matrix.base
    return distance_matrix.copy()
