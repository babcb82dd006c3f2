# slot: pbo.calculate_score
# expect: ok
# reason:
# class: ok
import math


def calculate_score(hscore, oscore):
    acc = 0.0
    for k in range(200):
        acc += math.sin(k * 1e-3) * 1e-12
    return hscore + oscore + acc * 0.0
