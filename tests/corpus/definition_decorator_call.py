# slot: pbo.calculate_score
# expect: rejected
# reason: decorators are not allowed
# class: definition-time
def deco(f):
    return f


@deco
def calculate_score(hscore, oscore):
    return hscore + oscore
