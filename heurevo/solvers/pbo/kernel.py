"""The NuPBO-style incremental local search, compiled once with the seven slots as arguments.

``run_search`` is jitted with an explicit signature whose slot arguments are the slots'
``function_type``: the kernel compiles once per machine (``cache=True``) and every candidate
slot implementation (an ``njit(signature)`` function) is passed in without recompiling it.

With the default slots the search is NuPBO's, flip for flip: the same random stream (glibc
``rand``, see :mod:`heurevo.solvers.rng`), the same candidate stack order (``_update_good``),
the same floating-point score increments (``_apply_weights``) and the same restart points.

All search state lives in arrays owned by the caller (:mod:`heurevo.solvers.pbo.search`), so a
search is resumed chunk by chunk (the caller checks the clock between chunks) and is a pure
function of its seed. Scores follow NuPBO: for hard constraint c with effective weight e and
gap g = degree - sat, a literal of coefficient a contributes to its variable's hard score
``e*min(g, a)`` (false, g > 0), ``-e*a`` (true, g > 0), ``-e*max(0, a + g)`` (true, g <= 0) or 0.

Compiled without the Numba runtime (``_nrt=False``): the kernel allocates nothing, and without
NRT no atomic reference counting surrounds the array-passing slot calls (measured 1.3-8x more
flips/s). The hot helpers are inlined at the IR level (``inline="always"``). Indices read from
arrays are cast to unsigned (``ix``) before they index: Numba wraps negative signed indices
around with a compare and select on every access, which unsigned indices skip (measured +25-40%
flips/s on air01 and mod008).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from heurevo.solvers.pbo.records import PBO_ARRAYS_TYPE, SEARCH_STATE_TYPE
from heurevo.solvers.pbo.slots import PBO_SLOTS

# ctr[] layout: the kernel's scalar state, kept in an int64 array between chunks.
STEP, N_UNSAT, N_PAID, N_GOOD, COST, BEST_COST, LAST_IMPROVE, RESTARTS, TRACE_N, READY, \
    BEST_STEP, RESTART_AFTER, INLINE, N_OUT, STEP_LIMIT = range(15)
N_CTR = 15

#: ctr[INLINE] bits: these slots are their compiled defaults, so the kernel computes their value
#: inline (the same expression, so the same search) instead of an indirect call per use.
INLINE_SCORE, INLINE_HARD, INLINE_OBJ = 1, 2, 4
#: ctr[INLINE] bit: update_weights is its default (every raised weight grows by exactly 1), so
#: with default penalties the score shifts are NuPBO's own increments (a/avg, cost/avg_cost).
INLINE_WEIGHTS = 8

#: Return codes of run_search.
DONE, OPTIMUM, BAD_BEST_PICK, BAD_ESCAPE_PICK = 0, 1, -1, -2


#: Cast an index to unsigned so that indexing with it skips Numba's negative-index wraparound.
ix = np.uint64

@intrinsic
def readonly(typingctx, arr):
    """The same array, typed read-only: what a slot receives of a state array it may not write
    (the data model is the same, so this costs nothing)."""
    sig = arr.copy(readonly=True)(arr)
    return sig, lambda context, builder, signature, args: args[0]


def scratch_size(n_vars: int, n_constraints: int) -> int:
    """Length of the kernel's int64 work array (layout: the offsets below ``_flip``)."""
    return 6 * n_vars + n_constraints

#: SlotFunctions: the seven slot implementations by slot name (built inside the kernel: Numba
#: matches a dispatcher to a function type only as a top-level argument, not inside a tuple).
SlotFunctions = namedtuple("SlotFunctions", [s.name for s in PBO_SLOTS])

KERNEL_SIGNATURE = types.int64(PBO_ARRAYS_TYPE, SEARCH_STATE_TYPE,
                               *(s.function_type for s in PBO_SLOTS))


