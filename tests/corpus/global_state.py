# slot: pbo.calculate_score
# expect: rejected
# reason: `global` statements are not allowed
# class: shared-state
CALLS = 0


def calculate_score(hscore, oscore):
    global CALLS
    CALLS += 1
    return hscore + oscore
