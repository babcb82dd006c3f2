# slot: pbo.calculate_score
# expect: rejected
# reason: results must be finite
# class: slot-contract
def calculate_score(hscore, oscore):
    return (hscore + oscore) * float("nan")
