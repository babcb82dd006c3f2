# slot: pbo.update_weights
# expect: crashed
# reason: worker killed by SIGSEGV
# class: array-poisoning
def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    for i in range(n_unsat):
        hard_w[unsat[i] + 1_000_000_000_000] = 1.0
    for j in range(obj_w.size):
        obj_w[j - 1_000_000_000_000] = 1.0
    return 1
