# slot: tsp.heuristics
# expect: rejected
# reason: np.polynomial is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    g = np.polynomial.polyutils.operator.attrgetter('f_globals')
    return distance_matrix.copy()
