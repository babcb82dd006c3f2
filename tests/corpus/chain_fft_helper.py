# slot: tsp.heuristics
# expect: rejected
# reason: np.fft is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    r = np.fft.helper.np.lib.format.open_memmap('/tmp/heurevo-escaped')
    return distance_matrix.copy()
