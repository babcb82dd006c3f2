# slot: tsp.heuristics
# expect: rejected
# reason: dunder name '__spec__'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    s = __spec__
    return distance_matrix.copy()
