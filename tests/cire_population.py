"""Hand-made members for the CIRE tests: code you can read, behaviour you choose."""

from __future__ import annotations

from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Member,
    Stage,
)

DEFAULTS = {"score": "def score(a, b):\n    return a + b\n"}
INSTANCES = ("i1", "i2", "i3", "i4")


def member(source: str, scores: tuple[float, ...], idea: str = "",
           status: EvalStatus = EvalStatus.OK, steps_to_best: int = 500) -> Member:
    """A member whose slot ``score`` is ``source`` and whose per-instance scores are ``scores``."""
    cand = Candidate.new("pbo", {"score": source}, idea=idea, operator="mutate")
    ok = status is EvalStatus.OK
    insts = tuple(InstanceResult(instance=name, seed=1, objective=100.0 * s, verified=True,
                                 feasible=True, steps=1000, seconds=0.01,
                                 trace=((10, 0.0, 200.0), (steps_to_best, 0.0, 100.0 * s)), score=s)
                  for name, s in zip(INSTANCES, scores, strict=True)) if ok else ()
    fitness = sum(scores) / len(scores) if ok else None
    result = EvaluationResult(cand.id, status, Stage.FULL if ok else Stage.CHECKS, insts, fitness,
                              error="" if ok else "boom")
    return Member(cand, result)
