# slot: tsp.heuristics
# expect: memory
# reason: memory
# class: resource-abuse
import numpy as np


def heuristics(distance_matrix):
    block = np.ones(100_000_000_000)
    return distance_matrix * block[0]
