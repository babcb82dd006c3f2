# slot: pbo.calculate_score
# expect: rejected
# reason: results must be finite
# class: slot-contract
def calculate_score(hscore, oscore):
    return (hscore + oscore) * 1e308 * 1e308
