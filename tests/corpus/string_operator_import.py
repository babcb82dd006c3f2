# slot: tsp.heuristics
# expect: rejected
# reason: import of 'operator' is not allowed
# class: string-to-name
import operator
import numpy as np


def heuristics(distance_matrix):
    g = operator.attrgetter('ma')(np)
    return distance_matrix.copy()
