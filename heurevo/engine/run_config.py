"""The configuration of an evolution run (one TOML file; every field has a default)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from heurevo.engine.cire import CireConfig
from heurevo.engine.controller import ControllerConfig
from heurevo.engine.evaluate import EvaluationConfig
from heurevo.engine.executors.base import ExecutorConfig
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.proposers.base import PROPOSERS
from heurevo.engine.proposers.gp import GPConfig
from heurevo.engine.proposers.llm import LLMProposerConfig
from heurevo.engine.proposers.tuning import TuningConfig
from heurevo.engine.start import STARTS
from heurevo.errors import ConfigError
from heurevo.solvers.problem import PROBLEMS, problem_info


@dataclass(frozen=True)
class SuiteConfig:
    """Which instances, and how they are split (an empty name: the problem's default suite)."""

    name: str = ""
    validation_fraction: float = 0.4

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError(f"must be in [0, 1), got {self.validation_fraction}", key="validation_fraction")


@dataclass(frozen=True)
class BudgetConfig:
    """When the run stops (0 or absent = no limit of that kind, except evaluations).

    ``generations = 0`` therefore runs until another budget ends it, as does an absent key."""

    evaluations: int = 40
    wall_time_s: float | None = None
    proposals: int | None = None
    generations: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.evaluations < 1:
            raise ConfigError(f"must be >= 1, got {self.evaluations}", key="evaluations")
        for key in ("wall_time_s", "proposals", "generations", "tokens", "cost_usd"):
            value = getattr(self, key)
            if value is not None and value < 0:
                raise ConfigError(f"must be >= 0 (0 = no limit), got {value}", key=key)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; written resolved into the run folder as config.toml."""

    problem: str = "pbo"
    seed: int = 0
    slots: tuple[str, ...] = ()
    proposer: str = "gp"
    start: str = "default"  # the first generation: default, empty or random (engine/start.py)
    suite: SuiteConfig = field(default_factory=SuiteConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    gp: GPConfig = field(default_factory=GPConfig)
    tuning: TuningConfig = field(default_factory=TuningConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    llm_proposer: LLMProposerConfig = field(default_factory=LLMProposerConfig)
    cire: CireConfig = field(default_factory=CireConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where evaluations run

    def __post_init__(self) -> None:
        """Resolve the problem's step budget and suite, and the proposer's operator tables.

        All three come from the registries; an unknown problem or proposer is left as it is for
        :meth:`validate` to reject.
        """
        if self.problem in PROBLEMS:
            info = problem_info(self.problem)
            if not self.evaluation.budget_steps:
                object.__setattr__(self, "evaluation", dataclasses.replace(
                    self.evaluation, budget_steps=info.default_budget_steps))
            if not self.suite.name:
                object.__setattr__(self, "suite", dataclasses.replace(
                    self.suite, name=info.default_suite))
        if self.proposer in PROPOSERS:
            cls, c = PROPOSERS.get(self.proposer), self.controller
            object.__setattr__(self, "controller", dataclasses.replace(
                c, exploit_operators=cls.operator_weights(c.exploit_operators, "exploit"),
                explore_operators=cls.operator_weights(c.explore_operators, "explore")))

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.problem not in PROBLEMS:
            raise ConfigError(f"unknown problem '{self.problem}'; "
                              f"known: {', '.join(PROBLEMS.names())}", key="problem")
        if self.proposer not in PROPOSERS:
            raise ConfigError(f"unknown proposer '{self.proposer}'; "
                              f"known: {', '.join(PROPOSERS.names())}", key="proposer")
        if self.start not in STARTS:
            raise ConfigError(f"unknown start '{self.start}'; known: {', '.join(STARTS.names())}",
                              key="start")
        self.cire.validate()
        for key in ("max_tokens_total", "max_cost_usd"):
            if getattr(self.llm, key) is not None:
                raise ConfigError(f"{key} is taken from the run's budget; set "
                                  f"budget.{'tokens' if key == 'max_tokens_total' else 'cost_usd'}", key="llm")

