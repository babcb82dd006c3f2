"""The run loop: ask the controller, get code from the proposer, evaluate, store, tell.

It knows nothing of LLMs, Numba or instance formats: the proposer, evaluator, store and clock
are injected. Resume is deterministic replay: the controller and proposers are pure functions
of the run seed and what they were told, and every finished evaluation is looked up in the
store by key before anything is evaluated again, so a resumed run repeats no finished work and
ends with the same population as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from heurevo.engine.controller import Controller, Member, ProposalRequest
from heurevo.engine.proposers.base import Proposal, ProposalError, Proposer
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
)
from heurevo.populations.store import Store

#: Generations in a row without a new evaluation before the run gives up.
MAX_IDLE_GENERATIONS = 25


class Evaluator(Protocol):
    """Scores candidates; implementations run the code in sandboxed workers."""

    def evaluation_key(self, candidate: Candidate, suite: str) -> str:
        """A key that identifies this evaluation (candidate code, suite, budget)."""
        ...

    def evaluate(self, candidate: Candidate, suite: str = "train",
                 parent_fitness: float | None = None) -> EvaluationResult:
        """Evaluate ``candidate`` on the named suite split."""
        ...


class LoopHooks(Protocol):
    """Optional extras around each evaluation (CIRE's novelty check and notebook)."""

    def check(self, cand: Candidate) -> EvaluationResult | None:
        """A ``REJECTED`` result given to the proposer in place of an evaluation, or None."""
        ...

    def admit(self, member: Member) -> None:
        """Learn from an evaluated candidate (in tell order)."""
        ...

    def annotate(self, request: ProposalRequest) -> ProposalRequest:
        """The request with anything the hooks add (lessons for the prompts)."""
        ...

    def end_generation(self, generation: int) -> None:
        """After survival."""
        ...


class Clock(Protocol):
    """Where the run gets the time (injectable for tests)."""

    def __call__(self) -> float:
        """Seconds, monotonic."""
        ...


@dataclass(frozen=True)
class Budgets:
    """When to stop; None means no limit of that kind."""

    evaluations: int | None = 40
    wall_time_s: float | None = None
    proposals: int | None = None
    generations: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None


@dataclass
class RunStats:
    """Counters of one run, for the live view and the summary."""

    evaluations: int = 0
    reused: int = 0
    proposals: int = 0
    proposal_failures: int = 0
    duplicates: int = 0
    not_novel: int = 0  # rejected before evaluation by the hooks (novelty, known failures)
    statuses: dict[str, int] = field(default_factory=dict)
    generation: int = 0
    best_fitness: float | None = None
    best_id: str | None = None
    eval_seconds: float = 0.0
    engine_seconds: float = 0.0  # proposer, controller and store time (summed over threads)
    started: float = 0.0
    stopped_because: str = ""


@dataclass(frozen=True)
class RunSummary:
    """What a finished (or stopped) run reports."""

    stats: RunStats
    best: Member | None
    population: tuple[Member, ...]
    validation: EvaluationResult | None = None


class RunLoop:
    """Drives one run to a budget; safe to call :meth:`run` again on the same store to resume."""

    def __init__(self, controller: Controller, proposer: Proposer, evaluator: Evaluator, store: Store,
                 budgets: Budgets, *, clock: Clock = time.monotonic, workers: int = 1,
                 usage: Callable[[], tuple[int, float]] | None = None,
                 on_progress: Callable[[RunStats], None] | None = None,
                 validate_top: int = 3, hooks: LoopHooks | None = None):
        self.controller = controller
        self.proposer = proposer
        self.evaluator = evaluator
        self.store = store
        self.budgets = budgets
        self.clock = clock
        self.workers = max(1, workers)
        self.usage = usage
        self.on_progress = on_progress
        self.validate_top = validate_top
        self.hooks = hooks
        self.stats = RunStats()
        self._lock = threading.Lock()
        self._propose_lock = threading.Lock()
        self._reserved = 0
        self._seen: set[str] = set()

    # --- budgets ----------------------------------------------------------------------
    def _exhausted(self) -> str:
        b, s = self.budgets, self.stats
        if b.evaluations is not None and s.evaluations >= b.evaluations:
            return f"evaluation budget ({b.evaluations}) spent"
        if b.proposals is not None and s.proposals >= b.proposals:
            return f"proposal budget ({b.proposals}) spent"
        if b.generations is not None and s.generation >= b.generations:
            return f"generation budget ({b.generations}) reached"
        if b.wall_time_s is not None and self.clock() - s.started >= b.wall_time_s:
            return f"wall-time budget ({b.wall_time_s:g} s) spent"
        if self.usage is not None:
            tokens, cost = self.usage()
            if b.tokens is not None and tokens >= b.tokens:
                return f"token budget ({b.tokens}) spent"
            if b.cost_usd is not None and cost >= b.cost_usd:
                return f"money budget (${b.cost_usd:g}) spent"
        return ""

    @contextlib.contextmanager
    def _engine_time(self) -> Iterator[None]:
        """Count the enclosed work as engine time (everything but evaluation)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.stats.engine_seconds += time.perf_counter() - t0

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats)

    # --- one candidate ----------------------------------------------------------------
    def _candidate(self, request: ProposalRequest, proposal: Proposal) -> Candidate:
        sources = {**request.base_sources, **proposal.sources}
        return Candidate.new(request.problem, sources,
                             parents=tuple(p.candidate.id for p in request.parents),
                             operator=proposal.operator, proposer=self.proposer.name,
                             idea=proposal.idea, generation=request.generation)

    def _evaluate(self, cand: Candidate, parent_fitness: float | None) -> tuple[EvaluationResult, bool]:
        """The stored result if this evaluation already finished, else a fresh one (stored)."""
        key = self.evaluator.evaluation_key(cand, "train")
        with self._engine_time():
            stored = self.store.evaluation(key)
            if stored is not None:
                return stored, True
            self.store.add_candidate(cand)
        result = self.evaluator.evaluate(cand, "train", parent_fitness)
        state = CandidateState.EVALUATED if result.ok else \
            CandidateState.REJECTED if result.status is EvalStatus.REJECTED else CandidateState.FAILED
        with self._engine_time():
            self.store.record_evaluation(key, result, state)
        return result, False

    def _count(self, result: EvaluationResult, reused: bool) -> None:
        s = self.stats
        s.evaluations += 1
        s.reused += int(reused)
        s.statuses[result.status.value] = s.statuses.get(result.status.value, 0) + 1
        s.eval_seconds += result.seconds
        self._progress()

    # --- the loop -----------------------------------------------------------------------
    def seed_population(self, initial: list[Candidate]) -> None:
        """Evaluate the initial candidates (the defaults, say) and tell the controller."""
        self._reserved = self.stats.evaluations
        for cand in initial:
            if not self._reserve():
                break
            result, reused = self._evaluate(cand, None)
            self._seen.add(cand.id)
            self._count(result, reused)
            self._tell(Member(cand, result))
        self.controller.end_generation()
        self._sync_best()

    def _tell(self, member: Member) -> None:
        self.controller.tell(member)
        if self.hooks is not None:
            self.hooks.admit(member)

    def _sync_best(self) -> None:
        best = self.controller.best
        self.stats.best_fitness = best.fitness if best else None
        self.stats.best_id = best.candidate.id if best else None
        self.stats.generation = self.controller.generation

    def run(self, initial: list[Candidate]) -> RunSummary:
        """Run until a budget is spent or Ctrl-C; every finished evaluation is already stored."""
        self.stats = RunStats(started=self.clock())
        self._seen = set()
        info = self.store.run_info()
        self.store.set_run_status("running")
        resumed = bool(info and self.store.evaluations())
        self.store.add_event("start", {"resumed": resumed})
        try:
            self.seed_population(initial)
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                idle = 0
                while not (reason := self._exhausted()):
                    before = self.stats.evaluations
                    self._generation(pool)
                    self._progress()
                    idle = idle + 1 if self.stats.evaluations == before else 0
                    if idle >= MAX_IDLE_GENERATIONS:
                        reason = (f"no new candidate in {idle} generations (the proposer only "
                                  "repeated earlier code or failed)")
                        break
            self.stats.stopped_because = reason
            self.store.set_run_status("finished")
        except KeyboardInterrupt:
            self.stats.stopped_because = "interrupted (Ctrl-C or SIGTERM); resume with --resume"
            self.store.set_run_status("interrupted")
        self.store.add_event("stop", {"reason": self.stats.stopped_because,
                                      "evaluations": self.stats.evaluations,
                                      "reused": self.stats.reused})
        validation = self._validate() if self.stats.stopped_because and \
            not self.stats.stopped_because.startswith("interrupted") else None
        return RunSummary(self.stats, self.controller.best, tuple(self.controller.population), validation)

    def _propose(self, call: Callable[[], Proposal | None], operator: str) -> Proposal | None:
        """One proposer call, counted; a ProposalError is recorded and gives None."""
        with self._lock:
            self.stats.proposals += 1
        try:
            if self.proposer.parallel_safe:
                with self._engine_time():
                    return call()
            with self._propose_lock, self._engine_time():
                return call()
        except ProposalError as exc:
            with self._lock:
                self.stats.proposal_failures += 1
            self.store.add_event("proposal_failed", {"operator": operator, "error": str(exc)[:500]})
            return None

    def _reserve(self) -> bool:
        """Claim one evaluation from the budget (thread-safe); False when it is spent."""
        with self._lock:
            if self.budgets.evaluations is not None and self._reserved >= self.budgets.evaluations:
                return False
            self._reserved += 1
            return True

    def _chain(self, req: ProposalRequest) -> list[tuple[Candidate, EvaluationResult, bool]]:
        """Propose, evaluate, and follow up (repair, refine) while the proposer asks to."""
        out: list[tuple[Candidate, EvaluationResult, bool]] = []
        proposal = self._propose(lambda: self.proposer.propose(req), req.operator)
        parent_fitness = req.parents[0].fitness if req.parents else None
        for round_ in range(1 + self.proposer.max_followups):
            if proposal is None:
                break
            cand = self._candidate(req, proposal)
            with self._engine_time():
                rejected = self.hooks.check(cand) if self.hooks is not None else None
            if rejected is not None:  # not new: the proposer hears why, no evaluation is spent
                result = rejected
                with self._lock:
                    self.stats.not_novel += 1
            elif not self._reserve():
                break
            else:
                result, reused = self._evaluate(cand, parent_fitness)
                out.append((cand, result, reused))
            if round_ == self.proposer.max_followups:
                break
            prev = proposal
            proposal = self._propose(lambda p=prev, c=cand, r=result: self.proposer.followup(req, p, c, r),
                                     "followup")
        return out

    def _generation(self, pool: ThreadPoolExecutor) -> None:
        with self._engine_time():
            requests = self.controller.ask()
            if self.hooks is not None:
                requests = [self.hooks.annotate(r) for r in requests]
        if self.budgets.evaluations is not None:  # trim up front: which requests run is deterministic
            requests = requests[:max(0, self.budgets.evaluations - self.stats.evaluations)]
        if self.budgets.proposals is not None:
            requests = requests[:max(0, self.budgets.proposals - self.stats.proposals)]
        self._reserved = self.stats.evaluations
        chains = [pool.submit(self._chain, req) for req in requests]
        for fut in chains:  # tell in request order: deterministic
            for cand, result, reused in fut.result():
                if cand.id in self._seen:  # the same code again: not a new evaluation
                    self.stats.duplicates += 1
                    continue
                self._seen.add(cand.id)
                self._count(result, reused)
                with self._engine_time():
                    self._tell(Member(cand, result))
        with self._engine_time():
            self.controller.end_generation()
            if self.hooks is not None:
                self.hooks.end_generation(self.controller.generation)
        self._sync_best()
        self.store.add_event("generation", {"generation": self.controller.generation,
                                            "best": self.stats.best_fitness,
                                            "evaluations": self.stats.evaluations,
                                            "population": [m.candidate.id for m in
                                                           self.controller.population]})

    def _validate(self) -> EvaluationResult | None:
        """Judge the top candidates by train fitness on the validation split; keep the best."""
        top = [m for m in self.controller.population if m.result.ok][: self.validate_top]
        best: tuple[float, Member, EvaluationResult] | None = None
        for m in top:
            key = self.evaluator.evaluation_key(m.candidate, "validation")
            result = self.store.evaluation(key)
            if result is None:
                result = self.evaluator.evaluate(m.candidate, "validation", None)
                self.store.record_evaluation(key, result)
            if result.ok and result.fitness is not None and (best is None or result.fitness > best[0]):
                best = (result.fitness, m, result)
        if best is None:
            return None
        self.store.add_event("validated", {"candidate": best[1].candidate.id, "fitness": best[0]})
        return best[2]

