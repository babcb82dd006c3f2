# slot: tsp.heuristics
# expect: rejected
# reason: imports must be at the top
# class: imports
import numpy as np


def heuristics(distance_matrix):
    import os
    return distance_matrix.copy()
