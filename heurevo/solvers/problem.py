"""What the engine needs from a problem: its slots, instances, a verified solve and a score.

Each problem package provides one :class:`ProblemAdapter`; :data:`PROBLEMS` maps the problem's
name to ``"module:Class"`` so nothing heavy is imported until a problem is used.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heurevo.registry import Registry
from heurevo.solvers.slots import Slot


@dataclass(frozen=True)
class RunOutput:
    """One verified solver run (the verifier, not the kernel, decides feasible and objective)."""

    objective: float | None
    feasible: bool
    verified: bool
    steps: int
    seconds: float
    trace: tuple[tuple[int, float, float], ...] = ()


class ProblemAdapter(ABC):
    """A problem as the engine sees it."""

    name: str = ""
    suffixes: tuple[str, ...] = ()

    @abstractmethod
    def slots(self) -> dict[str, Slot]:
        """The problem's slots by name, in kernel order."""

    @abstractmethod
    def load(self, path: Path) -> Any:
        """Read an instance file into the arrays the kernel uses."""

    @abstractmethod
    def run(self, instance: Any, functions: dict[str, Any], seed: int, budget_steps: int) -> RunOutput:
        """Solve ``instance`` and verify the result.

        ``functions`` holds compiled functions only for the slots a candidate changes; every
        other slot runs its default.
        """

    @abstractmethod
    def score(self, instance: Any, objective: float | None, feasible: bool,
              reference: float | None) -> float:
        """Quality relative to ``reference`` (1.0 = as good as the reference; higher is better)."""

    @abstractmethod
    def smoke_instance(self, directory: Path) -> Path:
        """Write a tiny instance for smoke runs into ``directory`` and return its path."""


PROBLEMS: Registry[str] = Registry("problem")
PROBLEMS.register("pbo", "heurevo.solvers.pbo.adapter:PBOAdapter", "pseudo-Boolean optimisation")
PROBLEMS.register("tsp", "heurevo.solvers.tsp.adapter:TSPAdapter", "travelling salesman")

#: Evaluation budget per instance run when a config leaves it at 0: PBO flips, TSP GLS iterations.
DEFAULT_BUDGET_STEPS = {"pbo": 20_000, "tsp": 500}


def get_problem(name: str) -> ProblemAdapter:
    """A fresh adapter for the named problem."""
    module, _, cls = PROBLEMS.get(name).partition(":")
    return getattr(importlib.import_module(module), cls)()
