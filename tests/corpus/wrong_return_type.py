# slot: pbo.calculate_score
# expect: rejected
# reason: does not compile
# class: signature
import numpy as np


def calculate_score(hscore, oscore):
    return np.array([hscore, oscore])
