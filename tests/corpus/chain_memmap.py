# slot: tsp.heuristics
# expect: rejected
# reason: np.memmap is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    m = np.memmap('/tmp/heurevo-escaped', mode='w+', shape=(10,))
    return distance_matrix.copy()
