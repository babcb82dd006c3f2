# slot: tsp.heuristics
# expect: rejected
# reason: importing the module numpy.linalg
# class: imports
from numpy import linalg
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
