# slot: tsp.heuristics
# expect: rejected
# reason: numpy.lib is not allowed
# class: imports
from numpy import lib
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
