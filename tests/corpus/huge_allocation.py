# slot: pbo.calculate_score
# expect: memory
# reason: memory
# class: resource-abuse
import numpy as np


def calculate_score(hscore, oscore):
    block = np.ones(200_000_000_000)
    return hscore + oscore + block[0]
