"""Seeded synthetic PBO families with planted structure, written as valid OPB.

Families (``FAMILIES``): weighted set cover, multi-dimensional knapsack (as minimisation),
minimum weighted vertex cover, and an assignment family with equalities, ``~x`` literals and
optional product terms; sparse weighted set cover; weighted MaxSAT with relaxation
variables. Each instance built from a planted feasible solution, so every instance
is feasible. ``brute_force`` gives exact optima of small instances (for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from heurevo.instances.formats.opb import write_pb
from heurevo.instances.formats.pbmodel import PBConstraint, PBFormula, Term


def set_cover(n_elements: int, n_sets: int, seed: int, density: float = 0.2) -> PBFormula:
    """Weighted set cover: ``min sum w_s x_s`` with every element covered at least once."""
    rng = np.random.default_rng(seed)
    member = rng.random((n_elements, n_sets)) < density
    planted = rng.integers(0, n_sets, size=n_elements)
    member[np.arange(n_elements), planted] = True
    weights = rng.integers(1, 100, size=n_sets)
    cons = tuple(PBConstraint(tuple((1, (int(s) + 1,)) for s in np.flatnonzero(row)), ">=", 1)
                 for row in member)
    obj = tuple((int(w), (s + 1,)) for s, w in enumerate(weights))
    return PBFormula(n_vars=n_sets, constraints=cons, objective=obj,
                     name=f"setcover-{n_elements}x{n_sets}-s{seed}")


def knapsack(n_items: int, n_dims: int, seed: int, tightness: float = 0.5) -> PBFormula:
    """Multi-dimensional knapsack as ``min: -profit`` with one ``<=`` capacity per dimension."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 1000, size=(n_dims, n_items))
    profit = weights.mean(axis=0).astype(np.int64) + rng.integers(1, 500, size=n_items)
    caps = (weights.sum(axis=1) * tightness).astype(np.int64)
    cons = tuple(PBConstraint(tuple((int(w), (i + 1,)) for i, w in enumerate(row)), "<=", int(cap))
                 for row, cap in zip(weights, caps, strict=True))
    obj = tuple((-int(p), (i + 1,)) for i, p in enumerate(profit))
    return PBFormula(n_vars=n_items, constraints=cons, objective=obj,
                     name=f"knapsack-{n_items}x{n_dims}-s{seed}")


def vertex_cover(n_nodes: int, seed: int, edge_prob: float = 0.1) -> PBFormula:
    """Minimum weighted vertex cover, written with ``~x`` literals: ``~x_u + ~x_v <= 1``."""
    rng = np.random.default_rng(seed)
    edges = [(u, v) for u in range(n_nodes) for v in range(u + 1, n_nodes)
             if rng.random() < edge_prob]
    weights = rng.integers(1, 20, size=n_nodes)
    cons = tuple(PBConstraint(((1, (-(u + 1),)), (1, (-(v + 1),))), "<=", 1) for u, v in edges)
    obj = tuple((int(w), (i + 1,)) for i, w in enumerate(weights))
    return PBFormula(n_vars=n_nodes, constraints=cons, objective=obj,
                     name=f"vertexcover-{n_nodes}-s{seed}")


