# slot: tsp.heuristics
# expect: rejected
# reason: raised
# class: exceptions
import numpy as np


def heuristics(distance_matrix):
    if distance_matrix[0, 0] < 1.0:
        raise IndexError('the guide looked past the end')
    return distance_matrix.copy()
