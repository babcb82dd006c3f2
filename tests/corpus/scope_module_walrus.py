# slot: tsp.heuristics
# expect: rejected
# reason: the module 'np' may only be used
# class: scoping
import numpy as np


def heuristics(distance_matrix):
    if (m := np) is not None:
        r = m.ma
    return distance_matrix.copy()
