# slot: tsp.heuristics
# expect: rejected
# reason: 'hasattr' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    ok = hasattr(np, 'ma')
    return distance_matrix.copy()
