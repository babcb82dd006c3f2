# slot: tsp.heuristics
# expect: rejected
# reason: np.ma is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    np.ma.core.inspect.os.system('touch /tmp/heurevo-escaped')
    return distance_matrix.copy()
