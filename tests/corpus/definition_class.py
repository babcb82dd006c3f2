# slot: pbo.calculate_score
# expect: rejected
# reason: class definitions are not allowed
# class: definition-time
class Score:
    value = 1.0


def calculate_score(hscore, oscore):
    return hscore + oscore
