"""``heurevo bench evolve``: does offline GP evolution beat the default on held-out instances?

For each target (a PBO family, TSP GLS on 500-city instances) and each of several seeds: a real
run (GP proposer, fixed evaluation budget, sandboxed workers, SQLite store in a temporary folder)
evolves on the training suite; its reported best (judged on validation) and the default then
solve the held-out suite under that seed. Quality per instance is the problem's score against a
fixed reference, the default's mean objective over all seeds; reported as mean ± std over seeds
for the default and for the evolved heuristics. The evolution counts when the margin exceeds the
default's seed-to-seed std. Also reported: engine overhead (proposer, controller and store time)
as a share of the run's wall time.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from heurevo.benchmarks.suites import build_suite
from heurevo.engine.compare import compare
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import execute, prepare_run, suite_cache_dir
from heurevo.populations.lineage import best_candidate
from heurevo.solvers.problem import get_problem


@dataclass(frozen=True)
class Target:
    """One benchmark line: what is evolved on what, and judged where."""

    name: str
    problem: str
    train_suite: str
    heldout_suite: str
    slots: tuple[str, ...] = ()
    per_instance: bool = False  # also print default vs evolved per held-out instance


TARGETS = {
    "pbo-knapsack": Target("pbo-knapsack", "pbo", "pbo-knapsack", "pbo-knapsack-heldout"),
    "pbo-setcover": Target("pbo-setcover", "pbo", "pbo-setcover", "pbo-setcover-heldout"),
    "tsp-500": Target("tsp-500", "tsp", "tsp-uniform-500", "tsp-uniform-500-heldout",
                      ("penalize_edges",)),
    **{f"pbo-{f}": Target(f"pbo-{f}", "pbo", f"pbo-{f}", f"pbo-{f}-heldout")
       for f in ("vertexcover", "sparsecover", "maxsat")},
    "tsp-clustered-500": Target("tsp-clustered-500", "tsp", "tsp-clustered-500",
                                "tsp-clustered-500-heldout", ("penalize_edges",)),
    "pbo-real": Target("pbo-real", "pbo", "pbo-real-train", "pbo-real-test", per_instance=True),
}


def _evolve_once(target: Target, seed: int, evaluations: int, workers: int,
                 work: Path) -> dict[str, Any]:
    """One run and its held-out comparison under ``seed``."""
    config = RunConfig(problem=target.problem, seed=seed, slots=target.slots, proposer="gp",  # type: ignore[arg-type]
                       suite=SuiteConfig(name=target.train_suite),
                       budget=dataclasses.replace(BudgetConfig(), evaluations=evaluations))
    config = dataclasses.replace(config, evaluation=dataclasses.replace(config.evaluation,
                                                                        workers=workers))
    run = prepare_run(config, work / f"{target.name}-s{seed}")
    try:
        t0 = time.perf_counter()
        summary = execute(run)
        wall = time.perf_counter() - t0
        best = best_candidate(run.store)
    finally:
        run.close()
    if best is None:
        raise RuntimeError(f"{target.name} seed {seed}: the run evaluated nothing")
    cand = best[0]
    cmp = compare(cand, target.heldout_suite, suite_cache_dir(), work / "compare",
                  budget_steps=config.evaluation.budget_steps, seeds=1, workers=workers,
                  first_seed=seed)
    return {"seed": seed, "candidate": cand.id, "idea": cand.idea, "changed": sorted(
                n for n, s in cand.sources.items() if s != run.evaluator.slots[n].default_source),
            "wall_s": wall, "engine_s": summary.stats.engine_seconds,
            "evaluations": summary.stats.evaluations,
            "rows": [(r.instance, r.default_objective, r.evolved_objective) for r in cmp.rows]}


def _qualities(target: Target, runs: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Per seed: mean score of the default and of the evolved set against the fixed reference."""
    adapter = get_problem(target.problem)
    suite = build_suite(target.heldout_suite, target.problem, suite_cache_dir())
    loaded = {i.name: adapter.load(Path(i.path)) for i in suite.instances}
    refs: dict[str, float | None] = {}
    for name in loaded:
        vals = [d for run in runs for inst, d, _ in run["rows"] if inst == name and d is not None]
        refs[name] = statistics.fmean(vals) if vals else None
    default_q, evolved_q = [], []
    for run in runs:
        d_scores, e_scores = [], []
        for inst, d, e in run["rows"]:
            d_scores.append(adapter.score(loaded[inst], d, d is not None, refs[inst]))
            e_scores.append(adapter.score(loaded[inst], e, e is not None, refs[inst]))
        default_q.append(statistics.fmean(d_scores))
        evolved_q.append(statistics.fmean(e_scores))
    return default_q, evolved_q


