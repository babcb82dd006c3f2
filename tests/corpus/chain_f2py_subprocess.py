# slot: tsp.heuristics
# expect: rejected
# reason: np.f2py is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    np.f2py.subprocess.run(['true'])
    return distance_matrix.copy()
