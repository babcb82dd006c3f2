# slot: pbo.pick_best_variable
# expect: rejected
# reason: does not compile
# class: array-poisoning
def pick_best_variable(good, n_good, score, last_flip, rng):
    score[good[0]] = 1e9
    return good[0]
