"""``heurevo bench pipeline``: what the candidate pipeline costs, and what it buys.

1. Overhead per candidate: GP-written PBO candidates go through the real pipeline (static checks,
   compile in a warm sandboxed worker, quick checks, worker round trips) on a fixed suite and step
   budget; overhead = wall time of the evaluation minus the solver time the workers report.
2. Throughput: candidates evaluated per minute with the normal staged evaluation and all workers.
3. Side by side with an EoH/LLM4AD-style evaluation of the same TSP GLS heuristic: there the
   evolved function is plain Python/numpy over n x n matrices, called from a Python loop after
   every local optimum (``update_edge_distance(edge_distance, local_opt_tour, edge_n_used)``), with
   a Numba 2-opt over the full matrix, as in those frameworks' GLS templates. Same instances, same
   number of GLS iterations; reported as a speed ratio, with both mean tour lengths.
"""

from __future__ import annotations

import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit
from rich.console import Console
from rich.table import Table

from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.engine.proposers.gp import GPProposer
from heurevo.instances.formats.tsplib import read_tsp
from heurevo.instances.generators.tsp import tsplib_text, uniform_points
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    Member,
    ProposalRequest,
    Stage,
)
from heurevo.solvers.problem import get_problem
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.instance import arrays_from_tsplib
from heurevo.suites.catalog import SplitInstance, build_suite


def eoh_update_edge_distance(edge_distance: np.ndarray, local_opt_tour: np.ndarray,
                             edge_n_used: np.ndarray) -> np.ndarray:
    """EoH's evolved-function shape, holding the plain GLS rule (heurevo's default slot's rule).

    Penalise the tour edge of maximum length / (1 + times used), on a copy of the n x n matrix.
    """
    n = local_opt_tour.size
    a = local_opt_tour
    b = np.roll(local_opt_tour, -1)
    utility = edge_distance[a, b] / (1.0 + edge_n_used[a, b])
    k = int(np.argmax(utility))
    updated = edge_distance.copy()
    step = 0.1 * edge_distance[a, b].sum() / n
    updated[a[k], b[k]] += step
    updated[b[k], a[k]] += step
    return updated


def gp_candidates(n: int, seed: int) -> list[Candidate]:
    """``n`` distinct GP-written PBO candidates (init and mutations of the default)."""
    adapter = get_problem("pbo")
    slots = adapter.slots()
    proposer = GPProposer(slots)
    defaults = {name: s.default_source for name, s in slots.items()}
    default = Candidate.new("pbo", defaults)
    parent = Member(default, EvaluationResult(default.id, EvalStatus.OK, Stage.FULL, fitness=1.0))
    names = proposer.evolvable()
    out: dict[str, Candidate] = {}
    k = 0
    while len(out) < n and k < 50 * n:
        slot = names[k % len(names)]
        op = ("init", "mutate")[k % 2]
        req = ProposalRequest("pbo", (slot,), op, (parent,), defaults, seed * 7919 + k, 1)
        prop = proposer.propose(req)
        cand = Candidate.new("pbo", {**defaults, **prop.sources}, operator=op, proposer="gp")
        out.setdefault(cand.id, cand)
        k += 1
    return list(out.values())


def measure_overhead(cands: list[Candidate], suite: list[SplitInstance], budget: int,
                     work: Path) -> dict[str, Any]:
    """Per-candidate overhead: evaluation wall time minus solver time, one worker, full suite."""
    cfg = EvaluationConfig(budget_steps=budget, workers=1, smoke=False, minibatch=0, full=True,
                           early_stop_ratio=0.0)
    ev = StagedEvaluator("pbo", {"train": suite}, cfg, 1, work)
    try:
        ev.baseline("train")  # the default's run: not part of any candidate's cost
        overheads, statuses = [], {}
        for cand in cands:
            res = ev.evaluate(cand)
            statuses[res.status.value] = statuses.get(res.status.value, 0) + 1
            overheads.append(res.seconds - sum(r.seconds for r in res.instances))
    finally:
        ev.close()
    return {"candidates": len(cands), "statuses": statuses,
            "median_s": float(np.median(overheads)), "p90_s": float(np.percentile(overheads, 90)),
            "max_s": max(overheads)}


