"""The seven StructPBO slots of the PBO local search, with NuPBO's choices as defaults.

Granularity is chosen for speed: no slot is called per literal in the innermost update loop.
The kernel keeps each constraint's *effective* weight (``penalty_hard``) and each objective
unit's (``penalty_obj``) cached, so those slots run only when a weight changes; the combined
score (``calculate_score``) is recomputed once per variable whose score parts changed in a flip;
the pickers and the weight update run once per step. Arrays are shared with the kernel: a slot
may only write the arguments listed in ``mutable_args``; every other array argument is read-only
in its Numba type (``Array(..., readonly=True)``), so a slot that writes one does not compile.
"""

from __future__ import annotations

from heurevo.solvers.pbo.records import readonly_signature as ro
from heurevo.solvers.slots import Slot, register_slot

PROBLEM = "pbo"

INITIALIZE_ASSIGNMENT = Slot(
    problem=PROBLEM, name="initialize_assignment",
    probes="heurevo.solvers.pbo.probes:initialize_assignment",
    kernel_only=True,
    signature=f"void(int8[::1], {ro('obj_var')}, {ro('obj_cost')}, {ro('obj_paid')}, uint64[::1])",
    arg_names=("values", "obj_var", "obj_cost", "obj_paid", "rng"),
    mutable_args=("values", "rng"),
    contract="""InitializeAssignment: set the starting assignment of a (re)start.

Write 0 or 1 into every values[v] (v < values.size; the last entries are AND and relaxation
variables, which the search repairs like any other). Objective unit j costs obj_cost[j] while
values[obj_var[j]] == obj_paid[j]. Called once per restart. NuPBO: everything false.""",
    default_source='''def initialize_assignment(values, obj_var, obj_cost, obj_paid, rng):
    for v in range(values.size):
        values[v] = 0
''',
)

PENALTY_HARD = Slot(
    problem=PROBLEM, name="penalty_hard",
    probes="heurevo.solvers.pbo.probes:penalty_hard",
    kernel_only=True,
    signature="float64(float64, int64, int64, int64)",
    arg_names=("weight", "avg_coef", "degree", "length"),
    contract="""Penalty_hard: the effective weight of a hard constraint in the score.

A hard constraint sum a_i*l_i >= degree (length literals, mean coefficient avg_coef >= 1) has
dynamic weight `weight` (>= 0, raised by update_weights). Return a finite value >= 0; a flip that
reduces the constraint's gap by k scores + result * k. Called whenever the weight changes.
NuPBO: weight / avg_coef.""",
    default_source='''def penalty_hard(weight, avg_coef, degree, length):
    return weight / avg_coef
''',
)

PENALTY_OBJ = Slot(
    problem=PROBLEM, name="penalty_obj",
    probes="heurevo.solvers.pbo.probes:penalty_obj",
    kernel_only=True,
    signature="float64(float64, int64, int64)",
    arg_names=("weight", "cost", "avg_cost"),
    contract="""Penalty_obj: the effective weight of one objective unit (soft literal) in the score.

The unit costs `cost` (> 0) while paid; avg_cost = max(1, round(mean cost)); `weight` (>= 0)
starts at 0 and is raised by update_weights. Return a finite value >= 0: un-paying the unit
scores + result, paying it - result. Called whenever the weight changes.
NuPBO: weight * cost / avg_cost.""",
    default_source='''def penalty_obj(weight, cost, avg_cost):
    return weight * (cost / avg_cost)
''',
)

CALCULATE_SCORE = Slot(
    problem=PROBLEM, name="calculate_score",
    probes="heurevo.solvers.pbo.probes:calculate_score",
    kernel_only=True,
    signature="float64(float64, float64)",
    arg_names=("hscore", "oscore"),
    contract="""CalculateScore: combine a variable's hard score and objective score.

hscore is the weighted decrease of hard-constraint violation if the variable flips, oscore the
weighted decrease of paid objective. A variable with result > 0 is a candidate for
pick_best_variable. Called after each flip for every variable whose parts changed.
NuPBO: hscore + oscore.""",
    default_source='''def calculate_score(hscore, oscore):
    return hscore + oscore
''',
)

PICK_BEST_VARIABLE = Slot(
    problem=PROBLEM, name="pick_best_variable",
    probes="heurevo.solvers.pbo.probes:pick_best_variable",
    kernel_only=True,
    signature=f"int64({ro('good')}, int64, {ro('score')}, {ro('last_flip')}, uint64[::1])",
    arg_names=("good", "n_good", "score", "last_flip", "rng"),
    mutable_args=("rng",),
    contract="""PickBestVariable: choose the variable to flip among those with a positive score.

good[:n_good] (n_good >= 1) are variables with score > 0, in NuPBO's stack order (as in NuPBO,
a variable just flipped is left out until a neighbour flips or a weight change raises its score);
score[v] is the combined score,
last_flip[v] the step at which v last flipped (0: never); good.size is the number of variables.
Return one of good[:n_good]. NuPBO: with probability 0.01 a random one; otherwise the best of
all when fewer than t, else the best of t sampled with replacement (t = 15, or 50 above 2000
variables); ties go to the least recently flipped.""",
    default_source='''def pick_best_variable(good, n_good, score, last_flip, rng):
    if rng_chance(rng, 0.01):
        return good[rng_randint(rng, n_good)]
    t = 50 if good.size > 2000 else 15
    if n_good < t:
        best = good[0]
        for i in range(1, n_good):
            v = good[i]
            if score[v] > score[best] or (score[v] == score[best] and last_flip[v] < last_flip[best]):
                best = v
        return best
    best = good[rng_randint(rng, n_good)]
    for _ in range(1, t):
        v = good[rng_randint(rng, n_good)]
        if score[v] > score[best] or (score[v] == score[best] and last_flip[v] < last_flip[best]):
            best = v
    return best
''',
)

