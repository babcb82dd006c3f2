# slot: tsp.heuristics
# expect: rejected
# reason: import *
# class: imports
from numpy import *
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
