# slot: tsp.heuristics
# expect: rejected
# reason: np.char is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    s = np.char.add('a', 'b')
    return distance_matrix.copy()
