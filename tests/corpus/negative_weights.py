# slot: pbo.update_weights
# expect: rejected
# reason: negative
# class: slot-contract
def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    for i in range(n_unsat):
        hard_w[unsat[i]] -= 5.0
    return 0
