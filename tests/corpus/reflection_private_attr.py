# slot: tsp.heuristics
# expect: rejected
# reason: '._core'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    c = np._core
    return distance_matrix.copy()
