# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'os' is not allowed
# class: imports
import os


def calculate_score(hscore, oscore):
    os.system("echo pwned")
    return hscore + oscore
