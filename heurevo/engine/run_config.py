"""The configuration of an evolution run (one TOML file; every field has a default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from heurevo.engine.controller import ControllerConfig
from heurevo.engine.evaluate import EvaluationConfig
from heurevo.engine.proposers.gp import GPConfig
from heurevo.engine.proposers.tuning import TuningConfig

#: The suite a problem's runs use unless told otherwise.
DEFAULT_SUITES = {"pbo": "pbo-mixed-small", "tsp": "tsp-uniform-small"}


@dataclass(frozen=True)
class SuiteConfig:
    """Which instances, and how they are split."""

    name: str = "pbo-mixed-small"
    validation_fraction: float = 0.4

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(f"validation_fraction: must be in [0, 1), got {self.validation_fraction}")


@dataclass(frozen=True)
class BudgetConfig:
    """When the run stops (0 or absent = no limit of that kind, except evaluations)."""

    evaluations: int = 40
    wall_time_s: float | None = None
    proposals: int | None = None
    generations: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.evaluations < 1:
            raise ValueError(f"evaluations: must be >= 1, got {self.evaluations}")


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; written resolved into the run folder as config.toml."""

    problem: Literal["pbo", "tsp"] = "pbo"
    seed: int = 0
    slots: tuple[str, ...] = ()
    proposer: Literal["gp"] = "gp"
    suite: SuiteConfig = field(default_factory=SuiteConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    gp: GPConfig = field(default_factory=GPConfig)
    tuning: TuningConfig = field(default_factory=TuningConfig)
