"""``heurevo bench evolve``: does offline GP evolution beat the default on held-out instances?

For each target (a PBO family, TSP GLS on 500-city instances) and each of several seeds, two real
runs (GP proposer, the same evaluation budget, sandboxed workers, SQLite store in a temporary
folder) evolve on the training suite: one with racing, one with today's full evaluation of every
candidate. Each run's reported best (it passed the validation guard, or it is the default) and
the default then solve the held-out suite on the same solver seeds. Reported per target and per
instance family: the evolved set's held-out score (1.0 = the default on the same instance and
seed) as mean ± std over the seeds, the p-value of a paired test over every held-out pair of
every seed, and better/same/worse pairs; and racing against full evaluation: held-out score and
the solver steps both spent on training, from the same invocation. Engine overhead (proposer,
controller and store time) is reported as a share of run wall time.

:func:`run_headroom` asks the question before any evolution: on each target's held-out suite,
does the default itself find better values with ``factor`` times the steps, and do its seeds
agree at the bench's budget? A family the default solves to the same value on every seed, and
no better with more steps, leaves a heuristic nothing to gain at that budget.
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

from heurevo.bench.cire_figures import cire_figures
from heurevo.engine.cire import CireConfig
from heurevo.engine.compare import compare, instance_family
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import execute, prepare_run
from heurevo.populations.export import is_default
from heurevo.populations.lineage import best_candidate
from heurevo.solvers.problem import get_problem, problem_info
from heurevo.stats import paired_test
from heurevo.suites.catalog import build_suite, suite_cache_dir


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
    "pbo-mixed": Target("pbo-mixed", "pbo", "pbo-mixed-small", "pbo-mixed-heldout"),
    "tsp-500": Target("tsp-500", "tsp", "tsp-uniform-500", "tsp-uniform-500-heldout",
                      ("penalize_edges",)),
    **{f"pbo-{f}": Target(f"pbo-{f}", "pbo", f"pbo-{f}", f"pbo-{f}-heldout")
       for f in ("vertexcover", "sparsecover", "maxsat")},
    "tsp-clustered-500": Target("tsp-clustered-500", "tsp", "tsp-clustered-500",
                                "tsp-clustered-500-heldout", ("penalize_edges",)),
    "pbo-real": Target("pbo-real", "pbo", "pbo-real-train", "pbo-real-test", per_instance=True),
    # Only NuPBO's weighting (the slot with leverage on knapsack): MaxSAT has headroom at the
    # bench budget (the default gains 3% with 4x the steps) where evolving every slot found none.
    "pbo-maxsat-weights": Target("pbo-maxsat-weights", "pbo", "pbo-maxsat", "pbo-maxsat-heldout",
                                 ("update_weights",)),
}

#: The two evaluation modes compared: racing (the default) and full evaluation of every candidate.
MODES = {"racing": True, "full": False}


def _train_steps(store: Any) -> int:
    """Solver steps the run spent on training evaluations (the baselines are the same for both)."""
    return int(sum(r.metrics.get("solver_steps", 0.0) for k, r in store.evaluations()
                   if k.split("/")[1:2] == ["train"]))


def _evolve_once(target: Target, seed: int, evaluations: int, workers: int, racing: bool,
                 work: Path, seeds_per_instance: int = 1, cire: CireConfig | None = None,
                 label: str = "") -> dict[str, Any]:
    """One run (plain, or with the ``cire`` components) and its held-out comparison under
    ``seed``: per-pair scores and steps spent."""
    config = RunConfig(problem=target.problem, seed=seed, slots=target.slots, proposer="gp",  # type: ignore[arg-type]
                       suite=SuiteConfig(name=target.train_suite),
                       budget=dataclasses.replace(BudgetConfig(), evaluations=evaluations),
                       cire=cire or CireConfig())
    config = dataclasses.replace(config, evaluation=dataclasses.replace(
        config.evaluation, workers=workers, racing=racing, seeds_per_instance=seeds_per_instance))
    mode = "racing" if racing else "full"
    run = prepare_run(config, work / f"{target.name}-{mode}-s{seed}{label}")
    try:
        t0 = time.perf_counter()
        summary = execute(run)
        wall = time.perf_counter() - t0
        best = best_candidate(run.store)
        steps = _train_steps(run.store)
        slots = run.evaluator.slots
        extra = cire_figures(run, summary)
        events = run.store.events("validated")
        guard = events[-1].data if events else {}
    finally:
        run.close()
    if best is None:
        raise RuntimeError(f"{target.name} seed {seed}: the run evaluated nothing")
    cand = best[0]
    kept = is_default(cand, slots)
    found = summary.best  # what the search found on train, whether or not it passed the guard
    search = {"train_fitness": found.fitness if found else None,
              "sources": {n: s for n, s in found.candidate.sources.items()
                          if s != slots[n].default_source} if found else {},
              "guard_p_value": guard.get("p_value"), "worse_families": guard.get("worse_families")}
    if kept:  # the default itself: every held-out pair is the default's own result
        names = [i.name for i in build_suite(target.heldout_suite, target.problem,
                                             suite_cache_dir()).instances]
        pairs = [(n, 1.0, 1.0) for n in names]
    else:
        cmp = compare(cand, target.heldout_suite, suite_cache_dir(), work / "compare",
                      budget_steps=config.evaluation.budget_steps, seeds=1, workers=workers,
                      first_seed=seed)
        pairs = [(r.instance, s, d) for r in cmp.rows for s, d in zip(r.scores, r.default_scores,
                                                                      strict=True)]
    return {"seed": seed, "mode": mode, "candidate": cand.id, "kept_default": kept,
            "verdict": summary.verdict, "changed": sorted(
                n for n, s in cand.sources.items() if s != slots[n].default_source),
            "wall_s": wall, "engine_s": summary.stats.engine_seconds,
            "evaluations": summary.stats.evaluations, "train_steps": steps,
            "pairs": pairs, "search": search, **extra}


def _family_figures(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per family: mean ± std over seeds of the family's mean score, pooled paired test, tally."""
    out: dict[str, dict[str, Any]] = {}
    families = sorted({instance_family(n) for run in runs for n, _, _ in run["pairs"]})
    for fam in [*families, "all"]:
        per_seed, evolved, default = [], [], []
        for run in runs:
            rows = [(s, d) for n, s, d in run["pairs"] if fam == "all" or instance_family(n) == fam]
            per_seed.append(statistics.fmean(s for s, _ in rows))
            evolved += [s for s, _ in rows]
            default += [d for _, d in rows]
        test = paired_test(evolved, default)
        out[fam] = {"mean": statistics.fmean(per_seed),
                    "std": statistics.stdev(per_seed) if len(per_seed) > 1 else 0.0,
                    "p_value": test.p_value, "better": test.better, "worse": test.worse,
                    "same": test.n - test.n_nonzero, "pairs": test.n}
    return out


