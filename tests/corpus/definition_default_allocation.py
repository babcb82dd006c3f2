# slot: pbo.calculate_score
# expect: rejected
# reason: must be constants
# class: definition-time
import numpy as np


def helper(x, a=np.ones(10**11)):
    return x


def calculate_score(hscore, oscore):
    return helper(hscore) + oscore
