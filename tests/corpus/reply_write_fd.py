# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'os' is not allowed
# class: replies
import os


def calculate_score(hscore, oscore):
    os.write(5, b'forged')
    return hscore + oscore