@njit(cache=True, inline="always", _nrt=False)
def contribution(gap, a, is_true):
    """Unweighted hard-score contribution of a literal (coefficient a) to its variable."""
    if gap > 0:
        if is_true:
            return -a
        return a if a < gap else gap
    if is_true:
        s = a + gap
        return -s if s > 0 else 0
    return 0


@njit(cache=True, inline="always", _nrt=False)
def _set_add(items, pos, ctr, k, x):
    pos[x] = ctr[k]
    items[ix(ctr[k])] = x
    ctr[k] += 1


@njit(cache=True, inline="always", _nrt=False)
def _set_remove(items, pos, ctr, k, x):
    ctr[k] -= 1
    last = items[ix(ctr[k])]
    i = pos[x]
    items[ix(i)] = last
    pos[ix(last)] = i
    pos[x] = -1


@njit(cache=True, inline="always", _nrt=False)
def _score_of(u, hscore, oscore, inline, f_score):
    """u's combined score; inline: calculate_score is its default (computed here, no call)."""
    if inline:
        return hscore[u] + oscore[u]
    return f_score(hscore[u], oscore[u])


@njit(cache=True, inline="always", _nrt=False)
def _hard_e(c, hard_w, con_avg, con_degree, length, ctr, f_hard):
    if ctr[INLINE] & INLINE_HARD:
        return hard_w[c] / con_avg[c]
    return f_hard(hard_w[c], con_avg[c], con_degree[c], length)


@njit(cache=True, inline="always", _nrt=False)
def _obj_e(j, obj_w, obj_cost, obj_avg, ctr, f_obj):
    if ctr[INLINE] & INLINE_OBJ:
        return obj_w[j] * (obj_cost[j] / obj_avg)
    return f_obj(obj_w[j], obj_cost[j], obj_avg)


@njit(cache=True, inline="always", _nrt=False)
def _rescore_one(u, rising, hscore, oscore, score, good, good_pos, ctr, inline, f_score):
    """Recompute u's score after a weight change; as in NuPBO a rising score may only join
    the candidate stack and a falling one may only leave it."""
    s = _score_of(u, hscore, oscore, inline, f_score)
    score[u] = s
    if rising:
        if s > 0.0 and good_pos[u] < 0:
            _set_add(good, good_pos, ctr, N_GOOD, u)
    elif not s > 0.0 and good_pos[u] >= 0:
        _set_remove(good, good_pos, ctr, N_GOOD, u)


@njit(cache=True, _nrt=False)
def _reset(inst, st, fns):
    """(Re)start: initial assignment, all weights reset, every score computed from scratch."""
    con_start, lit_var, lit_sign, lit_coef = inst.con_start, inst.lit_var, inst.lit_sign, \
        inst.lit_coef
    con_degree, con_avg, obj_var, obj_cost, obj_paid, obj_avg = inst.con_degree, inst.con_avg, \
        inst.obj_var, inst.obj_cost, inst.obj_paid, inst.obj_avg
    values, sat, hard_w, hard_e, unsat, unsat_pos = st.values, st.sat, st.hard_w, st.hard_e, \
        st.unsat, st.unsat_pos
    obj_w, obj_e, paid, paid_pos, hscore, oscore, score = st.obj_w, st.obj_e, st.paid, \
        st.paid_pos, st.hscore, st.oscore, st.score
    good, good_pos, last_flip, ctr, scratch = st.good, st.good_pos, st.last_flip, st.ctr, \
        st.scratch
    f_hard, f_obj, f_score = fns.penalty_hard, fns.penalty_obj, fns.calculate_score
    n = values.size
    fns.initialize_assignment(values, obj_var, obj_cost, obj_paid, st.rng)
    for v in range(n):
        values[v] = 1 if values[v] != 0 else 0
        hscore[v] = 0.0
        oscore[v] = 0.0
        good_pos[v] = -1
        last_flip[v] = 0
    ctr[N_UNSAT] = 0
    ctr[N_PAID] = 0
    ctr[N_GOOD] = 0
    ctr[COST] = 0
    for c in range(con_degree.size):
        unsat_pos[c] = -1
        lo = con_start[c]
        hi = con_start[c + 1]
        hard_w[c] = 1.0
        hard_e[c] = f_hard(1.0, con_avg[c], con_degree[c], hi - lo)
        s = 0
        for k in range(lo, hi):
            if values[lit_var[k]] == lit_sign[k]:
                s += lit_coef[k]
        sat[c] = s
        gap = con_degree[c] - s
        if gap > 0:
            _set_add(unsat, unsat_pos, ctr, N_UNSAT, c)
        e = hard_e[c]
        for k in range(lo, hi):
            u = lit_var[k]
            hscore[u] += e * contribution(gap, lit_coef[k], values[u] == lit_sign[k])
    for j in range(obj_var.size):
        paid_pos[j] = -1
        obj_w[j] = 0.0
        obj_e[j] = f_obj(0.0, obj_cost[j], obj_avg)
        v = obj_var[j]
        if values[v] == obj_paid[j]:
            _set_add(paid, paid_pos, ctr, N_PAID, j)
            ctr[COST] += obj_cost[j]
            oscore[v] += obj_e[j]
        else:
            oscore[v] -= obj_e[j]
    for v in range(n):
        s = f_score(hscore[v], oscore[v])
        score[v] = s
        if s > 0.0:
            _set_add(good, good_pos, ctr, N_GOOD, v)
    for v in range(n):
        scratch[_OUT_POS * n + v] = -1
    ctr[N_OUT] = 0


