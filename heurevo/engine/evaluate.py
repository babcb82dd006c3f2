"""Staged evaluation of candidates in sandboxed workers.

checks (static, in the engine, no code runs) → compile + quick checks (worker) → smoke run on a
tiny instance → the split's (instance, replicate) pairs in blocks. Seeds are derived from (run
seed, instance, replicate), never from the candidate, so every candidate and the default see the
same seeds and are compared *paired*; budgets are in solver steps, so a fitness is a fact about
the candidate. Each run's score is relative to the default's result on the same instance and
seed (1.0 = as good as the default; higher is better); fitness is the mean score.

Racing (``racing = true``, on the training split, against the incumbent the run passes in):
after every block of ``min_block`` pairs a paired test asks whether the candidate is worse than
the incumbent on the pairs both ran; at ``p < alpha`` the candidate is dropped (its fitness is
then the incumbent's plus the mean paired difference, an estimate on the incumbent's scale).
With ``drop_ties``, a candidate whose first block is identical to the incumbent's, pair for pair,
stops too: on the same seeds it behaves as the incumbent, and its estimate is the incumbent's
fitness. That first block is short (``first_block`` pairs, at least one per instance family),
and with ``halving`` it is also a successive-halving rung: a candidate whose mean paired
difference from the incumbent there is below zero (behind it on average) stops as well, its
estimate again the incumbent's fitness plus that difference. Most GP offspring of a good
incumbent are clearly worse or behave as it does, and they were the bulk of the budget; a
candidate ahead on the first block goes on to the significance tests, the first at
``min_block`` pairs. Pairs run family by family in turn (see :func:`interleave_families`), so
every block of a mixed suite spans its families. A candidate that finishes the split
*significantly better* than the incumbent (a likely new incumbent) gets ``promote_seeds`` more replicates of every instance, so part of the budget
saved on losers firms up the winners' estimates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from heurevo import limits
from heurevo.engine.checks import static_check
from heurevo.engine.executors.base import Executor, ExecutorConfig, WorkerSpec, make_executor
from heurevo.engine.executors.local import LocalExecutor
from heurevo.engine.executors.stages import Block, StagePlan
from heurevo.engine.referee import judged_call
from heurevo.engine.sandbox import SandboxLimits, SandboxPool
from heurevo.engine.tasks import CandidateRequest, RunItem, RunRequest
from heurevo.errors import BaselineError, ConfigError
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Stage,
)
from heurevo.solvers.problem import get_problem, problem_info, solver_fingerprint
from heurevo.stats import PairedTest, paired_on_keys
from heurevo.suites.catalog import SplitInstance
from heurevo.text import clip_text

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
    early_stop_ratio: float = 0.5  # without racing: stop after the minibatch below this x incumbent
    boundscheck: bool = False
    force_workers: bool = False  # allow more than heurevo.limits.max_workers()
    racing: bool = True
    test: Literal["wilcoxon", "sign"] = "wilcoxon"  # paired test of racing and of the guard
    alpha: float = 0.05
    seeds_per_instance: int = 1  # replicates of each training instance
    min_block: int = 5  # pairs per racing block (and before the first test)
    first_block: int = 2  # pairs of racing's first block (the tie check; at least one per family)
    halving: bool = True  # stop a candidate behind the incumbent on average after the first block
    promote_seeds: int = 1  # extra replicates for a candidate significantly better than the incumbent
    drop_ties: bool = True  # stop a candidate identical to the incumbent on its first block
    validation_seeds: int = 3  # replicates of each validation instance (the guard's sample)

    def validate(self) -> None:
        """Reject settings that cannot work (limits: :mod:`heurevo.limits`)."""
        limits.check_budget_steps("budget_steps", self.budget_steps)
        limits.check_timeout("timeout_s", self.timeout_s)
        limits.check_memory_mb("memory_mb", self.memory_mb)
        limits.check_workers("workers", self.workers, force=self.force_workers)
        if self.minibatch < 0:
            raise ConfigError(f"must be >= 0, got {self.minibatch}", key="minibatch")
        if not 0 <= self.early_stop_ratio <= 1:
            raise ConfigError(f"must be in [0, 1], got {self.early_stop_ratio}", key="early_stop_ratio")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"must be in (0, 1), got {self.alpha}", key="alpha")
        for key in ("seeds_per_instance", "min_block", "first_block", "validation_seeds"):
            if getattr(self, key) < 1:
                raise ConfigError(f"must be >= 1, got {getattr(self, key)}", key=key)
        if self.promote_seeds < 0:
            raise ConfigError(f"must be >= 0, got {self.promote_seeds}", key="promote_seeds")


def derive_seed(*parts: object) -> int:
    """A 31-bit seed from any parts (stable across machines and Python versions)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:4], "big") & 0x7FFFFFFF


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (an instance is identified by its content, not its path)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: EvaluationConfig fields that do not change a result (how it is computed, not what).
_NOT_IN_KEY = frozenset({"timeout_s", "memory_mb", "workers", "force_workers"})


