"""``heurevo bench scale``: the Dask executor's speed-up, per-task overhead and parallel efficiency.

1. Speed-up: a fixed workload (GP-written PBO candidates, every pair of a suite, no racing, no
   early stop: the same solver work whatever the worker count) evaluated on Dask LocalClusters
   of 1 and 2 (or ``--workers``) sandboxed worker processes; wall time after every worker is
   warm; speed-up = T(1) / T(n).
2. Per-task overhead: the same small sandboxed task (the default on the smoke instance) through
   the local executor and through Dask with one worker; the difference of the medians.
3. A simulated larger cluster: k = 1, 2, 4, 8 Dask worker processes on this host, a fixed
   workload of tasks that sleep a fixed time (standing in for evaluation time, so the curve
   measures Dask's scheduling, not this machine's cores); efficiency = T(1) / (k * T(k)).
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from heurevo.bench.pipeline import gp_candidates
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.engine.executors.base import ExecutorConfig
from heurevo.engine.tasks import RunReply
from heurevo.suites.catalog import build_suite, suite_cache_dir

TASKS = "heurevo.engine.tasks"


def _evaluator(suite: str, budget: int, workers: int, executor: str, work: Path) -> StagedEvaluator:
    items = build_suite(suite, "pbo", suite_cache_dir())
    cfg = EvaluationConfig(budget_steps=budget, workers=workers, timeout_s=120, smoke=False,
                           minibatch=0, full=True, racing=False, early_stop_ratio=0.0)
    return StagedEvaluator("pbo", {"train": list(items.instances)}, cfg, 1, work,
                           executor=ExecutorConfig(name=executor))


def measure_speedup(candidates: int, suite: str, budget: int, workers: int, seed: int,
                    work: Path) -> dict[str, Any]:
    """Wall time of the fixed workload on Dask with 1 and ``workers`` worker processes."""
    cands = gp_candidates(candidates, seed)
    walls: dict[int, float] = {}
    fitness: dict[int, list[float | None]] = {}
    for n in sorted({1, workers}):
        ev = _evaluator(suite, budget, n, "dask", work / f"speedup-{n}")
        try:
            ev.baseline("train")
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=n) as pool:
                results = list(pool.map(ev.evaluate, cands))
            walls[n] = time.perf_counter() - t0
            fitness[n] = [r.fitness for r in results]
        finally:
            ev.close()
    return {"candidates": len(cands), "suite": suite, "budget_steps": budget, "wall_s": walls,
            "speedup": walls[1] / walls[workers], "workers": workers,
            "same_fitness": len(set(map(tuple, fitness.values()))) == 1}


def measure_overhead(calls: int, work: Path) -> dict[str, Any]:
    """Median seconds of one small sandboxed task: local executor vs Dask with one worker."""
    medians: dict[str, float] = {}
    for name in ("local", "dask"):
        ev = _evaluator("pbo-tiny", 200, 1, name, work / f"overhead-{name}")
        try:
            payload = ev._payload(ev.default_candidate, [], {})
            payload["instances"] = [(ev.smoke_path, 1, None, 200)]
            ev.executor.run(f"{TASKS}:run_instances", payload, 30.0, reply=list[RunReply])
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                out = ev.executor.run(f"{TASKS}:run_instances", payload, 30.0, reply=list[RunReply])
                times.append(time.perf_counter() - t0)
                if not out.ok:
                    raise RuntimeError(f"the overhead task failed on {name}: {out.error}")
            medians[name] = statistics.median(times)
        finally:
            ev.close()
    return {"calls": calls, "local_s": medians["local"], "dask_s": medians["dask"],
            "overhead_ms": 1000 * (medians["dask"] - medians["local"])}


def measure_simulated(sleep_s: float, tasks: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Strong scaling of ``tasks`` sleeping tasks on the first k of max(sizes) Dask workers."""
    from distributed import Client, LocalCluster

    walls: dict[int, float] = {}
    with LocalCluster(n_workers=max(sizes), threads_per_worker=1, processes=True, memory_limit=0,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(max(sizes))
        addresses = sorted(client.scheduler_info()["workers"])
        client.gather([client.submit(time.sleep, 0, workers=[a], pure=False) for a in addresses])
        for k in sizes:
            t0 = time.perf_counter()
            futures = [client.submit(time.sleep, sleep_s, workers=addresses[:k], pure=False)
                       for _ in range(tasks)]
            client.gather(futures)
            walls[k] = time.perf_counter() - t0
    base = walls[min(sizes)] * min(sizes)
    return {"sleep_s": sleep_s, "tasks": tasks, "wall_s": walls,
            "efficiency": {k: base / (k * w) for k, w in walls.items()}}


def run_scale_bench(*, candidates: int, suite: str, budget: int, workers: int, calls: int,
                    sleep_s: float, tasks: int, seed: int, out: Path | None, console: Console) -> dict[str, Any]:
    """Run the three measurements, print them, optionally write JSON."""
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-scale-") as tmp:
        work = Path(tmp)
        with console.status("speed-up on Dask..."):
            speed = measure_speedup(candidates, suite, budget, workers, seed, work)
        with console.status("per-task overhead..."):
            over = measure_overhead(calls, work)
    with console.status("simulated cluster..."):
        sim = measure_simulated(sleep_s, tasks, (1, 2, 4, 8))
    table = Table(title="Dask executor: scale-out")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    w = speed["workers"]
    table.add_row(f"speed-up {w} vs 1 worker ({speed['candidates']} candidates, {suite})",
                  f"{speed['speedup']:.2f}x ({speed['wall_s'][1]:.1f} s / {speed['wall_s'][w]:.1f} s)",
                  ">= 1.7x")
    table.add_row("same fitness with 1 and n workers", str(speed["same_fitness"]), "True")
    table.add_row(f"per-task overhead vs local (median of {calls})",
                  f"{over['overhead_ms']:.1f} ms ({1000 * over['dask_s']:.1f} vs {1000 * over['local_s']:.1f})",
                  "<= 20 ms")
    for k, eff in sim["efficiency"].items():
        table.add_row(f"simulated: {k} worker(s), {tasks} x {sleep_s:g} s sleeps",
                      f"{eff:.2f} ({sim['wall_s'][k]:.2f} s)", ">= 0.85")
    console.print(table)
    console.print("Timings depend on the machine's load; the ratios come from one invocation.",
                  style="dim")
    report = {"speedup": speed, "overhead": over, "simulated": sim}
    if out is not None:
        out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return report
