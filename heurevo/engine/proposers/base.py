"""The proposer interface and registry.

A proposer class declares its operators with the number of parents each takes, and builds
itself from a run config (:meth:`Proposer.from_run`); :data:`PROPOSERS` holds the classes by
name (the built-in ones as references, imported when used) and those installed packages declare
under the ``heurevo.proposers`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from heurevo.engine.controller import ControllerConfig
from heurevo.populations.records import Candidate, EvaluationResult, ProposalRequest
from heurevo.registry import Registry
from heurevo.solvers.slots import Slot

if TYPE_CHECKING:
    from heurevo.engine.run_config import RunConfig
    from heurevo.populations.store import Store


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
    #: The operators this proposer offers, each with the number of parents it takes.
    operators: ClassVar[Mapping[str, int]] = {}
    #: Operator weights per mode ("exploit", "explore") that replace the controller's defaults
    #: (which are GP's); empty = use the controller's tables as they are.
    default_operators: ClassVar[Mapping[str, Mapping[str, float]]] = {}
    #: Other proposers' operator names and the nearest operator of this one.
    operator_aliases: ClassVar[Mapping[str, str]] = {}
    #: True when propose/followup may run in several threads at once.
    parallel_safe: bool = False
    #: How many follow-up rounds (repairs, refinements) one request may take.
    max_followups: int = 0

    @classmethod
    @abstractmethod
    def from_run(cls, config: RunConfig, slots: dict[str, Slot], store: Store) -> Proposer:
        """The proposer a run config asks for (LLM proposers record transcripts in ``store``)."""

    @classmethod
    def operator_weights(cls, table: Mapping[str, float], mode: str) -> dict[str, float]:
        """The controller's ``mode`` table in this proposer's operators.

        The controller's default table becomes :attr:`default_operators` (when declared); other
        tables keep their weights, with names mapped by :attr:`operator_aliases`.
        """
        defaults = cls.default_operators.get(mode)
        if defaults is None:
            return dict(table)
        if dict(table) == getattr(ControllerConfig(), f"{mode}_operators"):
            return dict(defaults)
        out: dict[str, float] = {}
        for op, weight in table.items():
            name = cls.operator_aliases.get(op, op)
            out[name] = out.get(name, 0.0) + weight
        return out

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


PROPOSERS: Registry[type[Proposer]] = Registry("proposer", group="heurevo.proposers")
PROPOSERS.register_lazy("gp", "heurevo.engine.proposers.gp:GPProposer",
                        "genetic programming over slot expression holes (offline)")
PROPOSERS.register_lazy("llm", "heurevo.engine.proposers.llm:LLMProposer",
                        "LLM evolution operators as prompts (EoH) with repair")
PROPOSERS.register_lazy("autopbo", "heurevo.engine.proposers.autopbo:AutoPBOProposer",
                        "AutoPBO agents: Planner, Editor, Evaluator")


def proposer_class(name: str) -> type[Proposer]:
    """The registered proposer class ``name`` (raises ``UnknownNameError``)."""
    return PROPOSERS.get(name)
