# slot: pbo.calculate_score
# expect: rejected
# reason: duplicate argument
def calculate_score(hscore, hscore):
    return hscore
