# slot: pbo.calculate_score
# expect: rejected
# reason: 'print' is not allowed
# class: resource-abuse
def calculate_score(hscore, oscore):
    print("x" * 10_000_000)
    return hscore + oscore
