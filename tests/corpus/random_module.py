# slot: pbo.pick_best_variable
# expect: rejected
# reason: import of 'random' is not allowed
# class: imports
import random


def pick_best_variable(good, n_good, score, last_flip, rng):
    return good[random.randrange(n_good)]
