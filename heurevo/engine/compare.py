"""Compare an evolved heuristic set with the default on a held-out suite, through the real pipeline.

Both sides run in sandboxed workers under the same step budget, every solution verified, and on
the same solver seeds: each (instance, seed) is a *pair*, and the evolved set's score on a pair
is relative to the default's result on that same pair (the problem's own score: 1.0 = as good
as the default, above 1 = better). A row reports one instance's mean objectives over the seeds;
the summary reports a paired test over all pairs, the mean score per instance family with a
confidence interval, and one verdict line.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator, instance_family
from heurevo.errors import HeurevoError
from heurevo.populations.records import Candidate
from heurevo.stats import MeanCI, PairedTest, mean_ci, paired_test
from heurevo.suites.catalog import build_suite


@dataclass(frozen=True)
class ComparisonRow:
    """One held-out instance: mean objectives over the seeds, and the evolved set's score."""

    instance: str
    default_objective: float | None
    evolved_objective: float | None
    score: float
    verified: bool
    default_objectives: tuple[float | None, ...] = ()  # one per seed
    scores: tuple[float, ...] = ()  # one per seed
    default_scores: tuple[float, ...] = ()  # the default's own score per seed (1.0 where feasible)
    family: str = ""


@dataclass(frozen=True)
class Comparison:
    """The rows, and the aggregate: mean score, paired test, families, wins/ties/losses."""

    suite: str
    seeds: int
    budget_steps: int
    rows: tuple[ComparisonRow, ...]
    method: Literal["wilcoxon", "sign"] = "wilcoxon"
    alpha: float = 0.05

    def default_spread(self) -> float:
        """The default's seed-to-seed spread: relative std of its objective, mean over instances."""
        spreads = []
        for r in self.rows:
            vals = [v for v in r.default_objectives if v is not None]
            if len(vals) >= 2 and statistics.fmean(vals) != 0:
                spreads.append(statistics.stdev(vals) / abs(statistics.fmean(vals)))
        return statistics.fmean(spreads) if spreads else 0.0

    @property
    def mean_score(self) -> float:
        """Mean score of the evolved set (1.0 = the default's quality)."""
        return sum(r.score for r in self.rows) / max(1, len(self.rows))

    def test(self, alternative: Literal["greater", "less"] = "greater") -> PairedTest:
        """The paired test of the evolved set's scores against the default's over every pair."""
        evolved = [s for r in self.rows for s in r.scores]
        default = [s for r in self.rows for s in r.default_scores]
        return paired_test(evolved, default, method=self.method, alternative=alternative)

    def families(self) -> dict[str, MeanCI]:
        """Mean score per instance family over its pairs, with a 95% interval."""
        by: dict[str, list[float]] = {}
        for r in self.rows:
            by.setdefault(r.family or instance_family(r.instance), []).extend(r.scores)
        return {name: mean_ci(vals) for name, vals in sorted(by.items())}

    def verdict(self) -> str:
        """One plain line: did the evolved set beat the default on these held-out instances?"""
        better, worse = self.test("greater"), self.test("less")
        pairs = f"{self.method} p = {better.p_value:.3g}, {better.n} pairs"
        if better.p_value < self.alpha:
            return f"the evolved heuristics beat the default significantly on {self.suite} ({pairs})"
        if worse.p_value < self.alpha:
            return (f"the evolved heuristics are significantly worse than the default on "
                    f"{self.suite} ({self.method} p = {worse.p_value:.3g} for worse, "
                    f"{worse.n} pairs)")
        return f"no significant difference from the default on {self.suite} ({pairs})"

    def tally(self, minimise: bool = True) -> tuple[int, int, int]:
        """(wins, ties, losses) of the evolved set by mean objective."""
        wins = ties = losses = 0
        for r in self.rows:
            if r.default_objective is None or r.evolved_objective is None:
                wins += r.default_objective is None and r.evolved_objective is not None
                losses += r.evolved_objective is None and r.default_objective is not None
                ties += r.evolved_objective is None and r.default_objective is None
                continue
            delta = r.default_objective - r.evolved_objective
            delta = delta if minimise else -delta
            if abs(delta) <= 1e-9 * max(1.0, abs(r.default_objective)):
                ties += 1
            elif delta > 0:
                wins += 1
            else:
                losses += 1
        return wins, ties, losses

    def summary(self) -> dict[str, Any]:
        """The machine-readable result (``--json``): every key the demo promises."""
        better, same, worse = self.tally()
        return {"mean_score": self.mean_score, "p_value": self.test("greater").p_value,
                "better": better, "same": same, "worse": worse,
                "families": {k: v.mean for k, v in self.families().items()},
                "verdict": self.verdict()}


