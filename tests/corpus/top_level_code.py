# slot: pbo.calculate_score
# expect: rejected
# reason: top-level `For` statement is not allowed
# class: definition-time
for _ in range(10**12):
    pass


def calculate_score(hscore, oscore):
    return hscore + oscore
