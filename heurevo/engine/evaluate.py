"""Staged evaluation of candidates in sandboxed workers.

checks (static, in the engine, no code runs) → compile + quick checks (worker) → smoke run on a
tiny instance → minibatch of the split → the rest of the split; it stops early when a stage shows
the candidate is broken or far worse than its parent. Seeds are derived from (run seed,
candidate, instance) and budgets are in solver steps, so a fitness is a fact about the
candidate. Fitness is the mean per-instance score relative to the default heuristic's result
under the same budget (1.0 = as good as the default; higher is better).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heurevo.benchmarks.suites import SplitInstance
from heurevo.engine.checks import static_check
from heurevo.engine.sandbox import SandboxLimits, SandboxPool, TaskOutcome
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Stage,
)
from heurevo.solvers.problem import DEFAULT_BUDGET_STEPS, get_problem

TASKS = "heurevo.engine.tasks"


@dataclass(frozen=True)
class EvaluationConfig:
    """How candidates are evaluated."""

    budget_steps: int = 0  # solver steps per instance run; 0 = the problem's default
    timeout_s: float = 60.0
    memory_mb: int = 4096
    workers: int = 2
    smoke: bool = True
    minibatch: int = 4
    full: bool = True
    early_stop_ratio: float = 0.5
    boundscheck: bool = False

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.budget_steps < 0:
            raise ValueError(f"budget_steps: must be >= 0 (0 = the problem's default), "
                             f"got {self.budget_steps}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s: must be positive, got {self.timeout_s}")
        if self.workers < 1:
            raise ValueError(f"workers: must be >= 1, got {self.workers}")
        if self.minibatch < 0:
            raise ValueError(f"minibatch: must be >= 0, got {self.minibatch}")
        if not 0 <= self.early_stop_ratio <= 1:
            raise ValueError(f"early_stop_ratio: must be in [0, 1], got {self.early_stop_ratio}")


def derive_seed(*parts: object) -> int:
    """A 31-bit seed from any parts (stable across machines and Python versions)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:4], "big") & 0x7FFFFFFF


def aggregate(results: list[InstanceResult], baseline: dict[str, float | None]) -> tuple[float, dict[str, float]]:
    """Mean score and the summary metrics (feasible count, wins over the default)."""
    feasible = sum(r.feasible for r in results)
    wins = 0
    for r in results:
        base = baseline.get(r.instance)
        if r.feasible and r.objective is not None and (base is None or r.objective < base):
            wins += 1
    fitness = sum(r.score for r in results) / len(results) if results else 0.0
    return fitness, {"feasible": float(feasible), "wins": float(wins), "instances": float(len(results)),
                     "solver_seconds": sum(r.seconds for r in results)}


