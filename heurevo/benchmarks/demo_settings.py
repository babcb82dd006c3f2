"""The settings ``heurevo demo`` should use per problem, and the check that they show a real gain.

A :class:`DemoSettings` names the training and held-out suites, the slots GP evolves, the
evaluation budget of the run and the solver steps per instance run. They were chosen by
measurement (README, "Where evolution finds gains"): families where the default search does
not reach the same value on every seed at that step budget, so a better heuristic exists, and
slots whose holes reach it. :func:`check_demo` repeats the demo for several seeds: evolve, then
default vs the reported best on the held-out suite, with a paired Wilcoxon test over instances
× held-out seeds and the mean score per family. Run it as
``python -m heurevo.benchmarks.demo_settings pbo --seeds 5``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heurevo.engine.compare import Comparison, compare
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import execute, prepare_run, suite_cache_dir
from heurevo.populations.lineage import best_candidate
from heurevo.stats import mean_ci, paired_test


@dataclass(frozen=True)
class DemoSettings:
    """What the demo evolves on, for how long, and where it is judged."""

    problem: str
    train_suite: str
    heldout_suite: str
    slots: tuple[str, ...]
    evaluations: int
    budget_steps: int
    heldout_seeds: int = 3

    def run_config(self, seed: int, workers: int = 2) -> RunConfig:
        """The run configuration of the demo under ``seed``."""
        config = RunConfig(problem=self.problem, seed=seed, slots=self.slots, proposer="gp",  # type: ignore[arg-type]
                           suite=SuiteConfig(name=self.train_suite),
                           budget=dataclasses.replace(BudgetConfig(), evaluations=self.evaluations))
        return dataclasses.replace(config, evaluation=dataclasses.replace(
            config.evaluation, budget_steps=self.budget_steps, workers=workers))


#: problem → the demo's settings.
DEMO: dict[str, DemoSettings] = {
    "pbo": DemoSettings("pbo", "pbo-mixed-small", "pbo-mixed-heldout", ("update_weights",),
                        evaluations=40, budget_steps=20_000),
    "tsp": DemoSettings("tsp", "tsp-clustered-500", "tsp-clustered-500-heldout",
                        ("penalize_edges",), evaluations=40, budget_steps=100),
}


def family(instance: str) -> str:
    """A generated instance's family: its file name up to the first '-' (``knapsack-150x3-s1``)."""
    return Path(instance).name.split("-", 1)[0]


def summarise(result: Comparison) -> dict[str, Any]:
    """Mean score, one-sided paired Wilcoxon p-value (evolved better), tally and family means."""
    scores = [s for r in result.rows for s in r.scores]
    test = paired_test(scores, [1.0] * len(scores), method="wilcoxon", alternative="greater")
    fams: dict[str, list[float]] = {}
    for r in result.rows:
        fams.setdefault(family(r.instance), []).extend(r.scores)
    better, same, worse = result.tally()
    return {"mean_score": statistics.fmean(scores), "p_value": test.p_value, "better": better,
            "same": same, "worse": worse,
            "families": {f: statistics.fmean(v) for f, v in sorted(fams.items())}}


def demo_once(settings: DemoSettings, seed: int, work: Path, workers: int = 2) -> dict[str, Any]:
    """One demo under ``seed``: evolve, then default vs the reported best on the held-out suite."""
    config = settings.run_config(seed, workers)
    run = prepare_run(config, work / f"demo-{settings.problem}-s{seed}")
    try:
        execute(run)
        best = best_candidate(run.store)
    finally:
        run.close()
    if best is None:
        raise RuntimeError(f"demo seed {seed}: the run evaluated nothing")
    cand = best[0]
    result = compare(cand, settings.heldout_suite, suite_cache_dir(), work / f"compare-s{seed}",
                     budget_steps=settings.budget_steps, seeds=settings.heldout_seeds,
                     workers=workers, first_seed=1000 * seed)
    return {"seed": seed, "candidate": cand.id, "idea": cand.idea, **summarise(result)}


def check_demo(problem: str, seeds: int = 5, workers: int = 2) -> dict[str, Any]:
    """The demo under seeds 0..seeds-1, with mean ± std of the per-seed figures."""
    settings = DEMO[problem]
    with tempfile.TemporaryDirectory(prefix="heurevo-demo-check-") as tmp:
        runs = [demo_once(settings, s, Path(tmp), workers) for s in range(seeds)]
    fams = sorted({f for r in runs for f in r["families"]})
    return {"settings": dataclasses.asdict(settings), "runs": runs,
            "mean_score": _mean_std([r["mean_score"] for r in runs]),
            "significant_seeds": sum(r["p_value"] < 0.05 and r["mean_score"] > 1.0 for r in runs),
            "families": {f: _mean_std([r["families"][f] for r in runs]) for f in fams}}


def _mean_std(values: list[float]) -> str:
    m = mean_ci(values)
    return f"{m.mean:.4f} ± {m.std:.4f}"


def main(argv: list[str] | None = None) -> None:
    """Command line: check the demo settings of one problem over several seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", choices=sorted(DEMO))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(check_demo(args.problem, args.seeds, args.workers), indent=2))


if __name__ == "__main__":
    main()
