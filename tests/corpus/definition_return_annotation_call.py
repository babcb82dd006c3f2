# slot: pbo.calculate_score
# expect: rejected
# reason: the return annotation of 'helper'
# class: definition-time
def helper(x) -> max(range(10**12)):
    return x


def calculate_score(hscore, oscore):
    return helper(hscore) + oscore