#: Regions of the scratch array, in units of n (the number of variables), then the constraints'.
_MARK, _TOUCHED, _OUT, _OUT_POS, _CAND_VAR, _CAND_KEY, _CL_STAMP = range(7)


@njit(cache=True, inline="always", _nrt=False)
def _touch(u, nt, stamp, scratch, n):
    """Record u in this flip's list of rescored variables (once); returns the list length."""
    if scratch[ix(_MARK * n) + u] != stamp:
        scratch[ix(_MARK * n) + u] = stamp
        scratch[ix(_TOUCHED * n + nt)] = u
        nt += 1
    return nt


@njit(cache=True, inline="always", _nrt=False)
def _sort_candidates(nc, scratch, n, descending):
    """Insertion-sort the first nc candidates (var, key) by key (nc is small)."""
    cv = _CAND_VAR * n
    ck = _CAND_KEY * n
    for i in range(1, nc):
        v = scratch[ix(cv + i)]
        k = scratch[ix(ck + i)]
        j = i - 1
        while j >= 0 and ((scratch[ix(ck + j)] < k) if descending else (scratch[ix(ck + j)] > k)):
            scratch[ix(cv + j + 1)] = scratch[ix(cv + j)]
            scratch[ix(ck + j + 1)] = scratch[ix(ck + j)]
            j -= 1
        scratch[ix(cv + j + 1)] = v
        scratch[ix(ck + j + 1)] = k


@njit(cache=True, inline="always", _nrt=False)
def _neighbour_rank(u, stamp, occ_start, occ_con, occ_lit, scratch, n):
    """Position of u's first literal in a constraint of the flipped variable, -1 if none.

    NuPBO lists a variable's neighbours in the order of their first literal over its constraints,
    taken in order: literal positions are ordered the same way (constraint, then position)."""
    for o in range(ix(occ_start[u]), ix(occ_start[u + 1])):
        if scratch[ix(_CL_STAMP * n + occ_con[o])] == stamp:
            return occ_lit[o]
    return -1


#: Above this many candidates, _update_good scans instead of sorting.
_FEW = 24


