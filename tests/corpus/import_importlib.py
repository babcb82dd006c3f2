# slot: tsp.heuristics
# expect: rejected
# reason: import of 'importlib' is not allowed
# class: imports
import importlib
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
