# slot: tsp.heuristics
# expect: rejected
# reason: np.rec is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    text = np.rec.fromfile('/etc/passwd', dtype='S1')
    return distance_matrix.copy()
