# slot: tsp.heuristics
# expect: rejected
# reason: 'dir' is not allowed
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    d = dir(np)
    return distance_matrix.copy()
