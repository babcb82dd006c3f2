# slot: tsp.heuristics
# expect: rejected
# reason: 'eval' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    x = eval('1 + 1')
    return distance_matrix.copy()
