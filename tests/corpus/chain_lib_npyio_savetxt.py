# slot: tsp.heuristics
# expect: rejected
# reason: np.lib is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    np.lib.npyio.savetxt('/tmp/heurevo-escaped', distance_matrix)
    return distance_matrix.copy()