def evaluation_fingerprint(problem: str, splits: dict[str, list[SplitInstance]],
                           config: EvaluationConfig) -> str:
    """What an evaluation's result depends on besides the candidate's code.

    The instances by name and content hash (so a copied run folder, or a suite regenerated at
    another path, reuses every stored evaluation), the solver and slot code (so a kernel edit
    invalidates stored fitness), the step budget and the staging/racing settings.
    """
    contents = sorted((k, [(i.name, file_digest(i.path), i.budget_steps) for i in v])
                      for k, v in splits.items())
    fp = hashlib.sha256(repr(contents).encode()).hexdigest()[:10]
    staging = sorted((f.name, getattr(config, f.name)) for f in dataclasses.fields(config)
                     if f.name not in _NOT_IN_KEY and f.name != "budget_steps")
    st = hashlib.sha256(repr(staging).encode()).hexdigest()[:6]
    return f"{fp}-s{solver_fingerprint(problem)}-b{config.budget_steps}-e{st}"


#: (instance file name, solver seed): what a paired comparison matches on.
PairKey = tuple[str, int]


def pair_scores(results: tuple[InstanceResult, ...] | list[InstanceResult]) -> dict[PairKey, float]:
    """Each run's score by its (instance, seed) pair."""
    return {(r.instance, r.seed): r.score for r in results}


def aggregate(results: list[InstanceResult], default: dict[PairKey, float]) -> tuple[float, dict[str, float]]:
    """Mean score and the summary metrics (feasible runs, wins over the default, steps spent)."""
    wins = sum(r.feasible and r.score > default.get((r.instance, r.seed), float("inf"))
               for r in results)
    fitness = sum(r.score for r in results) / len(results) if results else 0.0
    return fitness, {"feasible": float(sum(r.feasible for r in results)), "wins": float(wins),
                     "instances": float(len({r.instance for r in results})),
                     "pairs": float(len(results)), "solver_steps": float(sum(r.steps for r in results)),
                     "solver_seconds": sum(r.seconds for r in results)}


def instance_family(name: str) -> str:
    """An instance's family: the file name's leading letters (``knapsack-90x3-s101.opb`` →
    knapsack, ``uniform500-s3.tsp`` → uniform; the whole stem when it has none)."""
    stem = Path(name).stem
    match = re.match(r"[A-Za-z]+", stem)
    return match.group(0).lower() if match else stem


def interleave_families(items: list[SplitInstance]) -> list[SplitInstance]:
    """``items`` family by family in turn (first of each family, then the second, ...); the
    order within a family and of the families (by name) is kept, so it is deterministic."""
    groups: dict[str, list[SplitInstance]] = {}
    for item in items:
        groups.setdefault(instance_family(item.name), []).append(item)
    ordered = [groups[f] for f in sorted(groups)]
    return [g[k] for k in range(max(map(len, ordered), default=0)) for g in ordered if k < len(g)]


