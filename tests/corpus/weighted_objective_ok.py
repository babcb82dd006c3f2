# slot: pbo.calculate_score
# expect: ok
# reason:
# class: ok
def calculate_score(hscore, oscore):
    return hscore + 0.8 * oscore
