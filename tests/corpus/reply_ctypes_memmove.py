# slot: tsp.heuristics
# expect: rejected
# reason: np.ctypeslib is not allowed
# class: replies
import numpy as np


def heuristics(distance_matrix):
    np.ctypeslib.ctypes.memmove(0, 0, 8)
    return distance_matrix.copy()
