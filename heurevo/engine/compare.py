"""Compare an evolved heuristic set with the default on a held-out suite, through the real pipeline.

Both sides run in sandboxed workers under the same step budget, every solution verified. Each
instance is solved with several run seeds; a row reports mean objectives and the mean score of
the evolved set against the default (the problem's own score: 1.0 = as good as the default,
above 1 = better).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from heurevo.benchmarks.suites import build_suite
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.errors import HeurevoError
from heurevo.populations.records import Candidate


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


@dataclass(frozen=True)
class Comparison:
    """The rows, and the aggregate: mean score, wins/ties/losses by mean objective."""

    suite: str
    seeds: int
    budget_steps: int
    rows: tuple[ComparisonRow, ...]

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


def _mean(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values) / len(values)  # type: ignore[misc]


def compare(candidate: Candidate, suite_name: str, cache_dir: Path, work_dir: Path, *,
            budget_steps: int, seeds: int = 3, workers: int = 2, timeout_s: float = 60.0,
            first_seed: int = 0) -> Comparison:
    """Solve every instance of ``suite_name`` with the default and with ``candidate``.

    Run seeds ``first_seed .. first_seed + seeds - 1`` (each side derives its own solver seeds).
    """
    if seeds < 1:
        raise HeurevoError(f"seeds must be >= 1, got {seeds}")
    suite = build_suite(suite_name, candidate.problem, cache_dir)
    items = list(suite.instances)
    config = EvaluationConfig(budget_steps=budget_steps, timeout_s=timeout_s, workers=workers,
                              smoke=False, minibatch=0, full=True, early_stop_ratio=0.0)
    per_instance: dict[str, list[tuple[float | None, float | None, float, bool]]] = {
        i.name: [] for i in items}
    pool = None  # one set of warm workers for every seed
    try:
        runs = []
        for seed in range(first_seed, first_seed + seeds):
            evaluator = StagedEvaluator(candidate.problem, {"test": items}, config, seed, work_dir,
                                        pool=pool)
            pool = evaluator.pool
            runs.append((evaluator.baseline("test"), evaluator.evaluate(candidate, "test")))
    finally:
        if pool is not None:
            pool.close()
    for baseline, result in runs:
        if not result.ok:
            raise HeurevoError(f"candidate {candidate.id} failed on the held-out suite "
                               f"({result.status.value}): {result.error}")
        for r in result.instances:
            per_instance[r.instance].append((baseline.get(r.instance), r.objective if r.feasible else None,
                                             r.score, r.verified))
    rows = tuple(ComparisonRow(name, _mean([v[0] for v in vals]), _mean([v[1] for v in vals]),
                               sum(v[2] for v in vals) / len(vals), all(v[3] for v in vals),
                               tuple(v[0] for v in vals), tuple(v[2] for v in vals))
                 for name, vals in per_instance.items())
    return Comparison(suite.name, seeds, budget_steps, rows)
