# slot: tsp.heuristics
# expect: rejected
# reason: import of 'pickle' is not allowed
# class: imports
import pickle
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
