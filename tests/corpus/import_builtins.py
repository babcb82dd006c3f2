# slot: tsp.heuristics
# expect: rejected
# reason: import of 'builtins' is not allowed
# class: imports
import builtins
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
