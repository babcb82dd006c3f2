# slot: pbo.calculate_score
# expect: rejected
# reason: takes (hscore) but the slot requires (hscore, oscore)
def calculate_score(hscore):
    return hscore
