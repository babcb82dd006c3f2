# slot: pbo.calculate_score
# expect: rejected
# reason: 'eval' is not allowed
# class: string-to-name
def calculate_score(hscore, oscore):
    return eval("hscore + oscore")