def measure_throughput(cands: list[Candidate], suite: list[SplitInstance], budget: int,
                       workers: int, work: Path) -> dict[str, Any]:
    """Candidates per minute with the staged evaluation (smoke, minibatch, full) on ``workers``."""
    cfg = EvaluationConfig(budget_steps=budget, workers=workers)
    ev = StagedEvaluator("pbo", {"train": suite}, cfg, 2, work)
    try:
        ev.baseline("train")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(ev.evaluate, cands))
        wall = time.perf_counter() - t0
    finally:
        ev.close()
    solver = sum(r.seconds for res in results for r in res.instances)
    return {"candidates": len(cands), "workers": workers, "wall_s": wall,
            "per_minute": 60.0 * len(cands) / wall, "solver_share": solver / (wall * workers)}


@njit(cache=True)
def _two_opt_full(d: np.ndarray, tour: np.ndarray) -> None:
    """First-improvement 2-opt over all pairs on matrix ``d`` until no move improves."""
    n = tour.size
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 2, n if i > 0 else n - 1):
                a, b, c, e = tour[i], tour[i + 1], tour[j], tour[(j + 1) % n]
                if d[a, c] + d[b, e] - d[a, b] - d[c, e] < -1e-9:
                    tour[i + 1:j + 1] = tour[i + 1:j + 1][::-1].copy()
                    improved = True


def eoh_style_gls(mat: np.ndarray, iterations: int, update: Any) -> tuple[np.ndarray, float]:
    """EoH/LLM4AD-style GLS: Python loop, evolved function over n x n matrices each iteration."""
    n = mat.shape[0]
    tour = np.zeros(n, dtype=np.int64)  # nearest neighbour from city 0
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    for k in range(1, n):
        row = np.where(seen, np.inf, mat[tour[k - 1]])
        tour[k] = int(np.argmin(row))
        seen[tour[k]] = True
    _two_opt_full(mat, tour)
    best, best_len = tour.copy(), float(mat[tour, np.roll(tour, -1)].sum())
    edge_distance = mat.copy()
    used = np.zeros_like(mat)
    for _ in range(iterations):
        nxt = np.roll(tour, -1)
        used[tour, nxt] += 1
        used[nxt, tour] += 1
        edge_distance = np.ascontiguousarray(update(edge_distance, tour, used), dtype=np.float64)
        _two_opt_full(edge_distance, tour)
        length = float(mat[tour, np.roll(tour, -1)].sum())
        if length < best_len:
            best, best_len = tour.copy(), length
    return best, best_len


def measure_eoh_ratio(n_cities: int, n_instances: int, iterations: int, work: Path) -> dict[str, Any]:
    """Time to the same tour length: EoH-style evaluation vs our pipeline, same GLS rule.

    The EoH-style loop runs ``iterations`` GLS iterations per instance; our pipeline evaluates
    the same rule (the default ``penalize_edges`` source, compiled as a candidate) for as many
    GLS iterations, and the time it took to first reach the EoH-style length is read from its
    anytime trace (coarse, so it errs against us). Instances our run never brings to that length
    count with their full time.
    """
    work.mkdir(parents=True, exist_ok=True)
    files = []
    for s in range(n_instances):
        p = work / f"uniform{n_cities}-s{1000 + s}.tsp"
        p.write_text(tsplib_text(uniform_points(n_cities, 1000 + s), p.stem))
        files.append(p)
    first = arrays_from_tsplib(read_tsp(files[0]))
    eoh_style_gls(np.asarray(first.mat, dtype=np.float64), 1, eoh_update_edge_distance)  # compile
    eoh: dict[str, tuple[float, float]] = {}
    for f in files:
        inst = read_tsp(f)
        mat = np.asarray(arrays_from_tsplib(inst).mat, dtype=np.float64)
        t0 = time.perf_counter()
        tour, _ = eoh_style_gls(mat, iterations, eoh_update_edge_distance)
        eoh[f.name] = (time.perf_counter() - t0, float(verify.tour_length(inst, tour)))

    slots = get_problem("tsp").slots()
    sources = {n: s.default_source for n, s in slots.items()}
    sources["penalize_edges"] += "\n# the default rule, evaluated as a candidate\n"
    cand = Candidate.new("tsp", sources)
    cfg = EvaluationConfig(budget_steps=iterations, workers=1, smoke=False, minibatch=0, full=True,
                           early_stop_ratio=0.0)
    items = [SplitInstance(f.name, str(f)) for f in files]
    ev = StagedEvaluator("tsp", {"train": items}, cfg, 1, work / "pipeline")
    try:
        ev.baseline("train")
        t0 = time.perf_counter()
        res = ev.evaluate(cand)
        wall = time.perf_counter() - t0
    finally:
        ev.close()
    if not res.ok:
        raise RuntimeError(f"the pipeline failed on the GLS candidate: {res.error}")
    overhead = wall - sum(r.seconds for r in res.instances)
    to_target, reached = 0.0, 0
    for r in res.instances:
        target = eoh[r.instance][1]
        hit = next((secs for _, secs, cost in r.trace if cost <= target), None)
        reached += hit is not None
        to_target += r.seconds if hit is None else hit
    eoh_s = sum(t for t, _ in eoh.values())
    return {"cities": n_cities, "instances": n_instances, "iterations": iterations,
            "eoh_style_s": eoh_s, "pipeline_to_target_s": to_target + overhead,
            "pipeline_overhead_s": overhead, "reached": reached,
            "speed_ratio": eoh_s / (to_target + overhead),
            "eoh_style_mean_length": float(np.mean([v[1] for v in eoh.values()])),
            "pipeline_mean_length": float(np.mean([r.objective for r in res.instances])),
            "pipeline_s": sum(r.seconds for r in res.instances) + overhead}


