# slot: tsp.heuristics
# expect: rejected
# reason: '.__dict__'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    d = np.__dict__
    return distance_matrix.copy()
