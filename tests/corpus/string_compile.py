# slot: tsp.heuristics
# expect: rejected
# reason: 'compile' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    c = compile('1', 'x', 'eval')
    return distance_matrix.copy()
