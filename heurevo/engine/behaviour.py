"""Behaviour descriptors of evaluated candidates: what a heuristic *does*, as a vector.

A descriptor has three parts, aligned over a population so candidates can be compared:

* the per-instance effect against the default (``InstanceResult.score`` is already relative to
  the default's objective on that instance; an instance a candidate did not reach, e.g. after an
  early stop on the minibatch, takes the candidate's own mean);
* anytime features from the solver traces: the share of the step budget spent before the first
  feasible solution and before the best one (mean over instances; 1.0 when none was found);
* the failure kind, one-hot over :class:`EvalStatus` (zeros except the evaluation's status).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heurevo.populations.records import EvalStatus, EvaluationResult, InstanceResult

STATUSES = tuple(EvalStatus)


def anytime(result: InstanceResult) -> tuple[float, float]:
    """Share of the run's steps before the first feasible and before the best solution."""
    if not result.trace or not result.feasible:
        return 1.0, 1.0
    total = max(result.steps, result.trace[-1][0], 1)
    return result.trace[0][0] / total, result.trace[-1][0] / total


def descriptors(results: Sequence[EvaluationResult]) -> np.ndarray:
    """One behaviour row per result, columns aligned by instance name across all of them."""
    names = sorted({r.instance for res in results for r in res.instances})
    column = {n: i for i, n in enumerate(names)}
    rows = np.zeros((len(results), len(names) + 2 + len(STATUSES)))
    for k, res in enumerate(results):
        scores = [r.score for r in res.instances]
        fill = float(np.mean(scores)) if scores else 0.0
        rows[k, : len(names)] = fill
        for r in res.instances:
            rows[k, column[r.instance]] = r.score
        times = [anytime(r) for r in res.instances] or [(1.0, 1.0)]
        rows[k, len(names)] = float(np.mean([t[0] for t in times]))
        rows[k, len(names) + 1] = float(np.mean([t[1] for t in times]))
        rows[k, len(names) + 2 + STATUSES.index(res.status)] = 1.0
    return rows


def same_behaviour(a: EvaluationResult, b: EvaluationResult, tol: float = 1e-4) -> bool:
    """True when two evaluations scored within ``tol`` of each other on every instance.

    Seeds are derived from the candidate, so even identical code differs a little between two
    candidates; ``tol`` is the score difference still counted as the same behaviour.
    """
    if not a.ok or not b.ok or not a.instances:
        return False
    xs = {r.instance: r for r in a.instances}
    ys = {r.instance: r for r in b.instances}
    if xs.keys() != ys.keys():
        return False
    return all(xs[n].feasible == ys[n].feasible and abs(xs[n].score - ys[n].score) <= tol for n in xs)
