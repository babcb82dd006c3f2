# slot: pbo.calculate_score
# expect: rejected
# reason: dunder name '__import__'
# class: dunder-reflection
def calculate_score(hscore, oscore):
    __import__("os").system("true")
    return hscore + oscore
