# slot: tsp.heuristics
# expect: rejected
# reason: 'getattr' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    getattr = max
    v = getattr(1, 2)
    return distance_matrix.copy()