@njit(cache=True, inline="always", _nrt=False)
def _update_good(v, nr, na, stamp, inst, st):
    """Bring the candidate stack up to date after flipping v, in NuPBO's order.

    NuPBO first drops every stacked variable whose score is no longer positive, scanning the
    stack from the top (each hole takes the current top), then pushes the flipped variable's
    neighbours that are positive and not stacked, in neighbour order; the flipped variable is
    not its own neighbour. Only rescored variables can leave (the nr candidates, with their
    stack positions); those that can join are rescored ones (the first na of the touched list)
    and earlier flipped variables left out while positive (the "out" set). A few leaving or
    joining variables are sorted by stack position or neighbour rank; many are handled by
    NuPBO's own scans of the stack or of the neighbourhood."""
    con_start, lit_var, occ_start, occ_con, occ_lit = inst.con_start, inst.lit_var, \
        inst.occ_start, inst.occ_con, inst.occ_lit
    score, good, good_pos, scratch, ctr = st.score, st.good, st.good_pos, st.scratch, st.ctr
    n = good_pos.size
    cv = _CAND_VAR * n
    ck = _CAND_KEY * n
    if nr <= _FEW:
        _sort_candidates(nr, scratch, n, True)
        for i in range(nr):
            _set_remove(good, good_pos, ctr, N_GOOD, ix(scratch[ix(cv + i)]))
    else:
        for i in range(ctr[N_GOOD] - 1, -1, -1):
            u = ix(good[i])
            if not score[u] > 0.0:
                _set_remove(good, good_pos, ctr, N_GOOD, u)
    for i in range(na):  # rank computed below when it is needed
        scratch[ix(cv + i)] = scratch[ix(_TOUCHED * n + i)]
        scratch[ix(ck + i)] = -1
    nc = na
    op = _OUT_POS * n  # the out set is a _set_add/_set_remove pair kept inline in scratch
    j = 0             # (array views of scratch cost ~5% flips/s here)
    while j < ctr[N_OUT]:
        g = ix(scratch[ix(_OUT * n + j)])
        if good_pos[g] >= 0 or not score[g] > 0.0:  # stacked or no longer positive: leaves
            ctr[N_OUT] -= 1
            last = scratch[ix(_OUT * n + ctr[N_OUT])]
            scratch[ix(_OUT * n + j)] = last
            scratch[ix(op + last)] = j
            scratch[ix(op) + g] = -1
            continue
        if g != v and scratch[ix(_MARK * n) + g] != stamp:
            r = _neighbour_rank(g, stamp, occ_start, occ_con, occ_lit, scratch, n)
            if r >= 0:
                scratch[ix(cv + nc)] = g
                scratch[ix(ck + nc)] = r
                nc += 1
        j += 1
    if nc <= _FEW:
        for i in range(nc):
            if scratch[ix(ck + i)] < 0:
                scratch[ix(ck + i)] = _neighbour_rank(ix(scratch[ix(cv + i)]), stamp, occ_start,
                                                      occ_con, occ_lit, scratch, n)
        _sort_candidates(nc, scratch, n, False)
        for i in range(nc):
            _set_add(good, good_pos, ctr, N_GOOD, scratch[ix(cv + i)])
    else:  # flag the candidates, then push them as v's neighbourhood meets them
        for i in range(nc):
            scratch[ix(_MARK * n + scratch[ix(cv + i)])] = -stamp
        for o in range(ix(occ_start[v]), ix(occ_start[v + 1])):
            c = ix(occ_con[o])
            for k in range(ix(con_start[c]), ix(con_start[c + 1])):
                u = lit_var[k]
                if scratch[ix(_MARK * n + u)] == -stamp:
                    scratch[ix(_MARK * n + u)] = stamp
                    _set_add(good, good_pos, ctr, N_GOOD, u)
                    nc -= 1
            if nc == 0:
                break
    if score[v] > 0.0 and scratch[ix(op + v)] < 0:
        scratch[ix(op + v)] = ctr[N_OUT]
        scratch[ix(_OUT * n + ctr[N_OUT])] = v
        ctr[N_OUT] += 1


