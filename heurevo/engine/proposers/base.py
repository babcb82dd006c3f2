"""The proposer interface and registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from heurevo.engine.controller import ProposalRequest
from heurevo.populations.records import Candidate, EvaluationResult
from heurevo.registry import Registry


@dataclass(frozen=True)
class Proposal:
    """New source for some slots, with the idea behind it (EoH's "thought")."""

    sources: dict[str, str]
    operator: str
    idea: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class ProposalError(Exception):
    """A proposer could not produce code for a request (counted, never fatal)."""


class Proposer(ABC):
    """Makes candidate code for the controller's requests."""

    name: str = "proposer"
    operators: tuple[str, ...] = ()
    #: True when propose/followup may run in several threads at once.
    parallel_safe: bool = False
    #: How many follow-up rounds (repairs, refinements) one request may take.
    max_followups: int = 0

    @abstractmethod
    def propose(self, request: ProposalRequest) -> Proposal:
        """New sources for ``request.slots``; raises :class:`ProposalError` when it cannot."""

    def followup(self, request: ProposalRequest, proposal: Proposal, candidate: Candidate,
                 result: EvaluationResult) -> Proposal | None:
        """After an evaluation: a repaired or refined proposal, or None to stop (the default)."""
        return None

    def evolvable(self) -> list[str]:
        """Slots this proposer can write code for (each proposer says which)."""
        return []

    def usage(self) -> tuple[int, float]:
        """Tokens and money spent so far (0 for offline proposers)."""
        return 0, 0.0

    def close(self) -> None:  # noqa: B027 - optional hook, most proposers hold nothing
        """Release resources (threads, connections)."""


PROPOSERS: Registry[type[Proposer]] = Registry("proposer")
