"""The settings ``heurevo demo`` should use per problem, and the check that they show a real gain.

A :class:`DemoSettings` names the training and held-out suites, the slots GP evolves, the
evaluation budget of the run and the solver steps per instance run. They were chosen by
measurement (README, "Where evolution finds gains"): families where the default search does
not reach the same value on every seed at that step budget, so a better heuristic exists, and
slots whose holes reach it. :func:`check_demo` repeats the demo for several seeds: evolve (the
guard included), then default vs the reported best on the held-out suite, with a paired
Wilcoxon test over instances × held-out seeds and the mean score per family; over all seeds, a
pooled paired test over every held-out pair, the pooled score per family and every (seed,
family) whose mean is below 1.0. Run it as
``python -m heurevo.bench.demo_settings pbo --seeds 5``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heurevo.engine.compare import compare, instance_family, kept_default_summary
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import execute, prepare_run
from heurevo.populations.export import is_default
from heurevo.populations.lineage import NO_GAIN_VERDICT, best_candidate
from heurevo.solvers.problem import get_problem
from heurevo.stats import mean_ci, paired_test
from heurevo.suites.catalog import build_suite, suite_cache_dir

#: One held-out pair of a demo run: (instance, family, evolved score, default's score).
Pair = tuple[str, str, float, float]


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
    #: Seeds per validation instance for the guard. A gain confined to one family shows on few
    #: validation instances; with 3 seeds a one-sided Wilcoxon test cannot go below p = 1/8 there.
    validation_seeds: int = 8

    def run_config(self, seed: int, workers: int = 2) -> RunConfig:
        """The run configuration of the demo under ``seed``."""
        config = RunConfig(problem=self.problem, seed=seed, slots=self.slots, proposer="gp",  # type: ignore[arg-type]
                           suite=SuiteConfig(name=self.train_suite),
                           budget=dataclasses.replace(BudgetConfig(), evaluations=self.evaluations))
        return dataclasses.replace(config, evaluation=dataclasses.replace(
            config.evaluation, budget_steps=self.budget_steps, workers=workers,
            validation_seeds=self.validation_seeds))


#: problem → the demo's settings.
DEMO: dict[str, DemoSettings] = {
    "pbo": DemoSettings("pbo", "pbo-mixed-small", "pbo-mixed-heldout", ("update_weights",),
                        evaluations=40, budget_steps=20_000),
    "tsp": DemoSettings("tsp", "tsp-clustered-500", "tsp-clustered-500-heldout",
                        ("penalize_edges",), evaluations=40, budget_steps=100),
}


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
    slots = get_problem(settings.problem).slots()
    if is_default(cand, slots):  # the guard kept the default
        names = [i.name for i in build_suite(settings.heldout_suite, settings.problem,
                                             suite_cache_dir()).instances]
        pairs = [(n, instance_family(n), 1.0, 1.0) for n in names
                 for _ in range(settings.heldout_seeds)]
        return {"seed": seed, "candidate": cand.id, "idea": "", "pairs": pairs,
                **kept_default_summary(names, NO_GAIN_VERDICT)}
    result = compare(cand, settings.heldout_suite, suite_cache_dir(), work / f"compare-s{seed}",
                     budget_steps=settings.budget_steps, seeds=settings.heldout_seeds,
                     workers=workers, first_seed=1000 * seed)
    pairs = [(r.instance, r.family or instance_family(r.instance), s, d) for r in result.rows
             for s, d in zip(r.scores, r.default_scores, strict=True)]
    return {"seed": seed, "candidate": cand.id, "idea": cand.idea, "pairs": pairs,
            "sources": {n: src for n, src in cand.sources.items()
                        if src != slots[n].default_source}, **result.summary()}


def check_demo(problem: str, seeds: int = 5, workers: int = 2, first_seed: int = 0) -> dict[str, Any]:
    """The demo under seeds first_seed.., with mean ± std of the per-seed figures."""
    settings = DEMO[problem]
    with tempfile.TemporaryDirectory(prefix="heurevo-demo-check-") as tmp:
        runs = [demo_once(settings, s, Path(tmp), workers)
                for s in range(first_seed, first_seed + seeds)]
    return check_figures(settings, runs)


def check_figures(settings: DemoSettings, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a demo check from its runs (also of checks run in parts, then merged)."""
    fams = sorted({f for r in runs for f in r["families"]})
    return {"settings": dataclasses.asdict(settings), "runs": runs,
            "mean_score": _mean_std([r["mean_score"] for r in runs]),
            "significant_seeds": sum(r["p_value"] < 0.05 and r["mean_score"] > 1.0 for r in runs),
            "families": {f: _mean_std([r["families"][f] for r in runs]) for f in fams},
            **pooled_figures(runs)}


def pooled_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Over every held-out pair of every seed: the paired test (one-sided, evolved better), the
    pooled mean score per family with its own one-sided p-value, and the (seed, family) cells
    whose mean score is below 1.0."""
    pairs: list[Pair] = [tuple(p) for r in runs for p in r["pairs"]]  # type: ignore[misc]
    test = paired_test([p[2] for p in pairs], [p[3] for p in pairs])
    families = {}
    for fam in sorted({p[1] for p in pairs}):
        rows = [p for p in pairs if p[1] == fam]
        t = paired_test([p[2] for p in rows], [p[3] for p in rows])
        families[fam] = {"mean": mean_ci([p[2] for p in rows]).mean, "p_value": t.p_value,
                         "better": t.better, "worse": t.worse, "pairs": t.n}
    below = [{"seed": r["seed"], "family": f, "mean": m} for r in runs
             for f, m in sorted(r["families"].items()) if m < 1.0]
    return {"pooled": {"mean": mean_ci([p[2] for p in pairs]).mean, "p_value": test.p_value,
                       "better": test.better, "worse": test.worse, "pairs": test.n},
            "pooled_families": families, "families_below_1": below}


def _mean_std(values: list[float]) -> str:
    m = mean_ci(values)
    return f"{m.mean:.4f} ± {m.std:.4f}"


def main(argv: list[str] | None = None) -> None:
    """Command line: check the demo settings of one problem over several seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", choices=sorted(DEMO))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--merge", type=Path, nargs="+",
                        help="instead of running: merge the outputs of checks run in parts")
    args = parser.parse_args(argv)
    if args.merge:
        runs = [r for path in args.merge for r in json.loads(path.read_text())["runs"]]
        print(json.dumps(check_figures(DEMO[args.problem], sorted(runs, key=lambda r: r["seed"])),
                         indent=2))
        return
    print(json.dumps(check_demo(args.problem, args.seeds, args.workers, args.first_seed), indent=2))


if __name__ == "__main__":
    main()
