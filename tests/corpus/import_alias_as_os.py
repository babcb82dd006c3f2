# slot: tsp.heuristics
# expect: rejected
# reason: 'os' is not allowed
# class: imports
import numpy as os
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
