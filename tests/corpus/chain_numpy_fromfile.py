# slot: tsp.heuristics
# expect: rejected
# reason: np.fromfile is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    a = np.fromfile('/etc/passwd', dtype=np.uint8)
    return distance_matrix.copy()