@njit(cache=True, inline="always", _nrt=False)
def _flip(v, inst, st, f_score):
    """Flip v and update sat, violated/paid sets, the scores it changes (NuPBO deltas) and the
    candidate stack."""
    con_start, lit_var, lit_sign, lit_coef, con_degree = inst.con_start, inst.lit_var, \
        inst.lit_sign, inst.lit_coef, inst.con_degree
    occ_start, occ_con, occ_lit, obj_cost, obj_paid, var_obj = inst.occ_start, inst.occ_con, \
        inst.occ_lit, inst.obj_cost, inst.obj_paid, inst.var_obj
    values, sat, hard_e, unsat, unsat_pos, paid, paid_pos = st.values, st.sat, st.hard_e, \
        st.unsat, st.unsat_pos, st.paid, st.paid_pos
    hscore, oscore, score, good_pos, scratch, ctr = st.hscore, st.oscore, st.score, \
        st.good_pos, st.scratch, st.ctr
    n = values.size
    inline = (ctr[INLINE] & INLINE_SCORE) != 0  # a local: ctr is written in the loops below
    stamp = ctr[STEP] + 1
    nt = 0
    old = values[v]
    for o in range(ix(occ_start[v]), ix(occ_start[v + 1])):
        c = ix(occ_con[o])
        scratch[ix(_CL_STAMP * n) + c] = stamp
        li = ix(occ_lit[o])
        a = lit_coef[li]
        s = sat[c]
        s2 = s - a if lit_sign[li] == old else s + a
        sat[c] = s2
        g = con_degree[c] - s
        g2 = con_degree[c] - s2
        e = hard_e[c]
        lo = ix(con_start[c])
        hi = ix(con_start[c + 1])
        if g > 0 and g2 > 0:
            # stays violated: only false literals with a > min(g, g2) change (min(g, a) terms)
            thr = min(g, g2)
            for k in range(lo, hi):
                ak = lit_coef[k]
                if ak <= thr:
                    break
                u = ix(lit_var[k])
                if k != li and values[u] != lit_sign[k]:
                    hscore[u] += e * ((ak if ak < g2 else g2) - (ak if ak < g else g))
                    nt = _touch(u, nt, stamp, scratch, n)
        elif g <= 0 and g2 <= 0:
            # stays satisfied: only true literals with a > min(-g, -g2) change
            thr = min(-g, -g2)
            for k in range(lo, hi):
                ak = lit_coef[k]
                if ak <= thr:
                    break
                u = ix(lit_var[k])
                if k != li and values[u] == lit_sign[k]:
                    s_old = ak + g
                    s_new = ak + g2
                    hscore[u] += e * ((s_old if s_old > 0 else 0) - (s_new if s_new > 0 else 0))
                    nt = _touch(u, nt, stamp, scratch, n)
        else:
            # violated <-> satisfied: contribution(g2) - contribution(g), written out once for
            # both directions from the gaps on the violated and the satisfied side
            if g > 0:
                _set_remove(unsat, unsat_pos, ctr, N_UNSAT, c)
                sign, g_vio, g_sat = 1, g, g2
            else:
                _set_add(unsat, unsat_pos, ctr, N_UNSAT, c)
                sign, g_vio, g_sat = -1, g2, g
            for k in range(lo, hi):
                if k == li:
                    continue
                u = ix(lit_var[k])
                ak = lit_coef[k]
                if values[u] == lit_sign[k]:  # -a when violated, -max(0, a + gap) when satisfied
                    s_sat = ak + g_sat
                    delta = sign * (ak - s_sat if s_sat > 0 else ak)
                else:  # min(gap, a) when violated, 0 when satisfied
                    delta = -sign * (ak if ak < g_vio else g_vio)
                if delta != 0:
                    hscore[u] += e * delta
                    nt = _touch(u, nt, stamp, scratch, n)
    values[v] = 1 - old
    hscore[v] = -hscore[v]
    oscore[v] = -oscore[v]
    j = var_obj[v]
    if j >= 0:
        if values[v] == obj_paid[j]:
            _set_add(paid, paid_pos, ctr, N_PAID, j)
            ctr[COST] += obj_cost[j]
        else:
            _set_remove(paid, paid_pos, ctr, N_PAID, j)
            ctr[COST] -= obj_cost[j]
    score[v] = _score_of(v, hscore, oscore, inline, f_score)
    # rescore the touched variables; collect those leaving the stack (with their positions)
    # and, compacted at the front of the touched list, those that may join it
    nr = 0
    if good_pos[v] >= 0:
        scratch[ix(_CAND_VAR * n)] = v
        scratch[ix(_CAND_KEY * n)] = good_pos[v]
        nr = 1
    na = 0
    for i in range(nt):
        u = ix(scratch[ix(_TOUCHED * n + i)])
        su = _score_of(u, hscore, oscore, inline, f_score)
        score[u] = su
        if good_pos[u] >= 0:
            if not su > 0.0:
                scratch[ix(_CAND_VAR * n + nr)] = u
                scratch[ix(_CAND_KEY * n + nr)] = good_pos[u]
                nr += 1
        elif su > 0.0:
            scratch[ix(_TOUCHED * n + na)] = u
            na += 1
    _update_good(v, nr, na, stamp, inst, st)


