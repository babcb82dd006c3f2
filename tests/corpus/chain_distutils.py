# slot: tsp.heuristics
# expect: rejected
# reason: np.distutils is not allowed
# class: attribute-chain
import numpy as np


def heuristics(distance_matrix):
    d = np.distutils.exec_command.exec_command('true')
    return distance_matrix.copy()
