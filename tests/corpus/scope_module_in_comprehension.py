# slot: tsp.heuristics
# expect: rejected
# reason: the module 'np' may only be used
# class: scoping
import numpy as np


def heuristics(distance_matrix):
    mods = [np for _ in range(2)]
    r = mods[0].ma
    return distance_matrix.copy()