def _per_instance_table(target: Target, runs: list[dict[str, Any]]) -> Table:
    """Per held-out instance: the evolved set's mean score over the seeds and the tally of pairs."""
    table = Table(title=f"{target.name}: per held-out instance ({len(runs)} seeds; score 1.0 = "
                        "the default's result on the same seed)")
    for col in ("instance", "mean score", "evolved better / same / worse"):
        table.add_column(col, justify="left" if col == "instance" else "right")
    names = sorted({n for run in runs for n, _, _ in run["pairs"]})
    for name in names:
        pairs = [(s, d) for run in runs for n, s, d in run["pairs"] if n == name]
        better = sum(s > d for s, d in pairs)
        worse = sum(s < d for s, d in pairs)
        table.add_row(name, f"{statistics.fmean(s for s, _ in pairs):.4f}",
                      f"{better} / {len(pairs) - better - worse} / {worse}")
    return table


def run_evolve_bench(*, targets: list[str], seeds: int = 5, evaluations: int = 100,
                     workers: int = 2, out: Path | None = None, modes: tuple[str, ...] = ("racing", "full"),
                     seeds_per_instance: int = 1, console: Console | None = None) -> dict[str, Any]:
    """Run every target over ``seeds`` seeds in each mode; print and return the figures.

    ``seeds_per_instance``: training replicates per instance in both modes (the pairs racing
    can stop early on; full evaluation runs them all).
    """
    console = console or Console()
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; known: {', '.join(TARGETS)}")
    bad_modes = [m for m in modes if m not in MODES]
    if bad_modes:
        raise ValueError(f"unknown mode(s) {bad_modes}; known: {', '.join(MODES)}")
    figures: dict[str, Any] = {"seeds": seeds, "evaluations": evaluations,
                               "seeds_per_instance": seeds_per_instance, "targets": {}}
    quality = Table(title=f"GP evolution vs default on held-out instances ({seeds} seeds, "
                          f"{evaluations} evaluations per run, {seeds_per_instance} training "
                          "seed(s) per instance)")
    for col in ("target", "mode", "family", "score (mean ± std over seeds)", "p (paired)",
                "better / same / worse pairs", "kept default"):
        quality.add_column(col, justify="left" if col in ("target", "mode", "family") else "right")
    cost = Table(title="racing vs full evaluation (same runs)")
    for col in ("target", "mode", "held-out score", "training solver steps", "steps vs full",
                "engine overhead", "run time"):
        cost.add_column(col, justify="left" if col in ("target", "mode") else "right")
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-evolve-") as tmp:
        for name in targets:
            target = TARGETS[name]
            per_mode: dict[str, Any] = {}
            for mode in modes:
                runs = []
                for seed in range(1, seeds + 1):
                    with console.status(f"{name} ({mode}): evolving with seed {seed}/{seeds}..."):
                        runs.append(_evolve_once(target, seed, evaluations, workers, MODES[mode],
                                                 Path(tmp), seeds_per_instance))
                fams = _family_figures(runs)
                kept = sum(r["kept_default"] for r in runs)
                per_mode[mode] = {"families": fams, "kept_default": kept,
                                  "train_steps": sum(r["train_steps"] for r in runs),
                                  "engine_overhead": sum(r["engine_s"] for r in runs)
                                  / sum(r["wall_s"] for r in runs),
                                  "wall_s_per_run": statistics.fmean(r["wall_s"] for r in runs),
                                  "runs": runs}
                for fam, f in fams.items():
                    quality.add_row(name, mode, fam, f"{f['mean']:.4f} ± {f['std']:.4f}",
                                    f"{f['p_value']:.3g}", f"{f['better']} / {f['same']} / {f['worse']}",
                                    f"{kept}/{seeds}" if fam == "all" else "")
            full_steps = per_mode.get("full", {}).get("train_steps")
            for mode, m in per_mode.items():
                ratio = f"{m['train_steps'] / full_steps:.2f}x" if full_steps else "n/a"
                m["steps_vs_full"] = m["train_steps"] / full_steps if full_steps else None
                a = m["families"]["all"]
                cost.add_row(name, mode, f"{a['mean']:.4f} ± {a['std']:.4f}",
                             f"{m['train_steps']:,}", ratio, f"{100 * m['engine_overhead']:.2f}%",
                             f"{m['wall_s_per_run']:.0f} s/run")
            figures["targets"][name] = per_mode
            if target.per_instance and "racing" in per_mode:
                console.print(_per_instance_table(target, per_mode["racing"]["runs"]))
    console.print(quality)
    console.print(cost)
    console.print("score: the evolved set's held-out result relative to the default's on the same "
                  "instance and seed (1.0 = equal; higher is better); p: one-sided Wilcoxon over "
                  "every held-out pair of every seed; kept default: runs whose best did not pass "
                  "the validation guard (their score is the default's own, 1.0)")
    if out is not None:
        out.write_text(json.dumps(figures, indent=2, default=str))
    return figures