def _per_instance_table(target: Target, runs: list[dict[str, Any]]) -> Table:
    """Mean objective of the default and the evolved set per held-out instance, over the seeds."""
    table = Table(title=f"{target.name}: per held-out instance (mean over {len(runs)} seeds, "
                        "minimised objective)")
    for col in ("instance", "default", "evolved", "evolved better / same / worse"):
        table.add_column(col, justify="left" if col == "instance" else "right")
    for k, (inst, _, _) in enumerate(runs[0]["rows"]):
        pairs = [(r["rows"][k][1], r["rows"][k][2]) for r in runs]
        d = [x for x, _ in pairs if x is not None]
        e = [y for _, y in pairs if y is not None]
        b = sum(x is not None and y is not None and y < x for x, y in pairs)
        w = sum(x is not None and y is not None and y > x for x, y in pairs)
        table.add_row(inst, f"{statistics.fmean(d):.1f}" if d else "infeasible",
                      f"{statistics.fmean(e):.1f}" if e else "infeasible",
                      f"{b} / {len(pairs) - b - w} / {w}")
    return table


def _mean_std(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0


def run_evolve_bench(*, targets: list[str], seeds: int = 5, evaluations: int = 100,
                     workers: int = 2, out: Path | None = None,
                     console: Console | None = None) -> dict[str, Any]:
    """Run every target over ``seeds`` seeds; print and return the figures."""
    console = console or Console()
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; known: {', '.join(TARGETS)}")
    figures: dict[str, Any] = {}
    table = Table(title=f"GP evolution vs default on held-out instances ({seeds} seeds, "
                        f"{evaluations} evaluations per run)")
    for col in ("target", "default", "evolved", "margin / default std", "beats", "engine overhead",
                "run time"):
        table.add_column(col, justify="left" if col == "target" else "right")
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-evolve-") as tmp:
        for name in targets:
            target = TARGETS[name]
            runs = []
            for seed in range(1, seeds + 1):
                with console.status(f"{name}: evolving with seed {seed}/{seeds}..."):
                    runs.append(_evolve_once(target, seed, evaluations, workers, Path(tmp)))
            default_q, evolved_q = _qualities(target, runs)
            (dm, ds), (em, es) = _mean_std(default_q), _mean_std(evolved_q)
            overhead = sum(r["engine_s"] for r in runs) / sum(r["wall_s"] for r in runs)
            beats = em - dm > ds
            figures[name] = {"default_mean": dm, "default_std": ds, "evolved_mean": em,
                             "evolved_std": es, "beats_default": beats,
                             "engine_overhead": overhead, "runs": runs}
            table.add_row(name, f"{dm:.4f} ± {ds:.4f}", f"{em:.4f} ± {es:.4f}",
                          f"{(em - dm) / ds:.1f}" if ds > 0 else "n/a",
                          "[green]yes[/]" if beats else "[red]no[/]", f"{100 * overhead:.2f}%",
                          f"{statistics.fmean(r['wall_s'] for r in runs):.0f} s/run")
            if target.per_instance:
                console.print(_per_instance_table(target, runs))
    console.print(table)
    console.print("quality: the problem's score against the default's mean objective over all "
                  "seeds (1.0 = that mean; higher is better); engine overhead: proposer, "
                  "controller and store time / run wall time")
    if out is not None:
        out.write_text(json.dumps(figures, indent=2, default=str))
    return figures
