# slot: tsp.heuristics
# expect: rejected
# reason: returned shape
# class: slot-contract
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix[1:, 1:].copy()
