# slot: pbo.calculate_score
# expect: rejected
# reason: the annotation of 'x' in 'helper'
# class: definition-time
import numpy as np


def helper(x: np.ones(10**11)):
    return x


def calculate_score(hscore, oscore):
    return helper(hscore) + oscore
