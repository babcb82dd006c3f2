# slot: pbo.calculate_score
# expect: rejected
# reason: `nonlocal` statements are not allowed
# class: scoping
def calculate_score(hscore, oscore):
    total = 0.0

    def bump():
        nonlocal total
        total += 1.0
    return hscore + oscore
