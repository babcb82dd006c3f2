# slot: pbo.calculate_score
# expect: rejected
# reason: raised ZeroDivisionError
# class: exceptions
def calculate_score(hscore, oscore):
    return hscore / (oscore - oscore)
