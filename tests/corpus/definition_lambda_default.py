# slot: pbo.calculate_score
# expect: rejected
# reason: default values of a lambda must be constants
# class: definition-time
def calculate_score(hscore, oscore):
    f = lambda a=max(range(10**12)): a
    return hscore + oscore
