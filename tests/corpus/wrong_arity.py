# slot: pbo.calculate_score
# expect: rejected
# reason: takes (hscore) but the slot requires (hscore, oscore)
# class: signature
def calculate_score(hscore):
    return hscore
