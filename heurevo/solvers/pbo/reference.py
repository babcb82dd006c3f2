"""Plain-Python reference of the kernel's state, recomputed from scratch (for tests).

Scores are derived from their definition, not from the kernel's delta rules: the hard score of
v is the drop in weighted violation ``sum_c e_c * max(0, degree_c - sat_c)`` when v flips, the
objective score the drop in weighted paid cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heurevo.solvers.pbo.instance import PBOInstance


@dataclass(frozen=True)
class ScratchState:
    """Everything the kernel maintains incrementally, recomputed from an assignment."""

    sat: list[int]
    unsat: set[int]
    paid: set[int]
    cost: int
    hscore: list[float]
    oscore: list[float]


def _violation(inst: PBOInstance, values: list[int], hard_e: np.ndarray, c: int) -> float:
    lo, hi = int(inst.con_start[c]), int(inst.con_start[c + 1])
    s = sum(int(inst.lit_coef[k]) for k in range(lo, hi)
            if values[int(inst.lit_var[k])] == int(inst.lit_sign[k]))
    return float(hard_e[c]) * max(0, int(inst.con_degree[c]) - s)


def _paid_cost(inst: PBOInstance, values: list[int], obj_e: np.ndarray, j: int) -> float:
    return float(obj_e[j]) if values[int(inst.obj_var[j])] == int(inst.obj_paid[j]) else 0.0


def scratch_state(inst: PBOInstance, values: np.ndarray, hard_e: np.ndarray,
                  obj_e: np.ndarray) -> ScratchState:
    """The kernel's derived state for ``values`` and effective weights, from scratch."""
    vals = [int(x) for x in values]
    m = inst.n_constraints
    sat = []
    for c in range(m):
        lo, hi = int(inst.con_start[c]), int(inst.con_start[c + 1])
        sat.append(sum(int(inst.lit_coef[k]) for k in range(lo, hi)
                       if vals[int(inst.lit_var[k])] == int(inst.lit_sign[k])))
    unsat = {c for c in range(m) if sat[c] < int(inst.con_degree[c])}
    paid = {j for j in range(inst.obj_var.size) if vals[int(inst.obj_var[j])] == int(inst.obj_paid[j])}
    cost = sum(int(inst.obj_cost[j]) for j in paid)
    hscore, oscore = [], []
    for v in range(inst.n_vars):
        cons = sorted({int(inst.occ_con[o]) for o in range(int(inst.occ_start[v]), int(inst.occ_start[v + 1]))})
        before = sum(_violation(inst, vals, hard_e, c) for c in cons)
        j = int(inst.var_obj[v])
        ob = _paid_cost(inst, vals, obj_e, j) if j >= 0 else 0.0
        vals[v] = 1 - vals[v]
        after = sum(_violation(inst, vals, hard_e, c) for c in cons)
        oa = _paid_cost(inst, vals, obj_e, j) if j >= 0 else 0.0
        vals[v] = 1 - vals[v]
        hscore.append(before - after)
        oscore.append(ob - oa)
    return ScratchState(sat=sat, unsat=unsat, paid=paid, cost=cost, hscore=hscore, oscore=oscore)
