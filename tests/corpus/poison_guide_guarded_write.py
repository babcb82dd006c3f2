# slot: tsp.heuristics
# expect: rejected
# reason: does not compile
# class: array-poisoning
import numpy as np


def heuristics(distance_matrix):
    # hidden from the six-city quick check: doubles the matrix it is given in place. The matrix
    # is read-only in the slot's Numba type, so the write does not compile (and the solver
    # hands the guide a private copy besides).
    if distance_matrix.shape[0] > 10:
        distance_matrix *= 2.0
    return distance_matrix.copy()
