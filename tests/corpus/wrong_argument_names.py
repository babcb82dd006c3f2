# slot: pbo.calculate_score
# expect: rejected
# reason: same names, same order
# class: signature
def calculate_score(hard, objective):
    return hard + objective
