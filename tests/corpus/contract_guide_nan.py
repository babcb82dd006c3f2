# slot: tsp.heuristics
# expect: rejected
# reason: returned non-finite values
# class: slot-contract
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix * np.nan
