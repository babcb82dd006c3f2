"""How a leaderboard runs its (entry, instance, seed) items: one runner per kind of run.

- ``steps``: our kernels under a step budget, through the staged evaluator in sandboxed workers
  (reproducible: the same code, instance, seed and budget give the same result anywhere).
- ``time``: our kernels under a wall-time budget, through the sandboxed ``heurevo solve`` task
  with the entry's heuristics file; the returned solution is verified again here.
- ``reference``: an external solver (:mod:`heurevo.benchmarks.reference_solvers`) in this
  process, one thread each, its solution verified here.

Every runner stores each result in the cache as soon as it is known, so an interrupted board
resumes. Traces are (seconds, minimised objective) at each improvement: the kernels already
record improvements (PBO in a fixed-size array inside the kernel, TSP between GLS chunks), so
collecting them costs the hot loop nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heurevo.benchmarks.reference_solvers import ExternalRun, run_reference, verified_result
from heurevo.benchmarks.result_cache import CacheKey, ResultCache, RunResult
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.registry import Registry

if TYPE_CHECKING:
    from heurevo.benchmarks.leaderboard import BoardSpec

Item = tuple[str, str, int]  # (entry label, instance name, seed)
Progress = Callable[[int, int], None]  # (done, total) of the runs this call executes


class Tally:
    """Counts finished runs across runners and reports progress."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self.progress = total, 0, progress
        self._lock = threading.Lock()

    def tick(self) -> None:
        """One more run finished."""
        with self._lock:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)


Runner = Callable[["BoardSpec", list[Item], dict[Item, CacheKey], ResultCache, Path, Tally],
                  dict[Item, RunResult]]
RUNNERS: Registry[Runner] = Registry("leaderboard runner")


def _threads(spec: BoardSpec, items: list[Item], one: Callable[[Item], RunResult],
             keys: dict[Item, CacheKey], cache: ResultCache, tally: Tally) -> dict[Item, RunResult]:
    """Run ``one`` on every item with ``spec.workers`` threads, caching each result."""
    out: dict[Item, RunResult] = {}
    lock = threading.Lock()

    def run(item: Item) -> None:
        result = one(item)
        cache.put(keys[item], result)
        with lock:
            out[item] = result
        tally.tick()

    with ThreadPoolExecutor(max_workers=spec.workers) as pool:
        list(pool.map(run, items))
    return out


class _SelfScoringEvaluator(StagedEvaluator):
    """A staged evaluator that runs no default baseline: the leaderboard scores runs itself."""

    def _baseline_results(self, split: str, replicate: int) -> dict[str, Any]:
        """No default runs and no reference objectives (the board compares entries itself)."""
        return {}


def _evaluation_result(evaluation: Any) -> RunResult:
    if evaluation.ok and evaluation.instances:
        r = evaluation.instances[0]
        trace = tuple((float(s), float(v)) for _, s, v in r.trace)
        steps = tuple((int(n), float(v)) for n, _, v in r.trace)
        return RunResult("ok", r.objective if r.feasible else None, r.feasible, r.verified,
                         r.steps, r.seconds, "", trace, steps)
    return RunResult(evaluation.status.value, None, False, False, 0, 0.0,
                     (evaluation.error or evaluation.status.value)[:500])


def run_steps(spec: BoardSpec, items: list[Item], keys: dict[Item, CacheKey], cache: ResultCache,
              work_dir: Path, tally: Tally) -> dict[Item, RunResult]:
    """Our kernels under the step budget, in the staged evaluator's sandboxed workers."""
    entries = {e.label: e for e in spec.entries}
    seeds = spec.seed_values
    config = EvaluationConfig(budget_steps=spec.budget_steps, timeout_s=spec.timeout_s,
                              workers=spec.workers, smoke=False, minibatch=0, full=True,
                              early_stop_ratio=0.0)
    splits = {i.name: [i] for i in spec.instances}
    first = _SelfScoringEvaluator(spec.problem, splits, config, seeds[0], work_dir)
    evaluators = {seeds[0]: first} | {s: _SelfScoringEvaluator(spec.problem, splits, config, s, work_dir,
                                                               pool=first.pool) for s in seeds[1:]}

    def one(item: Item) -> RunResult:
        label, instance, seed = item
        cand = entries[label].candidate(seeds.index(seed))
        return _evaluation_result(evaluators[seed].evaluate(cand, instance))

    try:
        return _threads(spec, items, one, keys, cache, tally)
    finally:
        first.close()


