# slot: tsp.heuristics
# expect: memory
# reason: memory
# class: resource-abuse
import numpy as np


def heuristics(distance_matrix):
    big = np.ones((200_000, 200_000))
    return distance_matrix + big[0, 0]
