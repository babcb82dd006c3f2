# slot: tsp.heuristics
# expect: rejected
# reason: convert the result
# class: slot-contract
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.astype(np.int64)
