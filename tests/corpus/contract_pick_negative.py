# slot: pbo.pick_best_variable
# expect: rejected
# reason: 
# class: slot-contract
def pick_best_variable(good, n_good, score, last_flip, rng):
    return -5
