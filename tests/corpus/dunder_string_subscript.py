# slot: tsp.heuristics
# expect: rejected
# reason: strings naming dunder attributes
# class: dunder-reflection
import numpy as np


def heuristics(distance_matrix):
    v = distance_matrix['__class__']
    return distance_matrix.copy()
