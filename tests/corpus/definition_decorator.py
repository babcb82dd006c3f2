# slot: pbo.calculate_score
# expect: rejected
# reason: decorators are not allowed
# class: definition-time
import numpy as np


@np.vectorize
def helper(x):
    return x


def calculate_score(hscore, oscore):
    return helper(hscore) + oscore
