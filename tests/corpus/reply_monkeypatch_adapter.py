# slot: tsp.heuristics
# expect: rejected
# reason: '.__globals__'
# class: shared-state
import numpy as np


def heuristics(distance_matrix):
    g = heuristics.__globals__
    return distance_matrix.copy()
