# slot: tsp.heuristics
# expect: rejected
# reason: 'setattr' is not allowed
# class: string-to-name
import numpy as np


def heuristics(distance_matrix):
    setattr(np, 'pi', 3.0)
    return distance_matrix.copy()
