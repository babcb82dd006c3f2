# slot: pbo.pick_best_variable
# expect: rejected
# reason: np.random is not allowed
# class: attribute-chain
import numpy as np


def pick_best_variable(good, n_good, score, last_flip, rng):
    return good[np.random.randint(n_good)]
