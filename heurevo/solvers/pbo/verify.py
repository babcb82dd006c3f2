"""Independent check of a PB assignment against the *original* formula (numpy, exact integers).

Shares nothing with the kernel or its normal form: products, ``~x`` literals, every relational
operator and WBO soft costs are evaluated as written, with Python-int (object) arithmetic when
coefficients are too large for int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heurevo.errors import VerificationError
from heurevo.instances.formats.pbmodel import PBFormula, Term

_SAFE = 2**62


@dataclass(frozen=True)
class Verdict:
    """Feasibility and objective of an assignment under the original formula."""

    feasible: bool
    objective: int | None        # min:/max: value, WBO soft cost, None without objective
    violated: tuple[int, ...]    # indices of violated hard constraints (first 20)
    soft_cost: int = 0           # WBO: total cost of violated soft constraints


def _lhs(groups: list[tuple[Term, ...]], truth: np.ndarray) -> list[int]:
    """Sum of coefficients of true terms, per group of terms (exact)."""
    n_terms = [len(g) for g in groups]
    coefs = [c for g in groups for c, _ in g]
    lits = [lit for g in groups for _, ls in g for lit in ls]
    if not lits:
        return [0] * len(groups)
    term_len = np.fromiter((len(ls) for g in groups for _, ls in g), np.int64, len(coefs))
    lit_arr = np.asarray(lits, dtype=np.int64)
    lit_true = truth[np.abs(lit_arr) - 1] == (lit_arr > 0)
    starts = np.zeros(len(coefs), dtype=np.int64)
    np.cumsum(term_len[:-1], out=starts[1:])
    term_true = np.logical_and.reduceat(lit_true, starts)
    group_of = np.repeat(np.arange(len(groups)), n_terms)
    if any(abs(c) >= _SAFE // len(coefs) for c in coefs):  # exact Python ints
        sums = [0] * len(groups)
        for g, c, t in zip(group_of.tolist(), coefs, term_true.tolist(), strict=True):
            if t:
                sums[g] += c
        return sums
    out = np.zeros(len(groups), dtype=np.int64)
    np.add.at(out, group_of, np.asarray(coefs, dtype=np.int64) * term_true)
    return out.tolist()


def evaluate(formula: PBFormula, values: np.ndarray) -> Verdict:
    """Evaluate ``values`` (0/1 per variable x1..xN, index 0 is x1) under ``formula``."""
    truth = np.asarray(values).astype(bool)
    if truth.shape != (formula.n_vars,):
        raise VerificationError(f"assignment has {truth.size} values, the formula "
                                f"{formula.name} has {formula.n_vars} variables")
    cons = formula.constraints
    lhs = [int(x) for x in _lhs([c.terms for c in cons], truth)]
    violated = [i for i, (c, v) in enumerate(zip(cons, lhs, strict=True)) if not c.holds(v)]
    hard_violated = tuple(i for i in violated if cons[i].weight is None)
    soft_cost = sum(cons[i].weight or 0 for i in violated)
    objective: int | None = None
    if formula.is_wbo:
        objective = soft_cost
    elif formula.objective is not None:
        objective = int(_lhs([formula.objective], truth)[0])
    feasible = not hard_violated
    if formula.is_wbo and formula.soft_top is not None and soft_cost >= formula.soft_top:
        feasible = False
    return Verdict(feasible=feasible, objective=objective, violated=hard_violated[:20],
                   soft_cost=soft_cost)


def check(formula: PBFormula, values: np.ndarray, claimed_objective: int | None) -> Verdict:
    """Evaluate and raise :class:`VerificationError` unless feasible with the claimed objective."""
    verdict = evaluate(formula, values)
    if not verdict.feasible:
        what = (f"violates hard constraint(s) {list(verdict.violated)}" if verdict.violated
                else f"has soft cost {verdict.soft_cost} >= top {formula.soft_top}")
        raise VerificationError(f"{formula.name}: the solver's assignment {what}")
    if verdict.objective != claimed_objective:
        raise VerificationError(f"{formula.name}: the solver claims objective {claimed_objective}, "
                                f"the formula gives {verdict.objective}")
    return verdict
