# slot: pbo.calculate_score
# expect: memory
# reason: memory
# class: resource-abuse
import numpy as np


def calculate_score(hscore, oscore):
    total = 0.0
    for k in range(1, 40):
        block = np.ones(2 ** (k + 10))
        total += block[-1]
    return hscore + oscore + total
