# slot: pbo.pick_escape_variable
# expect: rejected
# reason: does not compile
# class: array-poisoning
def pick_escape_variable(unsat, n_unsat, con_start, lit_var, lit_sign, values, score,
                         last_flip, paid, n_paid, obj_var, rng):
    # flips the sense of every literal of the instance, read-only in the slot's Numba type
    for k in range(lit_sign.size):
        lit_sign[k] = 1 - lit_sign[k]
    return rng_randint(rng, values.size)
