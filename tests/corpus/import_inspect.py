# slot: tsp.heuristics
# expect: rejected
# reason: import of 'inspect' is not allowed
# class: imports
import inspect
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
