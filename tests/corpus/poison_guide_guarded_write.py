# slot: tsp.heuristics
# expect: ok
# reason:
# class: array-poisoning
import numpy as np


def heuristics(distance_matrix):
    # hidden from the six-city quick check: doubles the matrix it is given in place. The solver
    # hands the guide a fresh copy, so the instance's own matrix (and every later candidate's
    # tour length) is untouched; the guide itself is the distances, scaled.
    if distance_matrix.shape[0] > 10:
        distance_matrix *= 2.0
    return distance_matrix.copy()