def run_pipeline_bench(*, candidates: int = 30, budget: int = 20_000, workers: int = 2,
                       tsp_cities: int = 200, tsp_instances: int = 4, tsp_iterations: int = 1000,
                       seed: int = 1, out: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """Run the three measurements and print them; returns the figures (also as JSON to ``out``)."""
    from heurevo.suites.catalog import suite_cache_dir

    console = console or Console()
    suite = list(build_suite("pbo-mixed-small", "pbo", suite_cache_dir()).instances)
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-") as tmp:
        work = Path(tmp)
        with console.status("writing GP candidates..."):
            cands = gp_candidates(candidates, seed)
        with console.status(f"overhead: {len(cands)} candidates through the pipeline, one worker..."):
            overhead = measure_overhead(cands, suite, budget, work / "overhead")
        with console.status(f"throughput: {len(cands)} candidates on {workers} workers..."):
            throughput = measure_throughput(cands, suite, budget, workers, work / "throughput")
        with console.status("TSP GLS: pipeline vs EoH-style plain Python evaluation..."):
            eoh = measure_eoh_ratio(tsp_cities, tsp_instances, tsp_iterations, work / "tsp")
    figures = {"overhead": overhead, "throughput": throughput, "eoh_style": eoh,
               "suite": "pbo-mixed-small", "budget_steps": budget}
    table = Table(title="candidate pipeline")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("detail")
    table.add_row("overhead per candidate, median", f"{overhead['median_s']:.3f} s",
                  f"p90 {overhead['p90_s']:.3f} s, max {overhead['max_s']:.3f} s; target < 0.5 s; "
                  f"{overhead['statuses']}")
    table.add_row("candidates per minute", f"{throughput['per_minute']:.1f}",
                  f"{len(suite)} instances x {budget} steps, {workers} workers; solver busy "
                  f"{100 * throughput['solver_share']:.0f}% of worker time")
    table.add_row("TSP GLS: EoH-style time / ours, to the same length", f"{eoh['speed_ratio']:.1f}x",
                  f"{eoh['instances']} x {eoh['cities']} cities; EoH-style {eoh['iterations']} "
                  f"iterations {eoh['eoh_style_s']:.2f} s (mean length "
                  f"{eoh['eoh_style_mean_length']:.0f}); ours reached it on {eoh['reached']}/"
                  f"{eoh['instances']} in {eoh['pipeline_to_target_s']:.2f} s incl. "
                  f"{eoh['pipeline_overhead_s']:.2f} s pipeline overhead; ours after "
                  f"{eoh['iterations']} iterations: {eoh['pipeline_s']:.2f} s, mean length "
                  f"{eoh['pipeline_mean_length']:.0f}")
    console.print(table)
    if out is not None:
        out.write_text(json.dumps(figures, indent=2))
    return figures
