# slot: tsp.heuristics
# expect: rejected
# reason: import of 'ctypes' is not allowed
# class: imports
import ctypes
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
