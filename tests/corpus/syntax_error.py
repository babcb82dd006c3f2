# slot: pbo.calculate_score
# expect: rejected
# reason: syntax error
# class: syntax
def calculate_score(hscore, oscore):
    return (hscore + oscore