def record_effect(metrics: dict[str, float], versus: str, test: PairedTest | None, p_key: str) -> None:
    """Store a paired test's mean difference, its interval and p-value under ``*_vs_<versus>``."""
    if test is None:
        return
    metrics[f"effect_vs_{versus}"] = test.difference.mean
    metrics[f"effect_vs_{versus}_low"] = test.difference.low
    metrics[f"effect_vs_{versus}_high"] = test.difference.high
    metrics[p_key] = test.p_value


Pairs = list[tuple[SplitInstance, int]]  # (instance, replicate) pairs run in one worker call


class StagedEvaluator:
    """Evaluates candidates of one problem on named splits, on an executor's sandboxed workers.

    ``pool`` shares another evaluator's local pool; ``executor`` picks where the work runs (the
    local sandboxed pool unless given; see :mod:`heurevo.engine.executors`).
    """

    def __init__(self, problem: str, splits: dict[str, list[SplitInstance]], config: EvaluationConfig,
                 run_seed: int, work_dir: Path, pool: SandboxPool | None = None,
                 executor: ExecutorConfig | None = None):
        config.validate()
        if not config.budget_steps:
            config = dataclasses.replace(config, budget_steps=problem_info(problem).default_budget_steps)
        self.problem = problem
        self.adapter = get_problem(problem)
        self.slots = self.adapter.slots()
        self.splits = splits
        self.config = config
        self.run_seed = run_seed
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.smoke_path = str(self.adapter.smoke_instance(self.work_dir))
        paths = sorted({i.path for items in splits.values() for i in items})
        spec = WorkerSpec(problem, SandboxLimits(timeout_s=config.timeout_s, memory_mb=config.memory_mb),
                          self.work_dir, (*paths, self.smoke_path))
        self.executor: Executor = LocalExecutor(pool) if pool is not None else \
            make_executor(executor or ExecutorConfig(), spec, config.workers)
        self._baselines: dict[tuple[str, int], dict[str, InstanceResult]] = {}
        self._lock = threading.Lock()
        self.default_candidate = Candidate.new(
            problem, {n: s.default_source for n, s in self.slots.items()}, operator="default",
            proposer="default")
        self._fingerprint = evaluation_fingerprint(problem, splits, config)

    # --- keys, seeds, baselines ---------------------------------------------------------
    def evaluation_key(self, candidate: Candidate, split: str) -> str:
        """Identifies (candidate code, split, instance contents, solver code, budget)."""
        return f"{candidate.id}/{split}/{self._fingerprint}"

    def _seed(self, instance: SplitInstance, replicate: int) -> int:
        """The solver seed of one pair: the same for every candidate (paired comparisons)."""
        return derive_seed(self.run_seed, instance.name, replicate)

    def replicates(self, split: str) -> int:
        """Seeds per instance of ``split`` (validation has its own count: the guard's sample)."""
        return self.config.validation_seeds if split == "validation" else self.config.seeds_per_instance

    def _baseline_results(self, split: str, replicate: int) -> dict[str, InstanceResult]:
        """The default heuristic's runs on ``split`` for one replicate (computed once)."""
        with self._lock:
            if (split, replicate) not in self._baselines:
                items = self.splits[split]
                payload = self._payload(self.default_candidate, [(i, replicate) for i in items], {})
                out = judged_call(self.executor.run, payload, self._timeout(len(items)))
                if not out.ok:
                    raise BaselineError(
                        f"the default heuristic failed on split '{split}' ({out.error}); nothing "
                        f"can be compared with it. Check the suite and the limits "
                        f"(evaluation.timeout_s = {self.config.timeout_s:g} s per instance, "
                        f"evaluation.memory_mb = {self.config.memory_mb})")
                results = list(out.value)
                self._baselines[(split, replicate)] = {r.instance: r for r in results}
            return self._baselines[(split, replicate)]

    def baseline(self, split: str, replicate: int = 0) -> dict[str, float | None]:
        """The default heuristic's objective per instance of ``split`` (None where infeasible)."""
        return {name: (r.objective if r.feasible else None)
                for name, r in self._baseline_results(split, replicate).items()}

    def default_scores(self, split: str) -> dict[PairKey, float]:
        """The default's own score on every pair of ``split`` computed so far (1.0 where feasible)."""
        with self._lock:
            return {(r.instance, r.seed): r.score for (s, _), runs in self._baselines.items()
                    if s == split for r in runs.values()}

    @property
    def pool(self) -> SandboxPool:
        """The local executor's pool (to share it with another evaluator, or to inspect it)."""
        if not isinstance(self.executor, LocalExecutor):
            raise AttributeError("this evaluator runs on a non-local executor: it has no pool")
        return self.executor.pool

    def _timeout(self, n_instances: int) -> float:
        return self.config.timeout_s * max(1, n_instances)

    def _candidate(self, cand: Candidate) -> dict[str, Any]:
        """The ``prepare`` request of ``cand`` (as plain data: it may cross to a Dask worker)."""
        return msgspec.to_builtins(CandidateRequest(self.problem, cand.id, dict(cand.sources),
                                                    self.config.boundscheck))

    def _payload(self, cand: Candidate, pairs: Pairs, references: dict[PairKey, float | None]) -> dict[str, Any]:
        """The ``run_instances`` request of ``cand`` on ``pairs`` (a :class:`RunRequest` as plain data)."""
        runs = []
        for inst, rep in pairs:
            seed = self._seed(inst, rep)
            runs.append(RunItem(inst.path, seed, references.get((inst.name, seed)),
                                inst.budget_steps or self.config.budget_steps))
        return msgspec.to_builtins(RunRequest(self.problem, cand.id, dict(cand.sources),
                                              self.config.boundscheck, instances=runs,
                                              instance_timeout_s=self.config.timeout_s))

    def _references(self, split: str, replicates: int) -> dict[PairKey, float | None]:
        """The default's objective on each pair of the first ``replicates`` (the scores' reference)."""
        return {(name, r.seed): (r.objective if r.feasible else None)
                for rep in range(replicates)
                for name, r in self._baseline_results(split, rep).items()}

    # --- evaluation -------------------------------------------------------------------
    def _blocks(self, split: str, racing: bool) -> list[tuple[Stage, Pairs]]:
        """The split's pairs (replicate-major, families in turn) cut into the stages: minibatch,
        then the rest. Racing cuts its minibatch in two: the short tie-check block, then up to
        the first test; the rest comes in blocks of ``min_block``."""
        cfg = self.config
        items = interleave_families(self.splits[split])
        pairs = [(i, r) for r in range(self.replicates(split)) for i in items]
        first = max(cfg.min_block, cfg.minibatch) if racing else cfg.minibatch
        if not first:
            return [(Stage.FULL, pairs)] if cfg.full else []
        blocks = [(Stage.MINIBATCH, pairs[:first])]
        if racing:
            families = len({instance_family(i.name) for i in items})
            tie_check = min(first, max(cfg.first_block, families))
            blocks = [(Stage.MINIBATCH, b) for b in (pairs[:tie_check], pairs[tie_check:first]) if b]
        rest = pairs[first:]
        if cfg.full and rest:
            step = cfg.min_block if racing else len(rest)
            blocks += [(Stage.FULL, rest[k:k + step]) for k in range(0, len(rest), step)]
        return blocks

    def _summary(self, split: str, results: list[InstanceResult], incumbent: EvaluationResult | None,
                 raced_out: bool) -> tuple[float, dict[str, float]]:
        """Fitness and metrics: effects vs the default and the incumbent with intervals, steps."""
        default = self.default_scores(split)
        fitness, metrics = aggregate(results, default)
        scores = pair_scores(results)
        method = self.config.test
        record_effect(metrics, "default", paired_on_keys(scores, default, method=method),
                      "p_better_than_default")
        if incumbent is not None and incumbent.ok and incumbent.instances:
            vs = paired_on_keys(scores, pair_scores(incumbent.instances), method=method,
                                alternative="less")
            record_effect(metrics, "incumbent", vs, "p_worse_than_incumbent")
            if raced_out and vs is not None and incumbent.fitness is not None:
                fitness = incumbent.fitness + vs.difference.mean  # on the incumbent's pairs' scale
        metrics["raced_out"] = float(raced_out)
        return fitness, metrics

    def evaluate(self, candidate: Candidate, split: str = "train",
                 incumbent: EvaluationResult | None = None) -> EvaluationResult:
        """Run the stages (racing against ``incumbent`` if given); never raises for the candidate."""
        t0 = time.perf_counter()
        cid = candidate.id
        inc_scores = pair_scores(incumbent.instances) if (
            incumbent is not None and incumbent.ok and incumbent.instances) else None
        racing = self.config.racing and inc_scores is not None

        def done(status: EvalStatus, stage: Stage, error: str = "", feedback: str = "",
                 results: list[InstanceResult] | None = None, raced_out: bool = False) -> EvaluationResult:
            results = results or []
            fitness, metrics = self._summary(split, results, incumbent, raced_out) if results else (None, {})
            return EvaluationResult(
                cid, status, stage, tuple(results), fitness if status is EvalStatus.OK else None,
                tuple(r.score for r in results), metrics, clip_text(error),
                clip_text(feedback or error), time.perf_counter() - t0)

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

        base = self.replicates(split)
        extra = self.config.promote_seeds if racing and self.config.full else 0
        references = self._references(split, base + extra)  # before leasing: baselines need a worker
        plan = self._plan(candidate, split, racing, incumbent, references, base, extra)
        out = self.executor.stages(plan)
        return done(out.status, out.stage, out.error, out.feedback, list(out.results), out.raced_out)

    def _plan(self, candidate: Candidate, split: str, racing: bool, incumbent: EvaluationResult | None,
              references: dict[PairKey, float | None], base: int, extra: int) -> StagePlan:
        """The candidate's stages as plain data for whichever worker runs them."""
        cfg = self.config
        smoke = Block(Stage.SMOKE.value, self._payload(candidate, [(SplitInstance("smoke", self.smoke_path), 0)], {}),
                      cfg.timeout_s) if cfg.smoke else None
        blocks = [Block(stage.value, self._payload(candidate, batch, references), self._timeout(len(batch)))
                  for stage, batch in self._blocks(split, racing)]
        more = [(i, r) for r in range(base, base + extra) for i in self.splits[split]]
        runs = incumbent.instances if incumbent is not None and incumbent.ok else ()
        return StagePlan(
            prepare=self._candidate(candidate), smoke=smoke, blocks=blocks,
            extra=Block(Stage.FULL.value, self._payload(candidate, more, references),
                        self._timeout(len(more))) if more else None,
            incumbent=[(r.instance, r.seed, r.score) for r in runs] if racing else [],
            incumbent_runs=[(r.instance, r.seed, r.objective, r.feasible, r.steps) for r in runs],
            racing=racing, drop_ties=cfg.drop_ties, test=cfg.test, alpha=cfg.alpha,
            min_block=cfg.min_block, halving=cfg.halving, stop_below=self._stop_below(incumbent))

    def _stop_below(self, incumbent: EvaluationResult | None) -> float | None:
        """Without racing: a minibatch mean score below this stops the candidate (None: never)."""
        ratio = self.config.early_stop_ratio
        inc = incumbent.fitness if incumbent is not None and incumbent.ok else None
        if not ratio or inc is None or inc <= 0:
            return None
        return ratio * inc

    def close(self) -> None:
        """Stop the workers."""
        self.executor.close()

