# slot: tsp.heuristics
# expect: rejected
# reason: 'attrgetter' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    g = attrgetter('ma')(np)
    return distance_matrix.copy()
