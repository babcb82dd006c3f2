"""The proposer interface and registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from heurevo.engine.controller import ProposalRequest
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

    @abstractmethod
    def propose(self, request: ProposalRequest) -> Proposal:
        """New sources for ``request.slots``; raises :class:`ProposalError` when it cannot."""

    def close(self) -> None:  # noqa: B027 - optional hook, most proposers hold nothing
        """Release resources (threads, connections)."""


PROPOSERS: Registry[type[Proposer]] = Registry("proposer")
