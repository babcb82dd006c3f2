"""Expression holes of the PBO slots, for the offline GP proposer.

Each template is the slot's default implementation with one float expression replaced by the
marker ``GP_EXPR``; with the ``default`` expression filled in it behaves exactly like the
default. Results of penalty and weight expressions are clamped to finite, non-negative values
so every GP offspring satisfies the slot contract.
"""

from __future__ import annotations

from heurevo.solvers.pbo import slots as S
from heurevo.solvers.slots import GPHole

_SAFE = '''
    if not (v >= 0.0 and v < 1e12):
        v = 0.0
    return v
'''

PENALTY_HARD = GPHole(
    template='''def penalty_hard(weight, avg_coef, degree, length):
    a = float(avg_coef)
    d = float(degree)
    k = float(length)
    v = GP_EXPR''' + _SAFE,
    inputs=("weight", "a", "d", "k"),
    default="pdiv(weight, a)",
)

PENALTY_OBJ = GPHole(
    template='''def penalty_obj(weight, cost, avg_cost):
    c = float(cost)
    ac = float(avg_cost)
    v = GP_EXPR''' + _SAFE,
    inputs=("weight", "c", "ac"),
    default="mul(weight, pdiv(c, ac))",
)

CALCULATE_SCORE = GPHole(
    template='''def calculate_score(hscore, oscore):
    return GP_EXPR
''',
    inputs=("hscore", "oscore"),
    default="add(hscore, oscore)",
)

UPDATE_WEIGHTS = GPHole(
    template='''def hard_increment(w, n_unsat_f):
    v = GP_EXPR''' + _SAFE + '''

def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    if n_unsat > 0:
        for i in range(n_unsat):
            c = unsat[i]
            hard_w[c] += hard_increment(hard_w[c], float(n_unsat))
        return 0
    for j in range(obj_w.size):
        obj_w[j] += 1.0
    return 1
''',
    inputs=("w", "n_unsat_f"),
    default="1.0",
)

PICK_BEST_VARIABLE = GPHole(
    template='''def gp_key(s, recency):
    return GP_EXPR


def better(v, best, score, last_flip):
    kv = gp_key(score[v], float(last_flip[v]))
    kb = gp_key(score[best], float(last_flip[best]))
    return kv > kb or (kv == kb and last_flip[v] < last_flip[best])


def pick_best_variable(good, n_good, score, last_flip, rng):
    if rng_chance(rng, 0.01):
        return good[rng_randint(rng, n_good)]
    t = 50 if good.size > 2000 else 15
    if n_good < t:
        best = good[0]
        for i in range(1, n_good):
            if better(good[i], best, score, last_flip):
                best = good[i]
        return best
    best = good[rng_randint(rng, n_good)]
    for _ in range(1, t):
        v = good[rng_randint(rng, n_good)]
        if better(v, best, score, last_flip):
            best = v
    return best
''',
    inputs=("s", "recency"),
    default="s",
)

HOLES = {
    S.PENALTY_HARD.name: PENALTY_HARD,
    S.PENALTY_OBJ.name: PENALTY_OBJ,
    S.CALCULATE_SCORE.name: CALCULATE_SCORE,
    S.UPDATE_WEIGHTS.name: UPDATE_WEIGHTS,
    S.PICK_BEST_VARIABLE.name: PICK_BEST_VARIABLE,
}
