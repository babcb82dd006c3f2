# slot: pbo.calculate_score
# expect: rejected
# reason: duplicate argument
# class: syntax
def calculate_score(hscore, hscore):
    return hscore