def _solution(problem: str, path: str, outcome: dict[str, Any]) -> tuple[int, ...] | None:
    """The solution of a ``heurevo solve`` outcome as the verifier takes it."""
    sol = outcome.get("solution") or []
    if not sol:
        return None
    if problem == "pbo":  # signed literals x1..xN
        return tuple(1 if int(v) > 0 else 0 for v in sol)
    from heurevo.instances.formats.tsplib import read_tsp, tour_to_indices

    return tuple(int(i) for i in tour_to_indices(read_tsp(path), [int(v) for v in sol], path))


def run_time(spec: BoardSpec, items: list[Item], keys: dict[Item, CacheKey], cache: ResultCache,
             work_dir: Path, tally: Tally) -> dict[Item, RunResult]:
    """Our kernels for ``spec.time_s`` wall seconds each, through the sandboxed solve task."""
    from heurevo.engine.checked_solve import COMPILE_MARGIN_S, TASK
    from heurevo.engine.sandbox import SandboxLimits, SandboxPool
    from heurevo.populations.export import export_source
    from heurevo.solvers.problem import get_problem

    assert spec.time_s is not None
    entries = {e.label: e for e in spec.entries}
    seeds = spec.seed_values
    paths = {i.name: str(Path(i.path).resolve()) for i in spec.instances}
    slots = get_problem(spec.problem).slots()
    files: dict[str, str] = {}
    for label, _, seed in items:
        cand = entries[label].candidate(seeds.index(seed))
        if cand.id not in files:
            f = work_dir / f"entry-{cand.id[:16]}.py"
            f.write_text(export_source(cand, slots), encoding="utf-8")
            files[cand.id] = str(f)
    timeout = spec.time_s + COMPILE_MARGIN_S
    folders = tuple(sorted({str(Path(p).parent) for p in paths.values()}))
    warm = ("heurevo.engine.tasks:warmup_solve",
            {"problem": spec.problem, "smoke_dir": str(work_dir), "instances": []})
    with SandboxPool(spec.workers, SandboxLimits(timeout_s=timeout), warmup=warm,
                     read_paths=(str(work_dir), *folders)) as pool:

        def one(item: Item) -> RunResult:
            label, instance, seed = item
            cand = entries[label].candidate(seeds.index(seed))
            payload = {"path": paths[instance], "steps": None, "time_s": spec.time_s,
                       "seed": seed, "heuristics": files[cand.id]}
            out = pool.run(TASK, payload, timeout)
            if not out.ok or not isinstance(out.value, dict):
                return RunResult(out.status.value, None, False, False, 0, 0.0,
                                 (out.error or out.status.value)[:500])
            value = out.value
            trace = tuple((float(t[1]), float(t[2])) for t in value.get("trace", []))
            run = ExternalRun(_solution(spec.problem, paths[instance], value),
                              float(value.get("seconds", 0.0)), trace, str(value.get("status", "")))
            return verified_result(spec.problem, paths[instance], run,
                                   steps=int(value.get("steps", 0)), file_units=True)

        return _threads(spec, items, one, keys, cache, tally)


def run_references(spec: BoardSpec, items: list[Item], keys: dict[Item, CacheKey], cache: ResultCache,
                   work_dir: Path, tally: Tally) -> dict[Item, RunResult]:
    """External solvers for the reference time limit each, verified here."""
    entries = {e.label: e for e in spec.entries}
    paths = {i.name: i.path for i in spec.instances}

    def one(item: Item) -> RunResult:
        label, instance, seed = item
        solver = entries[label].reference
        assert solver is not None
        return run_reference(solver, paths[instance], seed, spec.reference_seconds)

    return _threads(spec, items, one, keys, cache, tally)


RUNNERS.register("steps", run_steps, "our kernels under a step budget (staged evaluator, sandboxed)")
RUNNERS.register("time", run_time, "our kernels under a wall-time budget (sandboxed solve task)")
RUNNERS.register("reference", run_references, "external reference solvers (in-process threads)")
