# slot: tsp.heuristics
# expect: rejected
# reason: dunder name '__import__'
# class: scoping
import numpy as np


def heuristics(distance_matrix):
    g = sum(1 for _ in [__import__])
    return distance_matrix.copy()
