# slot: tsp.heuristics
# expect: timeout
# reason: wall-clock limit
# class: resource-abuse
import numpy as np


def heuristics(distance_matrix):
    x = distance_matrix[0, 0]
    while x == x:
        x = x + 1.0
    return distance_matrix + x
