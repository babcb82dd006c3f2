# slot: tsp.heuristics
# expect: rejected
# reason: 'getattr' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    f = getattr(np, 'lo' + 'ad')
    return distance_matrix.copy()
