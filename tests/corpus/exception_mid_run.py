# slot: pbo.update_weights
# expect: failed
# reason: weights exploded
# class: exceptions
def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    for i in range(n_unsat):
        hard_w[unsat[i]] += 1.0
        if hard_w[unsat[i]] > 40.0:
            raise ValueError("weights exploded")
    if n_unsat > 0:
        return 0
    for j in range(obj_w.size):
        obj_w[j] += 1.0
    return 1
