# slot: pbo.calculate_score
# expect: rejected
# reason: top-level `Expr` statement is not allowed
# class: definition-time
max(range(10**12))


def calculate_score(hscore, oscore):
    return hscore + oscore
