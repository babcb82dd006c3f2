"""The engine's own verdict on what a sandboxed child reports.

A child runs candidate code, so anything it says about its runs (objective, feasibility,
"verified") could be forged by a candidate that escaped the static checks and nopython mode.
The :class:`Referee` re-judges each run in the engine, a process no candidate code ever ran in:
it decodes the raw solution the child sent, checks it against the instance file with the
problem's :meth:`~heurevo.solvers.problem.ProblemAdapter.check`, and takes objective and score
from that check. A run counts as verified only when the check agrees with the child's claim;
a solution that is not one, or a claim that does not match, is "failed independent
verification". Problems without a ``check`` keep the child's own verdict (``outside`` False).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from heurevo.engine.sandbox import TaskOutcome
from heurevo.engine.tasks import RunItem, RunReply, RunRequest
from heurevo.errors import VerificationError
from heurevo.populations.records import EvalStatus, InstanceResult
from heurevo.solvers.problem import ProblemAdapter, get_problem

RUN_TASK = "heurevo.engine.tasks:run_instances"

#: dtypes a solution may arrive in (anything else is refused unread)
SOLUTION_DTYPES = ("uint8", "int32", "int64")


class Referee:
    """Judges a child's run replies for one problem, from the instance files alone."""

    def __init__(self, adapter: ProblemAdapter):
        self.adapter = adapter
        self.outside = type(adapter).check is not ProblemAdapter.check
        self.refused = 0  # runs whose claim the engine's check contradicted

    def judge(self, replies: list[RunReply], items: list[RunItem]) -> list[InstanceResult]:
        """One :class:`InstanceResult` per reply, objective and score from the engine's check."""
        if len(replies) != len(items):
            raise VerificationError(f"the worker answered {len(replies)} runs for {len(items)} asked")
        return [self._judge(reply, item) for reply, item in zip(replies, items, strict=True)]

    def _judge(self, reply: RunReply, item: RunItem) -> InstanceResult:
        claim = reply.run
        name = Path(item.path).name
        if claim.instance != name or claim.seed != item.seed:
            return self._refuse(claim)
        if not self.outside:
            return claim
        if not reply.solution:  # no solution found: nothing to forge, it scores 0
            if claim.feasible:
                return self._refuse(claim)
            return dataclasses.replace(claim, objective=None, score=0.0)
        try:
            if reply.solution_dtype not in SOLUTION_DTYPES:
                raise VerificationError(f"solution dtype {reply.solution_dtype!r}")
            solution = np.frombuffer(reply.solution, dtype=reply.solution_dtype)
            checked = self.adapter.check(Path(item.path), solution, item.reference)
        except (VerificationError, ValueError):
            return self._refuse(claim)
        assert checked is not None
        agrees = checked.feasible == claim.feasible and checked.objective == claim.objective
        if not agrees:
            self.refused += 1
        return dataclasses.replace(claim, objective=checked.objective, feasible=checked.feasible,
                                   verified=claim.verified and agrees,
                                   score=checked.score if agrees else 0.0)

    def _refuse(self, claim: InstanceResult) -> InstanceResult:
        self.refused += 1
        return dataclasses.replace(claim, verified=False, score=0.0)


_REFEREES: dict[str, Referee] = {}


def referee_for(problem: str) -> Referee:
    """This process's referee for ``problem`` (its checked instances stay cached)."""
    if problem not in _REFEREES:
        _REFEREES[problem] = Referee(get_problem(problem))
    return _REFEREES[problem]


def judged_call(call: Callable[..., TaskOutcome], payload: RunRequest | dict[str, Any],
                timeout_s: float | None) -> TaskOutcome:
    """One ``run_instances`` call through ``call``; its runs count only as the referee judges them.

    ``call(task, payload, timeout_s, reply=...)`` is a worker's or an executor's call. A reply
    that does not even name the runs asked for is ``crashed``, "malformed worker reply".
    """
    request = payload if isinstance(payload, RunRequest) else msgspec.convert(payload, RunRequest)
    out = call(RUN_TASK, payload, timeout_s, reply=list[RunReply])
    if not out.ok:
        return out
    try:
        judged = referee_for(request.problem).judge(out.value, request.instances)
    except VerificationError as exc:
        return TaskOutcome(EvalStatus.CRASHED, error=f"malformed worker reply: {exc}",
                           seconds=out.seconds, worker_pid=out.worker_pid)
    return dataclasses.replace(out, value=judged)
