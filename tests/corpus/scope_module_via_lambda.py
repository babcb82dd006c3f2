# slot: tsp.heuristics
# expect: rejected
# reason: the module 'np' may only be used
# class: scoping
import numpy as np


def heuristics(distance_matrix):
    r = (lambda: np)().ma
    return distance_matrix.copy()
