# slot: pbo.calculate_score
# expect: rejected
# reason: no top-level function named 'calculate_score'
# class: signature
def combine_scores(hscore, oscore):
    return hscore + oscore
