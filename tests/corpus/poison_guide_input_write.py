# slot: tsp.heuristics
# expect: rejected
# reason: writes (or returns) a read-only argument
# class: array-poisoning
import numpy as np


def heuristics(distance_matrix):
    distance_matrix[:, :] = 0.0
    return distance_matrix + 1.0
