"""Quick checks of the PBO slots: tiny hand-built states with known invariants (AutoToS style).

Each function returns the :class:`~heurevo.solvers.slots.ProbeCase` list of one slot; the
engine runs them in a sandboxed worker on every candidate before any search (see
:mod:`heurevo.engine.quick_checks`). Complaints say what was returned for which state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heurevo.solvers.pbo.records import field_dtype
from heurevo.solvers.rng import new_rng_state
from heurevo.solvers.slots import ProbeCase


def _finite_nonneg(what: str) -> Any:
    def check(_: tuple[Any, ...], result: Any) -> str | None:
        r = float(result)
        if not np.isfinite(r) or r < 0:
            return f"returned {r} for {what}; the result must be finite and >= 0"
        return None
    return check


def initialize_assignment() -> list[ProbeCase]:
    """Every value must be 0 or 1."""
    def check(args: tuple[Any, ...], _: Any) -> str | None:
        values = args[0]
        bad = np.flatnonzero((values != 0) & (values != 1))
        if bad.size:
            return f"wrote {int(values[bad[0]])} into values[{int(bad[0])}]; values must be 0 or 1"
        return None
    vals = np.full(12, 7, dtype=np.int8)
    return [ProbeCase("12 variables, 3 objective units",
                      (vals, np.array([0, 4, 9], np.int64), np.array([5, 1, 3], np.int64),
                       np.array([1, 1, 0], np.int8), new_rng_state(3)), check)]


def penalty_hard() -> list[ProbeCase]:
    """Finite, non-negative effective weights."""
    return [ProbeCase(f"weight {w}, avg_coef {a}, degree {d}, length {n}", (w, a, d, n),
                      _finite_nonneg(f"weight {w}, avg_coef {a}, degree {d}, length {n}"))
            for w, a, d, n in ((1.0, 3, 5, 4), (0.0, 1, 1, 1), (1e6, 10, 100, 50), (7.0, 1, 2, 2))]


def penalty_obj() -> list[ProbeCase]:
    """Finite, non-negative effective weights."""
    return [ProbeCase(f"weight {w}, cost {c}, avg_cost {a}", (w, c, a),
                      _finite_nonneg(f"weight {w}, cost {c}, avg_cost {a}"))
            for w, c, a in ((0.0, 5, 3), (2.0, 7, 3), (1e5, 1, 1000))]


def calculate_score() -> list[ProbeCase]:
    """Any finite float (finiteness is checked for every slot)."""
    return [ProbeCase(f"hscore {h}, oscore {o}", (h, o), lambda args, r: None)
            for h, o in ((3.0, -1.0), (0.0, 0.0), (-2.0, 5.0), (1e9, 1e9))]


def pick_best_variable() -> list[ProbeCase]:
    """The pick is one of good[:n_good]."""
    rng = np.random.default_rng(5)
    n = 40
    good = rng.permutation(n).astype(np.int64)
    score = rng.random(n) * 10.0
    last = rng.integers(0, 100, n).astype(np.int64)
    cases = []
    for n_good in (1, 5, 30):
        def check(args: tuple[Any, ...], result: Any, k: int = n_good) -> str | None:
            allowed = args[0][:k]
            if int(result) not in set(allowed.tolist()):
                shown = allowed.tolist() if k <= 8 else [*allowed[:8].tolist(), "..."]
                return (f"returned index {int(result)} for a state with {n} variables and "
                        f"n_good={k}; it must be one of good[:n_good] = {shown}")
            return None
        cases.append(ProbeCase(f"{n} variables, {n_good} with positive score",
                               (good.copy(), n_good, score.copy(), last.copy(), new_rng_state(9)), check))
    return cases


def update_weights() -> list[ProbeCase]:
    """Weights stay finite and >= 0; the return value is 0 or 1."""
    def check(args: tuple[Any, ...], result: Any) -> str | None:
        hard_w, obj_w = args[0], args[3]
        for name, w in (("hard_w", hard_w), ("obj_w", obj_w)):
            bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
            if bad.size:
                return (f"made {name}[{int(bad[0])}] = {float(w[bad[0]])}; weights must stay "
                        "finite and never become negative")
        if int(result) not in (0, 1):
            return f"returned {int(result)}; return 1 when obj_w changed, else 0"
        return None
    hard = np.array([1.0, 2.0, 1.0, 5.0, 1.0])
    obj = np.array([0.0, 1.0, 3.0])
    return [
        ProbeCase("2 of 5 constraints violated",
                  (hard.copy(), np.array([1, 3, 0, 0, 0], np.int64), 2, obj.copy(),
                   np.array([0, 2, 0], np.int64), 2, new_rng_state(4)), check),
        ProbeCase("no constraint violated, 2 paid units",
                  (hard.copy(), np.zeros(5, np.int64), 0, obj.copy(),
                   np.array([0, 2, 0], np.int64), 2, new_rng_state(4)), check),
    ]


def pick_escape_variable() -> list[ProbeCase]:
    """The pick is a variable index in [0, values.size)."""
    # constraints: c0 = x0 + x1 + ~x2 ; c1 = x3 + x4 ; literal arrays in CSR form
    con_start = np.array([0, 3, 5], np.int64)
    lit_var = np.array([0, 1, 2, 3, 4], field_dtype("lit_var"))
    lit_sign = np.array([1, 1, 0, 1, 1], np.int8)
    values = np.array([0, 0, 1, 0, 0, 1], np.int8)
    score = np.array([1.0, 2.0, -1.0, 0.5, 0.5, 0.0])
    last = np.array([3, 1, 0, 2, 2, 0], np.int64)

    def check(args: tuple[Any, ...], result: Any) -> str | None:
        n = args[5].size
        if not 0 <= int(result) < n:
            return f"returned index {int(result)} for a state with {n} variables"
        return None
    return [
        ProbeCase("both constraints violated",
                  (np.array([0, 1], np.int64), 2, con_start, lit_var, lit_sign, values.copy(), score,
                   last, np.array([0], np.int64), 1, np.array([5], np.int64), new_rng_state(2)), check),
        ProbeCase("only an objective unit is paid",
                  (np.zeros(2, np.int64), 0, con_start, lit_var, lit_sign, values.copy(), score,
                   last, np.array([0], np.int64), 1, np.array([5], np.int64), new_rng_state(2)), check),
    ]