@njit(cache=True, inline="always", _nrt=False)
def _apply_weights(obj_changed, inst, st, fns):
    """Re-derive effective weights after update_weights and shift the affected scores.

    obj_changed: nonzero when update_weights may have changed any objective weight. When the
    weight update and a penalty are both defaults, each score moves by NuPBO's own increment
    (``a / avg`` for a constraint, ``cost / avg_cost`` for an objective unit) rather than by the
    difference of effective weights: the same value up to round-off, and the same floats as
    NuPBO, so the default search replays it."""
    con_start, lit_var, lit_sign, lit_coef, con_degree, con_avg = inst.con_start, inst.lit_var, \
        inst.lit_sign, inst.lit_coef, inst.con_degree, inst.con_avg
    obj_var, obj_cost, obj_paid, obj_avg = inst.obj_var, inst.obj_cost, inst.obj_paid, inst.obj_avg
    values, sat, hard_w, hard_e, unsat, obj_w, obj_e = st.values, st.sat, st.hard_w, st.hard_e, \
        st.unsat, st.obj_w, st.obj_e
    hscore, oscore, score, good, good_pos, ctr = st.hscore, st.oscore, st.score, st.good, \
        st.good_pos, st.ctr
    f_hard, f_obj, f_score = fns.penalty_hard, fns.penalty_obj, fns.calculate_score
    inline = (ctr[INLINE] & INLINE_SCORE) != 0
    exact_hard = (ctr[INLINE] & (INLINE_HARD | INLINE_WEIGHTS)) == INLINE_HARD | INLINE_WEIGHTS
    exact_obj = (ctr[INLINE] & (INLINE_OBJ | INLINE_WEIGHTS)) == INLINE_OBJ | INLINE_WEIGHTS
    for i in range(ix(ctr[N_UNSAT])):
        c = ix(unsat[i])
        lo = ix(con_start[c])
        hi = ix(con_start[c + 1])
        e = _hard_e(c, hard_w, con_avg, con_degree, np.int64(hi - lo), ctr, f_hard)
        de = e - hard_e[c]
        if de == 0.0:
            continue
        hard_e[c] = e
        gap = con_degree[c] - sat[c]
        for k in range(lo, hi):
            u = ix(lit_var[k])
            cv = contribution(gap, lit_coef[k], values[u] == lit_sign[k])
            if cv != 0:
                d = cv / con_avg[c] if exact_hard else de * cv
                hscore[u] += d
                _rescore_one(u, d > 0.0, hscore, oscore, score, good, good_pos, ctr, inline,
                             f_score)
    n_units = obj_var.size if obj_changed != 0 else 0
    for j in range(n_units):
        e = _obj_e(j, obj_w, obj_cost, obj_avg, ctr, f_obj)
        de = e - obj_e[j]
        if de == 0.0:
            continue
        obj_e[j] = e
        if exact_obj:
            de = obj_cost[j] / obj_avg
        v = ix(obj_var[j])
        if values[v] != obj_paid[j]:
            de = -de
        oscore[v] += de
        _rescore_one(v, de > 0.0, hscore, oscore, score, good, good_pos, ctr, inline, f_score)


