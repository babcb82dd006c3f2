# slot: pbo.calculate_score
# expect: rejected
# reason: 'open' is not allowed
# class: imports
def calculate_score(hscore, oscore):
    with open("/tmp/heurevo-pwned", "w") as f:
        f.write("x")
    return hscore + oscore
