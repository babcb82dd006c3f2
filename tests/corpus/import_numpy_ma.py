# slot: tsp.heuristics
# expect: rejected
# reason: import of 'numpy.ma' is not allowed
# class: imports
import numpy.ma
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
