# slot: tsp.heuristics
# expect: rejected
# reason: '.py_func' is not an attribute
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    g = rng_random.py_func
    return distance_matrix.copy()
