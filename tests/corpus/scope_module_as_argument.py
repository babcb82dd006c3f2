# slot: tsp.heuristics
# expect: rejected
# reason: the module 'np' may only be used
# class: scoping
import numpy as np


def lookup(mod):
    return mod.sum


def heuristics(distance_matrix):
    f = lookup(np)
    return distance_matrix.copy()