def headroom(target: Target, *, factor: int = 4, seeds: int = 3, workers: int = 1, work: Path,
             budget_steps: int = 0) -> dict[str, dict[str, float]]:
    """Per family of ``target``'s held-out suite: the default with ``factor`` x the steps scored
    against itself at the budget (``budget_steps``, 0 = the problem's default, as the bench
    uses) on the same seeds (mean score, share of pairs better), and the share of instances
    whose ``seeds`` runs at the budget all end on the same value."""
    budget = budget_steps or problem_info(target.problem).default_budget_steps
    items = list(build_suite(target.heldout_suite, target.problem, suite_cache_dir()).instances)
    longer = [dataclasses.replace(i, budget_steps=i.budget_steps * factor) for i in items]
    objectives: list[dict[tuple[str, int], float | None]] = []
    pool = None  # one set of warm workers for both budgets
    try:
        for split, steps in ((items, budget), (longer, budget * factor)):
            config = EvaluationConfig(budget_steps=steps, workers=workers, smoke=False)
            ev = StagedEvaluator(target.problem, {"test": split}, config, 0, work, pool=pool)
            pool = ev.pool
            objectives.append({(name, rep): obj for rep in range(seeds)
                               for name, obj in ev.baseline("test", rep).items()})
    finally:
        if pool is not None:
            pool.close()
    base, more = objectives
    adapter = get_problem(target.problem)
    loaded = {i.name: adapter.load(Path(i.path)) for i in items}
    out: dict[str, dict[str, float]] = {}
    for fam in sorted({instance_family(i.name) for i in items}):
        names = [i.name for i in items if instance_family(i.name) == fam]
        scores = [adapter.score(loaded[n], more[(n, r)], more[(n, r)] is not None, base[(n, r)])
                  for n in names for r in range(seeds)]
        agree = [len({base[(n, r)] for r in range(seeds)}) == 1 for n in names]
        out[fam] = {"score_with_more_steps": statistics.fmean(scores),
                    "pairs_better": sum(s > 1.0 for s in scores) / len(scores),
                    "instances_seeds_agree": sum(agree) / len(agree), "instances": len(names)}
    return out


def run_headroom(*, targets: list[str], factor: int = 4, seeds: int = 3, workers: int = 1,
                 out: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """:func:`headroom` for every target; print one table and return (and write) the figures."""
    console = console or Console()
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; known: {', '.join(TARGETS)}")
    table = Table(title=f"headroom: the default with {factor}x the steps vs itself at the bench "
                        f"budget ({seeds} seeds, held-out suites)")
    for col in ("target", "family", "score with more steps", "pairs better",
                "instances where the seeds agree"):
        table.add_column(col, justify="left" if col in ("target", "family") else "right")
    figures: dict[str, Any] = {"factor": factor, "seeds": seeds, "targets": {}}
    with tempfile.TemporaryDirectory(prefix="heurevo-headroom-") as tmp:
        for name in targets:
            with console.status(f"{name}: the default at 1x and {factor}x the steps..."):
                fams = headroom(TARGETS[name], factor=factor, seeds=seeds, workers=workers,
                                work=Path(tmp) / name)
            figures["targets"][name] = fams
            for fam, f in fams.items():
                table.add_row(name, fam, f"{f['score_with_more_steps']:.4f}",
                              f"{100 * f['pairs_better']:.0f}%",
                              f"{100 * f['instances_seeds_agree']:.0f}%")
    console.print(table)
    if out is not None:
        out.write_text(json.dumps(figures, indent=2))
    return figures
