# slot: pbo.calculate_score
# expect: rejected
# reason: 'getattr' is not allowed
# class: string-to-name
import numpy as np


def calculate_score(hscore, oscore):
    loader = getattr(np, "lo" + "ad")
    return hscore + oscore
