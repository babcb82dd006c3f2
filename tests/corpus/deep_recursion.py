# slot: pbo.calculate_score
# expect: rejected
# reason: recursion is not allowed
# class: resource-abuse
def descend(x):
    if x < -1e300:
        return 0.0
    return descend(x + 1.0) + 1.0


def calculate_score(hscore, oscore):
    return descend(hscore) + oscore
