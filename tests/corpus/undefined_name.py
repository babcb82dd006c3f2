# slot: pbo.calculate_score
# expect: rejected
# reason: undefined name 'magic_weight'
# class: syntax
def calculate_score(hscore, oscore):
    return hscore + magic_weight * oscore
