# slot: tsp.heuristics
# expect: rejected
# reason: '.__code__'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    c = heuristics.__code__
    return distance_matrix.copy()
