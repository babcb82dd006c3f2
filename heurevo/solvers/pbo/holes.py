"""Expression holes of the PBO slots, for the offline GP proposer.

Each template is the slot's default implementation with float expressions replaced by markers;
with the ``default`` expressions filled in it walks exactly the default's search. A hole with
several markers is one GP tree whose root ``join`` has one subtree per marker, all over the
same inputs; a marker evaluated once per call (a probability, a sample size) sees 0.0 for the
per-variable inputs. The knobs are the ones published PBO local searches set differently
(LS-PBO, NuPBO, SATLike-style weighting): penalty scaling, the score combination, hard and
objective weight increments (a negative objective increment smooths, a weight-dependent one
caps), the BMS sample size and random-pick probability of the best pick, and the random-walk
probability and literal ranking of the escape pick. Results are clamped so every GP offspring
satisfies the slot contract (finite, non-negative weights; a sample size in [1, 1000]).
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
    template='''def hard_increment(w, nu, npaid):
    v = GP_HARD''' + _SAFE + '''

def obj_increment(w, nu, npaid):
    return GP_OBJ


def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    nu = float(n_unsat)
    npaid = float(n_paid)
    if n_unsat > 0:
        for i in range(n_unsat):
            c = unsat[i]
            hard_w[c] += hard_increment(hard_w[c], nu, npaid)
        return 0
    for j in range(obj_w.size):
        v = obj_w[j] + obj_increment(obj_w[j], nu, npaid)
        if v >= 0.0 and v < 1e12:
            obj_w[j] = v
        elif v < 0.0:
            obj_w[j] = 0.0
    return 1
''',
    inputs=("w", "nu", "npaid"),
    default="join(1.0, 1.0)",
    markers=("GP_HARD", "GP_OBJ"),
)

PICK_BEST_VARIABLE = GPHole(
    template='''def gp_key(s, recency, n, ng):
    return GP_EXPR


def gp_sample(s, recency, n, ng):
    return GP_T


def gp_random(s, recency, n, ng):
    return GP_P


def better(v, best, score, last_flip, n, ng):
    kv = gp_key(score[v], float(last_flip[v]), n, ng)
    kb = gp_key(score[best], float(last_flip[best]), n, ng)
    return kv > kb or (kv == kb and last_flip[v] < last_flip[best])


def pick_best_variable(good, n_good, score, last_flip, rng):
    n = float(good.size)
    ng = float(n_good)
    if rng_chance(rng, gp_random(0.0, 0.0, n, ng)):
        return good[rng_randint(rng, n_good)]
    tf = gp_sample(0.0, 0.0, n, ng)
    t = 1
    if tf > 1000.0:
        t = 1000
    elif tf >= 1.0:
        t = int(tf)
    if n_good < t:
        best = good[0]
        for i in range(1, n_good):
            if better(good[i], best, score, last_flip, n, ng):
                best = good[i]
        return best
    best = good[rng_randint(rng, n_good)]
    for _ in range(1, t):
        v = good[rng_randint(rng, n_good)]
        if better(v, best, score, last_flip, n, ng):
            best = v
    return best
''',
    inputs=("s", "recency", "n", "ng"),
    default="join(s, if_else(gt(n, 2000.0), 50.0, 15.0), 0.01)",
    markers=("GP_EXPR", "GP_T", "GP_P"),
)

PICK_ESCAPE_VARIABLE = GPHole(
    template='''def gp_key(s, recency, k):
    return GP_EXPR


def gp_walk(s, recency, k):
    return GP_P


def pick_escape_variable(unsat, n_unsat, con_start, lit_var, lit_sign, values, score,
                         last_flip, paid, n_paid, obj_var, rng):
    if n_unsat == 0:
        return obj_var[paid[rng_randint(rng, n_paid)]]
    c = unsat[rng_randint(rng, n_unsat)]
    lo = con_start[c]
    hi = con_start[c + 1]
    kf = float(hi - lo)
    if rng_chance(rng, gp_walk(0.0, 0.0, kf)):
        n_false = 0
        for k in range(lo, hi):
            if values[lit_var[k]] != lit_sign[k]:
                n_false += 1
        if n_false == 0:
            return lit_var[lo + rng_randint(rng, hi - lo)]
        r = rng_randint(rng, n_false)
        for k in range(lo, hi):
            if values[lit_var[k]] != lit_sign[k]:
                if r == 0:
                    return lit_var[k]
                r -= 1
    first = -1
    best_w = 0.0
    n_ties = 0
    for k in range(lo, hi):
        v = lit_var[k]
        if values[v] == lit_sign[k]:
            continue
        s = gp_key(score[v], float(last_flip[v]), kf)
        if first < 0 or best_w < s:
            first = k
            best_w = float(int(s)) if -2147483648.0 < s < 2147483648.0 else -2147483648.0
            n_ties = 1
        elif best_w == s and last_flip[v] < last_flip[lit_var[first]]:
            first = k
            n_ties = 1
        elif best_w == s and last_flip[v] == last_flip[lit_var[first]]:
            n_ties += 1
    if first < 0:
        return lit_var[lo + rng_randint(rng, hi - lo)]
    r = rng_randint(rng, n_ties)
    if r == 0:
        return lit_var[first]
    stamp = last_flip[lit_var[first]]
    for k in range(first + 1, hi):
        v = lit_var[k]
        if values[v] != lit_sign[k] and last_flip[v] == stamp \\
                and best_w == gp_key(score[v], float(last_flip[v]), kf):
            r -= 1
            if r == 0:
                return v
    return lit_var[first]
''',
    inputs=("s", "recency", "k"),
    default="join(s, 0.1)",
    markers=("GP_EXPR", "GP_P"),
)

HOLES = {
    S.PENALTY_HARD.name: PENALTY_HARD,
    S.PENALTY_OBJ.name: PENALTY_OBJ,
    S.CALCULATE_SCORE.name: CALCULATE_SCORE,
    S.UPDATE_WEIGHTS.name: UPDATE_WEIGHTS,
    S.PICK_BEST_VARIABLE.name: PICK_BEST_VARIABLE,
    S.PICK_ESCAPE_VARIABLE.name: PICK_ESCAPE_VARIABLE,
}
