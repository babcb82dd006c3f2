# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'subprocess' is not allowed
# class: imports
import subprocess


def calculate_score(hscore, oscore):
    subprocess.run(["true"])
    return hscore + oscore
