"""A candidate's staged work on one sandboxed worker, as plain data in and out.

The engine (:class:`~heurevo.engine.evaluate.StagedEvaluator`) decides *what* to run: a
:class:`StagePlan` holds the task payloads of each stage (compile + quick checks, the smoke run,
the blocks of (instance, seed) pairs, the promoted extra seeds) and the racing rule with the
incumbent's scores. :func:`run_stages` runs a plan on one leased worker, whichever executor owns
the worker (a local pool in the engine's host, or a Dask worker process that hosts its own
zygote), and returns a :class:`StageOutcome`; every run reply is judged by the
:mod:`~heurevo.engine.referee` in the process that runs the plan, which no candidate touched.
Both records are msgspec structs, so a plan and its outcome cross any process or network
boundary as MessagePack data.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import msgspec

from heurevo.engine.referee import judged_call
from heurevo.engine.sandbox import TaskOutcome
from heurevo.engine.tasks import Prepared
from heurevo.populations.records import EvalStatus, InstanceResult, Stage
from heurevo.stats import TIE_TOLERANCE, PairedTest, paired_on_keys

TASKS = "heurevo.engine.tasks"


class Block(msgspec.Struct, frozen=True):
    """One call of ``run_instances``: its stage, payload and time limit."""

    stage: str
    payload: dict[str, Any]
    timeout_s: float


class StagePlan(msgspec.Struct, frozen=True):
    """Everything a worker needs to run one candidate's stages (no engine state)."""

    prepare: dict[str, Any]
    smoke: Block | None
    blocks: list[Block]
    extra: Block | None  # more seeds for a candidate that finishes significantly better
    incumbent: list[tuple[str, int, float]]  # (instance, seed, score): racing's reference
    incumbent_runs: list[tuple[str, int, float | None, bool, int]]  # objective, feasible, steps
    racing: bool
    drop_ties: bool
    test: Literal["wilcoxon", "sign"]
    alpha: float
    min_block: int
    halving: bool = False  # racing: stop a candidate behind the incumbent on average after block 1
    stop_below: float | None = None  # without racing: a minibatch mean score below this stops


class StageOutcome(msgspec.Struct, frozen=True):
    """How the stages ended: status, last stage reached, error and feedback, the runs so far."""

    status: EvalStatus
    stage: Stage
    error: str = ""
    feedback: str = ""
    results: list[InstanceResult] = msgspec.field(default_factory=list)
    raced_out: bool = False


class Lease(Protocol):
    """A fresh sandboxed child for one candidate (compiled slots stay in it between calls)."""

    def call(self, task: str, payload: Any, timeout_s: float | None = None,
             reply: Any = Any) -> TaskOutcome:
        """Run ``task(payload)`` in the child; never raises."""
        ...


def run_stages(plan: StagePlan, worker: Lease) -> StageOutcome:
    """Compile, quick checks, smoke run, then the blocks with racing; never raises."""
    prep = worker.call(f"{TASKS}:prepare", plan.prepare, reply=Prepared)
    if not prep.ok:
        return StageOutcome(prep.status, Stage.QUICK_CHECKS, prep.error, crash_feedback(prep, "compiling"))
    if not prep.value.ok:
        fb = prep.value.feedback
        return StageOutcome(EvalStatus.REJECTED, Stage.QUICK_CHECKS, fb.splitlines()[0], fb)
    if plan.smoke is not None:
        out = judged_call(worker.call, plan.smoke.payload, plan.smoke.timeout_s)
        bad = _bad(out)
        if bad:
            return StageOutcome(out.status if not out.ok else EvalStatus.FAILED, Stage.SMOKE, bad,
                                crash_feedback(out, "the smoke run") if not out.ok else bad)
    inc_scores = {(name, seed): score for name, seed, score in plan.incumbent}
    blocks = list(plan.blocks) + ([plan.extra] if plan.extra is not None else [])
    results: list[InstanceResult] = []
    stage = Stage.SMOKE
    for k, block in enumerate(blocks):
        if block is plan.extra:
            ahead = _verdict(plan, results, inc_scores, "greater")
            if ahead is None or ahead.p_value >= plan.alpha:
                break
        stage = Stage(block.stage)
        out = judged_call(worker.call, block.payload, block.timeout_s)
        bad = _bad(out)
        if bad:
            status = out.status if not out.ok else EvalStatus.FAILED
            return StageOutcome(status, stage, bad, crash_feedback(out, f"the {stage.value} stage")
                                if not out.ok else bad, results)
        results += out.value
        if plan.racing:
            behind = _verdict(plan, results, inc_scores, "less")
            cut = k == 0 and ((plan.drop_ties and _identical(results, plan.incumbent_runs))
                              or (plan.halving and _behind(results, inc_scores)))
            if cut or (behind is not None and behind.p_value < plan.alpha):
                return StageOutcome(EvalStatus.OK, stage, results=results, raced_out=True)
        elif plan.stop_below is not None and stage is Stage.MINIBATCH and \
                sum(r.score for r in results) / len(results) < plan.stop_below:
            break  # the minibatch verdict stands
    return StageOutcome(EvalStatus.OK, stage, results=results)


def _verdict(plan: StagePlan, results: list[InstanceResult], incumbent: dict[tuple[str, int], float],
             alternative: Literal["less", "greater"]) -> PairedTest | None:
    """The paired test against the incumbent, once at least ``min_block`` pairs are shared."""
    test = paired_on_keys({(r.instance, r.seed): r.score for r in results}, incumbent,
                          method=plan.test, alternative=alternative)
    return test if test is not None and test.n >= plan.min_block else None


def _bad(out: TaskOutcome) -> str:
    """"" for a call that ran and whose every solution verified, else the reason."""
    if not out.ok:
        return out.error.strip().splitlines()[-1] if out.error.strip() else out.status.value
    unverified = [r.instance for r in out.value if not r.verified]
    if unverified:
        return f"the solution on {unverified[0]} failed independent verification"
    return ""


def _identical(results: list[InstanceResult],
               incumbent_runs: list[tuple[str, int, float | None, bool, int]]) -> bool:
    """True when every run matches the incumbent's run on the same pair in objective and steps."""
    if not incumbent_runs:
        return False
    theirs = {(name, seed): (obj, feas, steps) for name, seed, obj, feas, steps in incumbent_runs}
    return all(theirs.get((r.instance, r.seed)) == (r.objective, r.feasible, r.steps) for r in results)


def _behind(results: list[InstanceResult], incumbent: dict[tuple[str, int], float]) -> bool:
    """True when the mean paired difference from the incumbent over the shared pairs is < 0."""
    diffs = [r.score - incumbent[(r.instance, r.seed)] for r in results
             if (r.instance, r.seed) in incumbent]
    return bool(diffs) and sum(diffs) / len(diffs) < -TIE_TOLERANCE


def crash_feedback(out: TaskOutcome, where: str) -> str:
    """What the proposer is told about a call that did not return normally."""
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
