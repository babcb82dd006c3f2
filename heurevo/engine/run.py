"""The run loop: ask the controller, get code from the proposer, evaluate, store, tell.

It knows nothing of LLMs, Numba or instance formats: the proposer, evaluator, store and clock
are injected. Resume is deterministic replay: the controller and proposers are pure functions
of the run seed and what they were told, and every finished evaluation is looked up in the
store by key before anything is evaluated again, so a resumed run repeats no finished work and
ends with the same population as an uninterrupted one.

The guard: at the end the top candidates by train fitness are judged on the validation split,
each paired with the default (the first initial candidate, unless the run starts from another
artifact: see :mod:`heurevo.engine.start`) on the same instances and seeds. A
candidate is accepted only when a one-sided paired test says it beats the default at
``alpha`` divided by the number of candidates tested (Bonferroni) *and* no instance family of
the validation split is significantly worse than the default there (a one-sided test per family
at ``alpha``, uncorrected, so the guard errs towards refusing: a gain on one family must not
hide a loss on another); the best accepted one is the reported best. When none is accepted, the
reported best is the default and the run says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from heurevo.engine.compare import instance_family
from heurevo.engine.controller import Controller
from heurevo.engine.evaluate import PairKey, pair_scores
from heurevo.engine.executors.base import ExecutorLost
from heurevo.engine.proposers.base import Proposal, ProposalError, Proposer
from heurevo.populations.lineage import NO_GAIN_VERDICT
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    Member,
    ProposalRequest,
)
from heurevo.populations.store import Store
from heurevo.stats import PairedTest, paired_on_keys

#: Generations in a row without a new evaluation before the run gives up.
MAX_IDLE_GENERATIONS = 25


class Evaluator(Protocol):
    """Scores candidates; implementations run the code in sandboxed workers."""

    def evaluation_key(self, candidate: Candidate, suite: str) -> str:
        """A key that identifies this evaluation (candidate code, suite, budget)."""
        ...

    def evaluate(self, candidate: Candidate, suite: str = "train",
                 incumbent: EvaluationResult | None = None) -> EvaluationResult:
        """Evaluate ``candidate`` on the named suite split (paired with / raced against ``incumbent``)."""
        ...


class LoopHooks(Protocol):
    """Optional extras around each evaluation (CIRE's novelty check and notebook)."""

    def check(self, cand: Candidate) -> EvaluationResult | None:
        """A ``REJECTED`` result given to the proposer in place of an evaluation, or None."""
        ...

    def rescore(self, member: Member) -> Member:
        """The member the controller is told (an LLM judge's composite fitness, say)."""
        ...

    def admit(self, member: Member) -> None:
        """Learn from an evaluated candidate (in tell order)."""
        ...

    def annotate(self, request: ProposalRequest) -> ProposalRequest:
        """The request with anything the hooks add (lessons for the prompts)."""
        ...

    def prepare(self, cands: list[Candidate]) -> None:
        """Before a generation's checks: see all its first proposals at once (one embedding call)."""
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


@dataclass(frozen=True)
class Acceptance:
    """The guard: which paired test a reported best must pass against the default on validation."""

    method: Literal["wilcoxon", "sign"] = "wilcoxon"
    alpha: float = 0.05
    per_family: bool = True  # also refuse a candidate significantly worse on any family


def worse_families(candidate: dict[PairKey, float], default: dict[PairKey, float],
                   acceptance: Acceptance) -> dict[str, float]:
    """Families (by instance name) where ``candidate`` is significantly worse than ``default``,
    with the one-sided p-value of each (empty when ``acceptance.per_family`` is off)."""
    if not acceptance.per_family:
        return {}
    groups: dict[str, list[PairKey]] = {}
    for key in candidate:
        if key in default:
            groups.setdefault(instance_family(key[0]), []).append(key)
    out: dict[str, float] = {}
    for fam, keys in sorted(groups.items()):
        test = paired_on_keys({k: candidate[k] for k in keys}, {k: default[k] for k in keys},
                              method=acceptance.method, alternative="less")
        if test is not None and test.p_value < acceptance.alpha:
            out[fam] = test.p_value
    return out


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
    validation: EvaluationResult | None = None  # of the reported best (the default if none passed)
    accepted: bool = False  # True when an evolved candidate passed the guard
    verdict: str = ""  # the one line every command prints about the outcome


class RunLoop:
    """Drives one run to a budget; safe to call :meth:`run` again on the same store to resume."""

    def __init__(self, controller: Controller, proposer: Proposer, evaluator: Evaluator, store: Store,
                 budgets: Budgets, *, clock: Clock = time.monotonic, workers: int = 1,
                 usage: Callable[[], tuple[int, float]] | None = None,
                 on_progress: Callable[[RunStats], None] | None = None,
                 validate_top: int = 3, acceptance: Acceptance | None = None,
                 hooks: LoopHooks | None = None):
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
        self.acceptance = acceptance or Acceptance()
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

    def _evaluate(self, cand: Candidate, incumbent: EvaluationResult | None) -> tuple[EvaluationResult, bool]:
        """The stored result if this evaluation already finished, else a fresh one (stored)."""
        key = self.evaluator.evaluation_key(cand, "train")
        with self._engine_time():
            stored = self.store.evaluation(key)
            if stored is not None:
                return stored, True
            self.store.add_candidate(cand)
        result = self.evaluator.evaluate(cand, "train", incumbent)
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
    def seed_population(self, initial: list[Candidate], default: Candidate | None = None) -> None:
        """Evaluate the initial candidates (the defaults, say) and tell the controller.

        A ``default`` not among them (another starting artifact) is evaluated on train first,
        as the guard's and the reports' reference, but never joins the population."""
        self._reserved = self.stats.evaluations
        if default is not None and default.id not in {c.id for c in initial} and self._reserve():
            result, reused = self._evaluate(default, None)
            self._seen.add(default.id)
            self._count(result, reused)
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
        if self.hooks is not None:
            member = self.hooks.rescore(member)
        self.controller.tell(member)
        if self.hooks is not None:
            self.hooks.admit(member)

    def _sync_best(self) -> None:
        best = self.controller.best
        self.stats.best_fitness = best.fitness if best else None
        self.stats.best_id = best.candidate.id if best else None
        self.stats.generation = self.controller.generation

    def run(self, initial: list[Candidate], default: Candidate | None = None) -> RunSummary:
        """Run until a budget is spent or Ctrl-C; every finished evaluation is already stored.

        The guard compares the reported best with ``default`` (``initial[0]`` when not given:
        a run that starts from the default heuristic).
        """
        default = default or (initial[0] if initial else None)
        self.stats = RunStats(started=self.clock())
        self._seen = set()
        info = self.store.run_info()
        self.store.set_run_status("running")
        resumed = bool(info and self.store.evaluations())
        self.store.add_event("start", {"resumed": resumed})
        try:
            self.seed_population(initial, default)
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
        except ExecutorLost as exc:  # not the candidate's doing: nothing recorded for it
            self.stats.stopped_because = f"interrupted: {exc}"
            self.store.set_run_status("interrupted")
        self.store.add_event("stop", {"reason": self.stats.stopped_because,
                                      "evaluations": self.stats.evaluations,
                                      "reused": self.stats.reused})
        summary = RunSummary(self.stats, self.controller.best, tuple(self.controller.population))
        if default is not None and self.stats.stopped_because and \
                not self.stats.stopped_because.startswith("interrupted"):
            summary = self._validate(summary, default)
        return summary

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

    def _chain(self, req: ProposalRequest, incumbent: EvaluationResult | None,
               proposal: Proposal | None) -> list[tuple[Candidate, EvaluationResult, bool]]:
        """Check and evaluate ``proposal`` (paired with the generation's incumbent), follow up while asked to."""
        out: list[tuple[Candidate, EvaluationResult, bool]] = []
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
                result, reused = self._evaluate(cand, incumbent)
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
            # The incumbent is fixed per generation (read before any chain runs): deterministic.
            incumbent = self.controller.best.result if self.controller.best else None
            if self.hooks is not None:
                requests = [self.hooks.annotate(r) for r in requests]
        if self.budgets.evaluations is not None:  # trim up front: which requests run is deterministic
            requests = requests[:max(0, self.budgets.evaluations - self.stats.evaluations)]
        if self.budgets.proposals is not None:
            requests = requests[:max(0, self.budgets.proposals - self.stats.proposals)]
        self._reserved = self.stats.evaluations
        # Every first proposal before any check, so the hooks embed the generation in one call.
        firsts = list(pool.map(lambda r: self._propose(lambda: self.proposer.propose(r), r.operator),
                               requests))
        if self.hooks is not None:
            with self._engine_time():
                self.hooks.prepare([self._candidate(r, p) for r, p in zip(requests, firsts, strict=True)
                                    if p is not None])
        chains = [pool.submit(self._chain, req, incumbent, first)
                  for req, first in zip(requests, firsts, strict=True)]
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

    def _validation(self, cand: Candidate) -> EvaluationResult:
        """``cand`` on the validation split (stored; looked up first, so resume repeats nothing)."""
        key = self.evaluator.evaluation_key(cand, "validation")
        result = self.store.evaluation(key)
        if result is None:
            result = self.evaluator.evaluate(cand, "validation", None)
            self.store.record_evaluation(key, result)
        return result

    def _validate(self, summary: RunSummary, default: Candidate) -> RunSummary:
        """The guard: the best top candidate that beats ``default`` significantly, else the default."""
        base = self._validation(default)
        top = [m for m in self.controller.population
               if m.result.ok and m.candidate.id != default.id][: self.validate_top]
        tried: list[tuple[Member, EvaluationResult, PairedTest | None]] = []
        refused: dict[str, dict[str, float]] = {}  # candidate → its significantly worse families
        default_scores = pair_scores(base.instances)
        for m in top:
            result = self._validation(m.candidate)
            if result.ok:
                scores = pair_scores(result.instances)
                test = paired_on_keys(scores, default_scores, method=self.acceptance.method,
                                      alternative="greater")
                tried.append((m, result, test))
                worse = worse_families(scores, default_scores, self.acceptance)
                if worse:
                    refused[m.candidate.id] = worse
        threshold = self.acceptance.alpha / max(1, len(tried))
        passed = [(m, r, t) for m, r, t in tried if t is not None and t.p_value < threshold
                  and r.fitness is not None and base.fitness is not None and r.fitness > base.fitness
                  and m.candidate.id not in refused]
        passed.sort(key=lambda x: (-(x[1].fitness or 0.0), x[0].candidate.id))
        p_values = [t.p_value for _, _, t in tried if t is not None]
        if passed:
            m, result, test = passed[0]
            assert test is not None
            verdict = (f"candidate {m.candidate.id} beat the default significantly on validation "
                       f"({self.acceptance.method} p = {test.p_value:.3g} < {threshold:.3g}, "
                       f"{test.n} pairs)")
            chosen, p_value = m.candidate.id, test.p_value
        else:
            result, chosen = base, default.id
            p_value = min(p_values) if p_values else 1.0
            verdict = NO_GAIN_VERDICT
        self.store.add_event("validated", {
            "candidate": chosen, "fitness": result.fitness, "accepted": bool(passed),
            "default": default.id, "p_value": p_value, "method": self.acceptance.method,
            "alpha": self.acceptance.alpha, "threshold": threshold, "tested": len(tried),
            "worse_families": refused, "verdict": verdict})
        return dataclasses.replace(summary, validation=result, accepted=bool(passed), verdict=verdict)
