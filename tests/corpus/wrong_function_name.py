# slot: pbo.calculate_score
# expect: rejected
# reason: no top-level function named 'calculate_score'
def combine_scores(hscore, oscore):
    return hscore + oscore
