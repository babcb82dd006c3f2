# slot: tsp.heuristics
# expect: rejected
# reason: import of 'threading' is not allowed
# class: imports
import threading
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