@njit(KERNEL_SIGNATURE, cache=True, nogil=True, _nrt=False)
def run_search(inst, st, f_init, f_hard, f_obj, f_score, f_best, f_weights, f_escape):
    """Flip until ctr[STEP] reaches ctr[STEP_LIMIT] or the objective hits its lower bound 0.

    inst: the instance record, st: the state record (:mod:`heurevo.solvers.pbo.records`); the
    slots in :data:`PBO_SLOTS` order. Returns DONE, OPTIMUM, or a negative code when a picker
    slot returned an invalid variable. As in NuPBO, a try ends after RESTART_AFTER - 1 flips
    without a first improvement, or RESTART_AFTER flips after its last one (NuPBO's step loop
    ``1 <= step < max_flips``), and the assignment a try ends on is not checked.
    """
    fns = SlotFunctions(f_init, f_hard, f_obj, f_score, f_best, f_weights, f_escape)
    ctr, values, best_values, rng = st.ctr, st.values, st.best_values, st.rng
    n = values.size
    if ctr[READY] == 0:
        _reset(inst, st, fns)
        ctr[READY] = 1
        ctr[LAST_IMPROVE] = ctr[STEP] - 1
    while True:
        if ctr[STEP] - ctr[LAST_IMPROVE] >= ctr[RESTART_AFTER]:
            _reset(inst, st, fns)
            ctr[RESTARTS] += 1
            ctr[LAST_IMPROVE] = ctr[STEP] - 1
        if ctr[N_UNSAT] == 0 and (ctr[BEST_COST] < 0 or ctr[COST] < ctr[BEST_COST]):
            ctr[BEST_COST] = ctr[COST]
            ctr[BEST_STEP] = ctr[STEP]
            ctr[LAST_IMPROVE] = ctr[STEP]
            for v in range(n):
                best_values[v] = values[v]
            t = min(ctr[TRACE_N], st.trace_step.size - 1)
            st.trace_step[t] = ctr[STEP]
            st.trace_cost[t] = ctr[COST]
            ctr[TRACE_N] = t + 1
            if ctr[COST] == 0:
                return OPTIMUM
        if ctr[STEP] >= ctr[STEP_LIMIT]:
            return DONE
        if ctr[N_GOOD] > 0:
            v = f_best(readonly(st.good), ctr[N_GOOD], readonly(st.score),
                       readonly(st.last_flip), rng)
            if v < 0 or v >= n:
                return BAD_BEST_PICK
        else:
            changed = f_weights(st.hard_w, readonly(st.unsat), ctr[N_UNSAT], st.obj_w,
                                readonly(st.paid), ctr[N_PAID], rng)
            _apply_weights(changed, inst, st, fns)
            if ctr[N_UNSAT] == 0 and ctr[N_PAID] == 0:
                return OPTIMUM
            v = f_escape(readonly(st.unsat), ctr[N_UNSAT], inst.con_start, inst.lit_var,
                         inst.lit_sign, readonly(values), readonly(st.score),
                         readonly(st.last_flip), readonly(st.paid), ctr[N_PAID], inst.obj_var,
                         rng)
            if v < 0 or v >= n:
                return BAD_ESCAPE_PICK
        _flip(v, inst, st, f_score)
        ctr[STEP] += 1
        st.last_flip[v] = ctr[STEP]


def new_ctr(restart_after: int) -> np.ndarray:
    """A fresh scalar-state array (no best yet, not initialised); restart_after >= 2."""
    if restart_after < 2:
        raise ValueError(f"restart_after must be at least 2 flips, got {restart_after}")
    ctr = np.zeros(N_CTR, dtype=np.int64)
    ctr[BEST_COST] = -1
    ctr[RESTART_AFTER] = restart_after
    return ctr