class StagedEvaluator:
    """Evaluates candidates of one problem on named splits, in a pool of sandboxed workers."""

    def __init__(self, problem: str, splits: dict[str, list[SplitInstance]], config: EvaluationConfig,
                 run_seed: int, work_dir: Path, pool: SandboxPool | None = None):
        config.validate()
        if not config.budget_steps:
            config = dataclasses.replace(config, budget_steps=DEFAULT_BUDGET_STEPS[problem])
        self.problem = problem
        self.adapter = get_problem(problem)
        self.slots = self.adapter.slots()
        self.splits = splits
        self.config = config
        self.run_seed = run_seed
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.smoke_path = str(self.adapter.smoke_instance(self.work_dir))
        self.pool = pool or SandboxPool(
            config.workers, SandboxLimits(timeout_s=config.timeout_s, memory_mb=config.memory_mb),
            warmup=(f"{TASKS}:warmup", {"problem": problem, "smoke_dir": str(self.work_dir)}))
        self._baselines: dict[str, dict[str, float | None]] = {}
        self._lock = threading.Lock()
        self.default_candidate = Candidate.new(
            problem, {n: s.default_source for n, s in self.slots.items()}, operator="default",
            proposer="default")
        fp = hashlib.sha256(repr(sorted((k, [(i.name, i.path, i.budget_steps) for i in v])
                                        for k, v in splits.items()))
                            .encode()).hexdigest()[:10]
        self._fingerprint = f"{fp}-b{config.budget_steps}"

    # --- keys, seeds, baselines ---------------------------------------------------------
    def evaluation_key(self, candidate: Candidate, split: str) -> str:
        """Identifies (candidate code, split, suite, budget)."""
        return f"{candidate.id}/{split}/{self._fingerprint}"

    def _seed(self, candidate: Candidate, instance: SplitInstance) -> int:
        return derive_seed(self.run_seed, candidate.id, instance.name)

    def baseline(self, split: str) -> dict[str, float | None]:
        """The default heuristic's objective per instance of ``split`` (None where infeasible)."""
        with self._lock:
            if split not in self._baselines:
                items = self.splits[split]
                payload = self._payload(self.default_candidate, items, {i.name: None for i in items})
                out = self.pool.run(f"{TASKS}:run_instances", payload, self._timeout(len(items)))
                if not out.ok:
                    raise RuntimeError(f"the default heuristic failed on split '{split}': {out.error}")
                results = [InstanceResult.from_json(d) for d in out.value]
                self._baselines[split] = {r.instance: (r.objective if r.feasible else None) for r in results}
            return self._baselines[split]

    def _timeout(self, n_instances: int) -> float:
        return self.config.timeout_s * max(1, n_instances)

    def _payload(self, cand: Candidate, items: list[SplitInstance],
                 references: dict[str, float | None]) -> dict[str, Any]:
        return {"problem": self.problem, "candidate_id": cand.id, "sources": cand.sources,
                "boundscheck": self.config.boundscheck, "budget_steps": self.config.budget_steps,
                "instances": [(i.path, self._seed(cand, i), references.get(i.name),
                               i.budget_steps or self.config.budget_steps) for i in items]}

    # --- evaluation -------------------------------------------------------------------
    def evaluate(self, candidate: Candidate, split: str = "train",
                 parent_fitness: float | None = None) -> EvaluationResult:
        """Run the stages; never raises for anything the candidate does."""
        t0 = time.perf_counter()
        cid = candidate.id

        def done(status: EvalStatus, stage: Stage, error: str = "", feedback: str = "",
                 results: list[InstanceResult] | None = None) -> EvaluationResult:
            results = results or []
            baseline = self.baseline(split) if results else {}
            fitness, metrics = aggregate(results, baseline) if results else (None, {})
            return EvaluationResult(
                cid, status, stage, tuple(results), fitness if status is EvalStatus.OK else None,
                tuple(r.score for r in results), metrics, error, feedback or error,
                time.perf_counter() - t0)

        unknown = set(candidate.sources) - set(self.slots)
        if unknown:
            msg = f"unknown slot(s) {sorted(unknown)} for problem {self.problem}"
            return done(EvalStatus.REJECTED, Stage.CHECKS, msg)
        reports = [static_check(self.slots[n], src, filename=f"<{self.slots[n].key}>")
                   for n, src in candidate.sources.items() if src != self.slots[n].default_source]
        failed = [r for r in reports if not r.ok]
        if failed:
            fb = "\n".join(r.feedback() for r in failed)
            return done(EvalStatus.REJECTED, Stage.CHECKS, fb.splitlines()[1].lstrip("- "), fb)

        references = self.baseline(split)  # before leasing: the baseline needs a worker too
        with self.pool.lease() as worker:
            prep = worker.call(f"{TASKS}:prepare", self._payload(candidate, [], {}))
            if not prep.ok:
                return done(prep.status, Stage.QUICK_CHECKS, prep.error, _crash_feedback(prep, "compiling"))
            if not prep.value["ok"]:
                fb = prep.value["feedback"]
                return done(EvalStatus.REJECTED, Stage.QUICK_CHECKS, fb.splitlines()[0], fb)
            if self.config.smoke:
                smoke = SplitInstance("smoke", self.smoke_path)
                out = worker.call(f"{TASKS}:run_instances", self._payload(candidate, [smoke], {}))
                bad = self._bad(out)
                if bad:
                    return done(out.status if not out.ok else EvalStatus.FAILED, Stage.SMOKE, bad,
                                _crash_feedback(out, "the smoke run") if not out.ok else bad)
            items = self.splits[split]
            stages = [(Stage.MINIBATCH, items[: self.config.minibatch])] if self.config.minibatch else []
            rest = items[self.config.minibatch:] if self.config.minibatch else items
            if self.config.full and rest:
                stages.append((Stage.FULL, rest))
            results: list[InstanceResult] = []
            stage = Stage.SMOKE
            for stage, batch in stages:
                out = worker.call(f"{TASKS}:run_instances", self._payload(candidate, batch, references),
                                  self._timeout(len(batch)))
                bad = self._bad(out)
                if bad:
                    status = out.status if not out.ok else EvalStatus.FAILED
                    return done(status, stage, bad, _crash_feedback(out, f"the {stage.value} stage")
                                if not out.ok else bad, results)
                results += [InstanceResult.from_json(d) for d in out.value]
                fitness, _ = aggregate(results, references)
                ratio = self.config.early_stop_ratio
                if stage is Stage.MINIBATCH and ratio and parent_fitness is not None \
                        and parent_fitness > 0 and fitness < ratio * parent_fitness:
                    break  # far worse than its parent: the minibatch verdict stands
            return done(EvalStatus.OK, stage, results=results)

    @staticmethod
    def _bad(out: TaskOutcome) -> str:
        if not out.ok:
            return out.error.strip().splitlines()[-1] if out.error.strip() else out.status.value
        unverified = [d["instance"] for d in out.value if not d["verified"]]
        if unverified:
            return f"the solution on {unverified[0]} failed independent verification"
        return ""

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()


def _crash_feedback(out: TaskOutcome, where: str) -> str:
    kinds = {
        EvalStatus.TIMEOUT: f"The code did not finish {where} within the time limit (an endless "
                            "loop, or far too much work per call).",
        EvalStatus.CRASHED: f"The worker process died during {where} ({out.error.split(';')[0]}): "
                            "usually an out-of-bounds array write or unbounded recursion.",
        EvalStatus.MEMORY: f"The code ran out of memory during {where}: do not allocate large arrays "
                           "inside the slot.",
        EvalStatus.FAILED: f"The code raised an error during {where}:\n{out.error[-1500:]}",
    }
    return kinds.get(out.status, out.error)
