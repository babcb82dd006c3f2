# slot: tsp.heuristics
# expect: rejected
# reason: dunder name '__builtins__'
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    b = __builtins__
    return distance_matrix.copy()