def assignment(n: int, seed: int, products: bool = False) -> PBFormula:
    """Assign n agents to n tasks one-to-one (``=`` constraints) at minimum cost.

    Variable ``x[a*n + t] + 1`` means agent a does task t. With ``products``, pairs of
    assignments also pay an interaction cost (product terms in the objective)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 50, size=(n, n))
    var = lambda a, t: a * n + t + 1  # noqa: E731
    cons = [PBConstraint(tuple((1, (var(a, t),)) for t in range(n)), "=", 1) for a in range(n)]
    cons += [PBConstraint(tuple((1, (var(a, t),)) for a in range(n)), "=", 1) for t in range(n)]
    obj: list[Term] = [(int(cost[a, t]), (var(a, t),)) for a in range(n) for t in range(n)]
    if products:
        for _ in range(n):
            a, b = rng.choice(n, size=2, replace=False)
            t, u = rng.integers(0, n, size=2)
            obj.append((int(rng.integers(5, 60)), (var(a, t), var(b, u))))
    return PBFormula(n_vars=n * n, constraints=tuple(cons), objective=tuple(obj),
                     name=f"assignment-{n}{'-prod' if products else ''}-s{seed}")


def max_sat(n_vars: int, n_clauses: int, seed: int) -> PBFormula:
    """Weighted MaxSAT as PBO: random 3-literal clauses, each with a relaxation variable.

    Clause c is ``l1 + l2 + l3 + r_c >= 1``; ``min sum w_c r_c`` (weights 1-9). At five clauses
    per variable (eight in FAMILIES) the formula is over-constrained, so the optimum pays for some clauses and a
    local search has real choices (setting every ``r_c`` is always feasible)."""
    rng = np.random.default_rng(seed)
    cons = []
    for c in range(n_clauses):
        vs = rng.choice(n_vars, size=3, replace=False) + 1
        signs = rng.random(3) < 0.5
        lits = tuple((1, (int(v) if s else -int(v),)) for v, s in zip(vs, signs, strict=True))
        cons.append(PBConstraint((*lits, (1, (n_vars + c + 1,))), ">=", 1))
    weights = rng.integers(1, 10, size=n_clauses)
    obj = tuple((int(w), (n_vars + c + 1,)) for c, w in enumerate(weights))
    return PBFormula(n_vars=n_vars + n_clauses, constraints=tuple(cons), objective=obj,
                     name=f"maxsat-{n_vars}x{n_clauses}-s{seed}")


#: family name → generator(size, seed) with a sensible shape for that size.
FAMILIES: dict[str, Callable[[int, int], PBFormula]] = {
    "setcover": lambda size, seed: set_cover(size, max(2, size // 2), seed),
    "knapsack": lambda size, seed: knapsack(size, 3, seed),
    "vertexcover": lambda size, seed: vertex_cover(size, seed, edge_prob=min(1.0, 4.0 / size)),
    "assignment": lambda size, seed: assignment(max(2, round(size ** 0.5)), seed, True),
    # OR-library-like sparse cover: each element in about 3 of 2 * size sets (the dense
    # "setcover" family is solved to the same value by almost any search)
    "sparsecover": lambda size, seed: set_cover(size, 2 * size, seed, density=3.0 / (2 * size)),
    "maxsat": lambda size, seed: max_sat(max(3, size // 9), size - max(3, size // 9), seed),
}


def generate(family: str, size: int, seed: int) -> PBFormula:
    """An instance of ``family`` with about ``size`` variables (or elements)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown PBO family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family](size, seed)


def write_suite(folder: str | Path, families: list[str], sizes: list[int],
                seeds: list[int]) -> list[Path]:
    """Write one OPB file per (family, size, seed) into ``folder``; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fam in families:
        for size in sizes:
            for seed in seeds:
                f = generate(fam, size, seed)
                paths.append(write_pb(f, out / f"{f.name}.opb"))
    return paths


def brute_force(formula: PBFormula) -> int | None:
    """The exact optimum (minimum of ``min:``, maximum of ``max:``) by enumeration; None if infeasible.

    For small formulas only (at most 22 variables)."""
    n = formula.n_vars
    if formula.is_wbo:
        raise ValueError("brute force handles OPB formulas only")
    if n > 22:
        raise ValueError(f"brute force needs <= 22 variables, got {n}")
    codes = np.arange(2**n, dtype=np.int64)
    truth = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)

    def value(terms: tuple[Term, ...]) -> np.ndarray:
        total = np.zeros(codes.size, dtype=object if _big(terms) else np.int64)
        for coef, lits in terms:
            prod = np.ones(codes.size, dtype=bool)
            for lit in lits:
                prod &= truth[:, lit - 1] if lit > 0 else ~truth[:, -lit - 1]
            total = total + coef * prod
        return total

    ok = np.ones(codes.size, dtype=bool)
    for c in formula.constraints:
        lhs = value(c.terms)
        ok &= {">=": lhs >= c.rhs, "<=": lhs <= c.rhs, "=": lhs == c.rhs,
               ">": lhs > c.rhs, "<": lhs < c.rhs}[c.relop]
    if not ok.any():
        return None
    if formula.objective is None:
        return 0
    obj = value(formula.objective)[ok]
    return int(obj.max() if formula.sense == "max" else obj.min())


def _big(terms: tuple[Term, ...]) -> bool:
    return sum(abs(c) for c, _ in terms) >= 2**62
