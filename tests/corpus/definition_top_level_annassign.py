# slot: pbo.calculate_score
# expect: rejected
# reason: top-level `AnnAssign` statement
# class: definition-time
X: int = max(range(10**12))


def calculate_score(hscore, oscore):
    return hscore + oscore