UPDATE_WEIGHTS = Slot(
    problem=PROBLEM, name="update_weights",
    probes="heurevo.solvers.pbo.probes:update_weights",
    kernel_only=True,
    signature=(f"int64(float64[::1], {ro('unsat')}, int64, float64[::1], {ro('paid')}, int64, "
               "uint64[::1])"),
    arg_names=("hard_w", "unsat", "n_unsat", "obj_w", "paid", "n_paid", "rng"),
    mutable_args=("hard_w", "obj_w", "rng"),
    contract="""UpdateWeights: raise weights when the search is stuck (no variable has a positive score).

unsat[:n_unsat] are the violated hard constraints, paid[:n_paid] the paid objective units.
Only hard_w[c] of violated constraints may change (other changes are ignored); obj_w[j] may
change for any unit. Weights must stay finite and >= 0. Return 1 when obj_w was changed
(the kernel then re-derives every unit's effective weight), else 0.
NuPBO: every violated constraint's weight += 1; when none is violated every objective unit's
weight += 1 (one shared objective weight, as in LS-PBO).""",
    default_source='''def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):
    if n_unsat > 0:
        for i in range(n_unsat):
            hard_w[unsat[i]] += 1.0
        return 0
    for j in range(obj_w.size):
        obj_w[j] += 1.0
    return 1
''',
)

PICK_ESCAPE_VARIABLE = Slot(
    problem=PROBLEM, name="pick_escape_variable",
    probes="heurevo.solvers.pbo.probes:pick_escape_variable",
    kernel_only=True,
    signature=(f"int64({ro('unsat')}, int64, {ro('con_start')}, {ro('lit_var')}, "
               f"{ro('lit_sign')}, {ro('values')}, {ro('score')}, {ro('last_flip')}, "
               f"{ro('paid')}, int64, {ro('obj_var')}, uint64[::1])"),
    arg_names=("unsat", "n_unsat", "con_start", "lit_var", "lit_sign", "values", "score",
               "last_flip", "paid", "n_paid", "obj_var", "rng"),
    mutable_args=("rng",),
    contract="""PickEscapeVariable: choose a variable to flip after update_weights (a diversifying move).

unsat[:n_unsat] are the violated hard constraints; constraint c's literals are positions
con_start[c]:con_start[c+1] of lit_var (variable) and lit_sign (1: x, 0: ~x); a literal is true
iff values[var] == sign. paid[:n_paid] are the paid objective units, obj_var[j] the variable
of unit j. At least one of n_unsat, n_paid is > 0. Return a variable index in [0, values.size).
NuPBO: if some constraint is violated take a random one; with probability 0.1 a random false
literal of it, else its false literal of best score (ties: least recently flipped, then
random; NuPBO holds the best score in a C int, so the default truncates it the same way);
otherwise the variable of a random paid objective unit.""",
    default_source='''def pick_escape_variable(unsat, n_unsat, con_start, lit_var, lit_sign, values, score,
                         last_flip, paid, n_paid, obj_var, rng):
    if n_unsat == 0:
        return obj_var[paid[rng_randint(rng, n_paid)]]
    c = unsat[rng_randint(rng, n_unsat)]
    lo = con_start[c]
    hi = con_start[c + 1]
    if rng_chance(rng, 0.1):
        n_false = 0
        for k in range(lo, hi):
            if values[lit_var[k]] != lit_sign[k]:
                n_false += 1
        if n_false == 0:  # only when even all literals true cannot satisfy c
            return lit_var[lo + rng_randint(rng, hi - lo)]
        r = rng_randint(rng, n_false)
        for k in range(lo, hi):
            if values[lit_var[k]] != lit_sign[k]:
                if r == 0:
                    return lit_var[k]
                r -= 1
    # best false literal; as in NuPBO the best score so far is kept as a C int (truncated)
    first = -1
    best_w = 0.0
    n_ties = 0
    for k in range(lo, hi):
        v = lit_var[k]
        if values[v] == lit_sign[k]:
            continue
        s = score[v]
        if first < 0 or best_w < s:
            first = k
            best_w = float(int(s)) if -2147483648.0 < s < 2147483648.0 else -2147483648.0
            n_ties = 1
        elif best_w == s and last_flip[v] < last_flip[lit_var[first]]:
            first = k
            n_ties = 1
        elif best_w == s and last_flip[v] == last_flip[lit_var[first]]:
            n_ties += 1
    if first < 0:  # no false literal: even all literals true cannot satisfy c
        return lit_var[lo + rng_randint(rng, hi - lo)]
    # the ties: the first best and every later false literal equal to it; pick one at random
    r = rng_randint(rng, n_ties)
    if r == 0:
        return lit_var[first]
    stamp = last_flip[lit_var[first]]
    for k in range(first + 1, hi):
        v = lit_var[k]
        if values[v] != lit_sign[k] and best_w == score[v] and last_flip[v] == stamp:
            r -= 1
            if r == 0:
                return v
    return lit_var[first]
''',
)


#: The seven slots in the kernel's argument order.
PBO_SLOTS: tuple[Slot, ...] = (
    INITIALIZE_ASSIGNMENT, PENALTY_HARD, PENALTY_OBJ, CALCULATE_SCORE, PICK_BEST_VARIABLE,
    UPDATE_WEIGHTS, PICK_ESCAPE_VARIABLE,
)

for _slot in PBO_SLOTS:
    register_slot(_slot)


def pbo_slots() -> dict[str, Slot]:
    """The PBO slots by name, in kernel order."""
    return {s.name: s for s in PBO_SLOTS}
