# slot: tsp.heuristics
# expect: rejected
# reason: characters cut
# class: exceptions
import numpy as np


def heuristics(distance_matrix):
    if distance_matrix[0, 0] < 1.0:
        raise ValueError("boom" * 5_000_000)
    return distance_matrix.copy()
