# slot: tsp.heuristics
# expect: rejected
# reason: np.ma is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    np.ma.core.np.ctypeslib.ctypes.CDLL(None).system(b'true')
    return distance_matrix.copy()
