"""Frozen records that cross process and storage boundaries: candidates and evaluation results.

All of them are plain data (strings, numbers, tuples, enums) and round-trip through JSON with
``to_json`` / ``from_json``, so they travel between the engine, sandboxed workers, a Dask
cluster and the SQLite store unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal


class CandidateState(StrEnum):
    """Lifecycle of a candidate: proposed → checked → compiled → evaluated | rejected | failed."""

    PROPOSED = "proposed"
    CHECKED = "checked"
    COMPILED = "compiled"
    EVALUATED = "evaluated"
    REJECTED = "rejected"
    FAILED = "failed"


class EvalStatus(StrEnum):
    """How an evaluation ended."""

    OK = "ok"
    REJECTED = "rejected"  # failed a check before any solver ran
    FAILED = "failed"  # raised, returned garbage, or produced an unverifiable solution
    TIMEOUT = "timeout"  # killed at the wall-clock limit
    CRASHED = "crashed"  # the worker process died (signal or exit code)
    MEMORY = "memory"  # ran out of its memory limit


class Stage(StrEnum):
    """How far a staged evaluation got."""

    CHECKS = "checks"
    QUICK_CHECKS = "quick_checks"
    SMOKE = "smoke"
    MINIBATCH = "minibatch"
    FULL = "full"


def candidate_id(problem: str, sources: dict[str, str]) -> str:
    """A content hash of the candidate's code: the same code always gets the same id."""
    h = hashlib.sha256(problem.encode())
    for slot in sorted(sources):
        h.update(b"\0" + slot.encode() + b"\0" + sources[slot].encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Candidate:
    """Source code for one or more slots of a problem, with where it came from."""

    id: str
    problem: str
    sources: dict[str, str]
    parents: tuple[str, ...] = ()
    operator: str = "init"
    proposer: str = "default"
    state: CandidateState = CandidateState.PROPOSED
    idea: str = ""
    generation: int = 0

    @classmethod
    def new(cls, problem: str, sources: dict[str, str], **kwargs: Any) -> Candidate:
        """A candidate whose id is the hash of its code."""
        return cls(id=candidate_id(problem, sources), problem=problem, sources=dict(sources), **kwargs)

    def with_state(self, state: CandidateState) -> Candidate:
        """A copy in another lifecycle state."""
        return replace(self, state=state)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["parents"] = list(self.parents)
        d["state"] = self.state.value
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Candidate:
        """Inverse of :meth:`to_json`."""
        return cls(**{**d, "parents": tuple(d.get("parents", ())),
                      "state": CandidateState(d.get("state", "proposed")),
                      "sources": dict(d["sources"])})


@dataclass(frozen=True)
class InstanceResult:
    """One solver run of a candidate on one instance, after verification."""

    instance: str
    seed: int
    objective: float | None
    verified: bool
    feasible: bool
    steps: int
    seconds: float
    trace: tuple[tuple[int, float, float], ...] = ()
    score: float = 0.0  # normalised quality in [0, 1] (1 = reference reached or beaten)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["trace"] = [list(t) for t in self.trace]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InstanceResult:
        """Inverse of :meth:`to_json`."""
        return cls(**{**d, "trace": tuple(tuple(t) for t in d.get("trace", ()))})


@dataclass(frozen=True)
class EvaluationResult:
    """Everything the engine learns from evaluating one candidate."""

    candidate_id: str
    status: EvalStatus
    stage: Stage
    instances: tuple[InstanceResult, ...] = ()
    fitness: float | None = None
    descriptor: tuple[float, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    feedback: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the candidate ran and was scored."""
        return self.status is EvalStatus.OK

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "candidate_id": self.candidate_id, "status": self.status.value,
            "stage": self.stage.value, "instances": [r.to_json() for r in self.instances],
            "fitness": self.fitness, "descriptor": list(self.descriptor),
            "metrics": dict(self.metrics), "error": self.error, "feedback": self.feedback,
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EvaluationResult:
        """Inverse of :meth:`to_json`."""
        return cls(
            candidate_id=d["candidate_id"], status=EvalStatus(d["status"]), stage=Stage(d["stage"]),
            instances=tuple(InstanceResult.from_json(r) for r in d.get("instances", ())),
            fitness=d.get("fitness"), descriptor=tuple(d.get("descriptor", ())),
            metrics=dict(d.get("metrics", {})), error=d.get("error", ""),
            feedback=d.get("feedback", ""), seconds=d.get("seconds", 0.0),
        )

    def dumps(self) -> str:
        """Compact JSON text."""
        return json.dumps(self.to_json(), separators=(",", ":"))


@dataclass(frozen=True)
class Member:
    """An evaluated candidate in the population."""

    candidate: Candidate
    result: EvaluationResult

    @property
    def fitness(self) -> float:
        """Training fitness (higher is better); failed candidates count as -inf."""
        return self.result.fitness if self.result.ok and self.result.fitness is not None else float("-inf")

    def objectives(self, names: Sequence[str]) -> tuple[float, ...]:
        """Values of the named objectives: quality (max), solver time and code length (min)."""
        values = []
        for name in names:
            if name == "quality":
                values.append(self.fitness)
            elif name == "time":
                values.append(sum(r.seconds for r in self.result.instances))
            elif name == "length":
                values.append(float(sum(len(s) for s in self.candidate.sources.values())))
            else:
                raise ValueError(f"unknown objective '{name}'")
        return tuple(values)


@dataclass(frozen=True)
class ProposalRequest:
    """What the controller asks a proposer for: new code for ``slots`` by ``operator``."""

    problem: str
    slots: tuple[str, ...]
    operator: str
    parents: tuple[Member, ...]
    base_sources: dict[str, str]
    seed: int
    generation: int
    mode: Literal["exploit", "explore"] = "exploit"
    #: CIRE: the members of one cluster (exploit) or one of each of several clusters (explore).
    group: tuple[Member, ...] = ()
    #: Distant references (lower ranks or other clusters) shown beside the parents.
    references: tuple[Member, ...] = ()
    #: Why the controller is in this mode ("stagnation", "convergence" or "").
    reason: str = ""
    #: Lessons from the mistake notebook, most relevant first.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LLMCall:
    """One request/response exchanged with an LLM endpoint (keys never included)."""

    seq: int
    cache_key: str
    model: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    error: str = ""
