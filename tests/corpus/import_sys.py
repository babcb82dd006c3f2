# slot: tsp.heuristics
# expect: rejected
# reason: import of 'sys' is not allowed
# class: imports
import sys
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
