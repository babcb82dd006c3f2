# slot: tsp.heuristics
# expect: rejected
# reason: keyword argument '__key'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    m = max(1, __key=2)
    return distance_matrix.copy()
