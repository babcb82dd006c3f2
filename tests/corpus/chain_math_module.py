# slot: tsp.heuristics
# expect: rejected
# reason: math.sys is not allowed
# class: attribute-chain
import math
import numpy as np


def heuristics(distance_matrix):
    s = math.sys.modules
    return distance_matrix.copy()