def kept_default_summary(instances: list[str], verdict: str) -> dict[str, Any]:
    """The ``--json`` object when the run kept the default: nothing evolved, nothing to solve."""
    families = sorted({instance_family(n) for n in instances})
    return {"mean_score": 1.0, "p_value": 1.0, "better": 0, "same": len(instances), "worse": 0,
            "families": {f: 1.0 for f in families}, "verdict": verdict}


def _mean(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values) / len(values)  # type: ignore[misc]


def compare(candidate: Candidate, suite_name: str, cache_dir: Path, work_dir: Path, *,
            budget_steps: int, seeds: int = 3, workers: int = 2, timeout_s: float = 60.0,
            first_seed: int = 0, method: Literal["wilcoxon", "sign"] = "wilcoxon",
            alpha: float = 0.05) -> Comparison:
    """Solve every instance of ``suite_name`` with the default and with ``candidate``.

    Run seeds ``first_seed .. first_seed + seeds - 1``; under each, both sides get the same
    solver seed per instance (derived from the run seed and the instance).
    """
    if seeds < 1:
        raise HeurevoError(f"seeds must be >= 1, got {seeds}")
    suite = build_suite(suite_name, candidate.problem, cache_dir)
    items = list(suite.instances)
    config = EvaluationConfig(budget_steps=budget_steps, timeout_s=timeout_s, workers=workers,
                              smoke=False, minibatch=0, full=True, early_stop_ratio=0.0,
                              racing=False, test=method, alpha=alpha)
    per_instance: dict[str, list[tuple[float | None, float | None, float, bool, float]]] = {
        i.name: [] for i in items}
    pool = None  # one set of warm workers for every seed
    try:
        runs = []
        for seed in range(first_seed, first_seed + seeds):
            evaluator = StagedEvaluator(candidate.problem, {"test": items}, config, seed, work_dir,
                                        pool=pool)
            pool = evaluator.pool
            result = evaluator.evaluate(candidate, "test")
            runs.append((evaluator.baseline("test"), evaluator.default_scores("test"), result))
    finally:
        if pool is not None:
            pool.close()
    for baseline, default_scores, result in runs:
        if not result.ok:
            raise HeurevoError(f"candidate {candidate.id} failed on the held-out suite "
                               f"({result.status.value}): {result.error}")
        for r in result.instances:
            per_instance[r.instance].append((baseline.get(r.instance), r.objective if r.feasible else None,
                                             r.score, r.verified, default_scores[(r.instance, r.seed)]))
    families = {i.name: getattr(i, "family", "") or instance_family(i.name) for i in items}
    rows = tuple(ComparisonRow(name, _mean([v[0] for v in vals]), _mean([v[1] for v in vals]),
                               sum(v[2] for v in vals) / len(vals), all(v[3] for v in vals),
                               tuple(v[0] for v in vals), tuple(v[2] for v in vals),
                               tuple(v[4] for v in vals), families[name])
                 for name, vals in per_instance.items())
    return Comparison(suite.name, seeds, budget_steps, rows, method, alpha)
