"""The configuration of an evolution run (one TOML file; every field has a default)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from heurevo.engine.controller import ControllerConfig
from heurevo.engine.evaluate import EvaluationConfig
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.proposers.gp import GPConfig
from heurevo.engine.proposers.llm import LLMProposerConfig
from heurevo.engine.proposers.tuning import TuningConfig
from heurevo.solvers.problem import DEFAULT_BUDGET_STEPS

#: The smallest memory limit a sandboxed worker starts under (Python, NumPy, Numba and a kernel
#: take their address space before any candidate runs).
MIN_MEMORY_MB = 1024

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
            raise ValueError(f"evaluations: must be >= 1, got {self.evaluations}")
        for key in ("wall_time_s", "proposals", "generations", "tokens", "cost_usd"):
            value = getattr(self, key)
            if value is not None and value < 0:
                raise ValueError(f"{key}: must be >= 0 (0 = no limit), got {value}")


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; written resolved into the run folder as config.toml."""

    problem: Literal["pbo", "tsp"] = "pbo"
    seed: int = 0
    slots: tuple[str, ...] = ()
    proposer: Literal["gp", "llm", "autopbo"] = "gp"
    suite: SuiteConfig = field(default_factory=SuiteConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    gp: GPConfig = field(default_factory=GPConfig)
    tuning: TuningConfig = field(default_factory=TuningConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    llm_proposer: LLMProposerConfig = field(default_factory=LLMProposerConfig)

    def __post_init__(self) -> None:
        """Resolve the problem's step budget; give LLM proposers operator tables in their names."""
        if not self.evaluation.budget_steps and self.problem in DEFAULT_BUDGET_STEPS:
            object.__setattr__(self, "evaluation", dataclasses.replace(
                self.evaluation, budget_steps=DEFAULT_BUDGET_STEPS[self.problem]))
        if self.proposer != "gp":
            c = self.controller
            object.__setattr__(self, "controller", dataclasses.replace(
                c, exploit_operators=llm_operators(self.proposer, c.exploit_operators, "exploit"),
                explore_operators=llm_operators(self.proposer, c.explore_operators, "explore")))

    def validate(self) -> None:
        """Reject settings that cannot work."""
        memory = self.evaluation.memory_mb
        if memory != 0 and memory < MIN_MEMORY_MB:
            raise ValueError(f"evaluation.memory_mb: a worker needs at least {MIN_MEMORY_MB} MB "
                             f"(0 = no limit), got {memory}")
        for key in ("max_tokens_total", "max_cost_usd"):
            if getattr(self.llm, key) is not None:
                raise ValueError(f"llm: {key} is taken from the run's budget; set "
                                 f"budget.{'tokens' if key == 'max_tokens_total' else 'cost_usd'}")


#: GP's operator names and what the LLM proposer calls the nearest operator.
GP_TO_LLM = {"mutate": "mutate_algorithm", "tune": "mutate_params"}

#: The LLM proposer's operator weights, used in place of the GP defaults.
LLM_OPERATORS = {
    "exploit": {"mutate_algorithm": 0.3, "mutate_params": 0.25, "crossover": 0.2,
                "crossover_common": 0.15, "simplify": 0.1},
    "explore": {"init": 0.4, "mutate_algorithm": 0.4, "crossover": 0.1, "simplify": 0.1},
}


def llm_operators(proposer: str, table: dict[str, float], mode: str) -> dict[str, float]:
    """``table`` for an LLM proposer: GP's defaults → LLM defaults, GP names → LLM names."""
    if proposer == "autopbo":
        return {"plan": 1.0}
    gp_default = getattr(ControllerConfig(), f"{mode}_operators")
    if table == gp_default:
        return dict(LLM_OPERATORS[mode])
    out: dict[str, float] = {}
    for op, weight in table.items():
        name = GP_TO_LLM.get(op, op)
        out[name] = out.get(name, 0.0) + weight
    return out
