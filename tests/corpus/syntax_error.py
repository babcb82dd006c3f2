# slot: pbo.calculate_score
# expect: rejected
# reason: syntax error
def calculate_score(hscore, oscore):
    return (hscore + oscore
