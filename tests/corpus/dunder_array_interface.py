# slot: tsp.heuristics
# expect: rejected
# reason: '.__array_interface__'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    a = distance_matrix.__array_interface__
    return distance_matrix.copy()
