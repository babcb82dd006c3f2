# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'time' is not allowed
# class: resource-abuse
import time


def calculate_score(hscore, oscore):
    time.sleep(100)
    return hscore + oscore
