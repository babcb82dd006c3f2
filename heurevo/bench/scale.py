"""``heurevo bench scale``: the Dask executor's speed-up, per-task overhead and parallel efficiency.

1. Speed-up: a fixed workload (GP-written PBO candidates, every pair of a suite, no racing, no
   early stop: the same solver work whatever the worker count) evaluated on two Dask
   LocalClusters, of 1 and of 2 (or ``--workers``) sandboxed worker processes, and as reference
   on local executors of 1 and n workers, all started and warm (the baseline and one evaluation
   of the default run first) before any timing. The workload runs ``rounds`` times on each, the
   order reversed every round, so a change in the machine's load hits all; speed-up = the median
   over rounds of T(1) / T(n), beside min T(1) / min T(n) (the least disturbed rounds, as timeit
   reports the fastest repeat). On a machine others load, n workers cannot get n cores: the local
   executor's speed-up in the same rounds is what the machine allowed. Every run must give the
   same fitnesses.
2. Per-task overhead: the same small sandboxed task (the default on the smoke instance) through
   the local executor and through Dask with one worker, calls interleaved; the difference of the
   medians, beside the median round trip of a no-op Dask task (Dask's own share).
3. A simulated larger cluster: k = 1, 2, 4, 8 Dask worker processes on this host (the executor's
   LocalCluster settings), a fixed workload of tasks that sleep a fixed time (standing in for
   evaluation time, so the curve measures Dask's scheduling, not this machine's cores), timed
   after every worker ran a task; efficiency = tasks * sleep / (k * T(k)), against an ideal
   overhead-free run, so a fixed start cost counts against it.
"""

from __future__ import annotations

import json
import os
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
from heurevo.engine.executors.cluster import local_cluster
from heurevo.engine.tasks import RunReply
from heurevo.suites.catalog import build_suite, suite_cache_dir

TASKS = "heurevo.engine.tasks"
EXECUTOR_NAMES = ("dask", "local")  # measured, reference


def _evaluator(suite: str, budget: int, workers: int, executor: str, work: Path) -> StagedEvaluator:
    items = build_suite(suite, "pbo", suite_cache_dir())
    cfg = EvaluationConfig(budget_steps=budget, workers=workers, timeout_s=120, smoke=False,
                           minibatch=0, full=True, racing=False, early_stop_ratio=0.0)
    return StagedEvaluator("pbo", {"train": list(items.instances)}, cfg, 1, work,
                           executor=ExecutorConfig(name=executor))


def measure_speedup(candidates: int, suite: str, budget: int, workers: int, rounds: int, seed: int,
                    work: Path) -> dict[str, Any]:
    """Wall times of the fixed workload with 1 and ``workers`` workers, on Dask and on the local
    executor (the reference: the speed-up this machine allows right now, without Dask)."""
    cands = gp_candidates(candidates, seed)
    runs = [(name, n) for name in EXECUTOR_NAMES for n in sorted({1, workers})]
    walls: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    fitness: set[tuple[float | None, ...]] = set()
    evaluators: dict[tuple[str, int], StagedEvaluator] = {}
    try:
        for name, n in runs:
            ev = evaluators[(name, n)] = _evaluator(suite, budget, n, name, work / f"speedup-{name}-{n}")
            ev.baseline("train")
            ev.evaluate(ev.default_candidate)  # lazy imports, first-task paths
        for r in range(rounds):
            for run in runs if r % 2 == 0 else runs[::-1]:
                t0 = time.perf_counter()
                with ThreadPoolExecutor(max_workers=run[1]) as pool:
                    results = list(pool.map(evaluators[run].evaluate, cands))
                walls[run].append(time.perf_counter() - t0)
                fitness.add(tuple(res.fitness for res in results))
    finally:  # last started, first closed: each LocalCluster restores the log levels it found
        for ev in reversed(evaluators.values()):
            ev.close()
    ratios = {name: [one / many for one, many in zip(walls[(name, 1)], walls[(name, workers)], strict=True)]
              for name in EXECUTOR_NAMES}
    return {"candidates": len(cands), "suite": suite, "budget_steps": budget, "workers": workers,
            "rounds": rounds, "wall_s": {f"{name}-{n}": w for (name, n), w in walls.items()},
            "ratios": ratios, "speedup": statistics.median(ratios["dask"]),
            "local_speedup": statistics.median(ratios["local"]),
            "best_rounds": {name: min(walls[(name, 1)]) / min(walls[(name, workers)]) for name in EXECUTOR_NAMES},
            "same_fitness": len(fitness) == 1}


def measure_overhead(calls: int, work: Path) -> dict[str, Any]:
    """Median seconds of one small sandboxed task: local executor vs Dask with one worker."""
    from distributed import get_task_stream

    times: dict[str, list[float]] = {"local": [], "dask": [], "noop": []}
    evaluators: dict[str, StagedEvaluator] = {}
    try:
        for name in ("local", "dask"):
            evaluators[name] = _evaluator("pbo-tiny", 200, 1, name, work / f"overhead-{name}")
        client = evaluators["dask"].executor.client  # type: ignore[attr-defined]
        with get_task_stream(client) as stream:
            for _ in range(calls + 1):  # the first round warms both up
                for name, ev in evaluators.items():
                    payload = ev._payload(ev.default_candidate, [], {})
                    payload["instances"] = [(ev.smoke_path, 1, None, 200)]
                    t0 = time.perf_counter()
                    out = ev.executor.run(f"{TASKS}:run_instances", payload, 30.0, reply=list[RunReply])
                    times[name].append(time.perf_counter() - t0)
                    if not out.ok:
                        raise RuntimeError(f"the overhead task failed on {name}: {out.error}")
                t0 = time.perf_counter()
                client.submit(os.getpid, pure=False).result()
                times["noop"].append(time.perf_counter() - t0)
        times["worker"] = [ss["stop"] - ss["start"] for task in stream.data if task["key"].startswith("run_task")
                           for ss in task["startstops"] if ss["action"] == "compute"]
    finally:  # last started, first closed: each LocalCluster restores the log levels it found
        for ev in reversed(evaluators.values()):
            ev.close()
    medians = {name: statistics.median(t[1:]) for name, t in times.items()}
    return {"calls": calls, "local_s": medians["local"], "dask_s": medians["dask"],
            "noop_s": medians["noop"], "on_worker_s": medians["worker"],
            "overhead_ms": 1000 * (medians["dask"] - medians["local"])}


def measure_simulated(sleep_s: float, tasks: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Strong scaling of ``tasks`` sleeping tasks on the first k of max(sizes) Dask workers."""
    from distributed import Client

    walls: dict[int, float] = {}
    with local_cluster(max(sizes), dashboard=False) as cluster, Client(cluster) as client:
        client.wait_for_workers(max(sizes))
        addresses = sorted(client.scheduler_info()["workers"])
        client.gather([client.submit(time.sleep, 0, workers=[a], pure=False) for a in addresses])
        for k in sizes:
            t0 = time.perf_counter()
            futures = [client.submit(time.sleep, sleep_s, workers=addresses[:k], pure=False)
                       for _ in range(tasks)]
            client.gather(futures)
            walls[k] = time.perf_counter() - t0
    return {"sleep_s": sleep_s, "tasks": tasks, "wall_s": walls,
            "efficiency": {k: tasks * sleep_s / (k * w) for k, w in walls.items()}}


def run_scale_bench(*, candidates: int, suite: str, budget: int, workers: int, rounds: int, calls: int,
                    sleep_s: float, tasks: int, seed: int, out: Path | None, console: Console) -> dict[str, Any]:
    """Run the three measurements, print them, optionally write JSON."""
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-scale-") as tmp:
        work = Path(tmp)
        with console.status("speed-up on Dask..."):
            speed = measure_speedup(candidates, suite, budget, workers, rounds, seed, work)
        with console.status("per-task overhead..."):
            over = measure_overhead(calls, work)
    with console.status("simulated cluster..."):
        sim = measure_simulated(sleep_s, tasks, (1, 2, 4, 8))
    table = Table(title="Dask executor: scale-out")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    w = speed["workers"]
    for name, label, key in (("dask", "Dask", "speedup"), ("local", "local (reference)", "local_speedup")):
        per_round = ", ".join(f"{one:.1f}/{many:.1f}" for one, many in
                              zip(speed["wall_s"][f"{name}-1"], speed["wall_s"][f"{name}-{w}"], strict=True))
        table.add_row(f"{label}: speed-up {w} vs 1 worker ({speed['candidates']} candidates, {suite}, "
                      f"median of {rounds} rounds)", f"{speed[key]:.2f}x (s: {per_round}; "
                      f"fastest rounds {speed['best_rounds'][name]:.2f}x)", ">= 1.7x" if key == "speedup" else "")
    table.add_row("  Dask's speed-up / the local executor's", f"{speed['speedup'] / speed['local_speedup']:.2f}",
                  "")
    table.add_row("same fitness on both executors, 1 and n workers, every round", str(speed["same_fitness"]),
                  "True")
    table.add_row(f"per-task overhead vs local (median of {calls} interleaved)",
                  f"{over['overhead_ms']:.1f} ms ({1000 * over['dask_s']:.1f} vs {1000 * over['local_s']:.1f})",
                  "<= 20 ms")
    table.add_row("  Dask's hops: round trip minus the task's time on the Dask worker",
                  f"{1000 * (over['dask_s'] - over['on_worker_s']):.1f} ms", "")
    table.add_row("  a no-op Dask task's round trip", f"{1000 * over['noop_s']:.1f} ms", "")
    for k, eff in sim["efficiency"].items():
        table.add_row(f"simulated: {k} worker(s), {tasks} x {sleep_s:g} s sleeps (vs ideal)",
                      f"{eff:.2f} ({sim['wall_s'][k]:.2f} s)", ">= 0.85")
    console.print(table)
    console.print(f"Timings depend on the machine's load (now {os.getloadavg()[0]:.1f}); the ratios "
                  "come from one invocation.", style="dim")
    report = {"speedup": speed, "overhead": over, "simulated": sim, "load": os.getloadavg()}
    if out is not None:
        out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return report
