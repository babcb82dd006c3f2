"""Run options from the command line: applied to a new run, reconciled with a resumed one.

A new run takes every flag given. A resumed run keeps its stored config: flags that would make
it a different run (problem, suite, slots, proposer, seed, model) are refused by name, flags it
can honour (a larger evaluation budget, another worker count, a moved LLM endpoint) are
applied and reported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from heurevo.config import from_mapping, to_mapping
from heurevo.engine.run_config import RunConfig
from heurevo.errors import ConfigError
from heurevo.solvers.problem import PROBLEMS, problem_info


def _slot_list(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


@dataclass(frozen=True)
class RunFlags:
    """The run options given on the command line; None means not given."""

    problem: str | None = None
    suite: str | None = None
    slots: str | None = None
    proposer: str | None = None
    evaluations: int | None = None
    seed: int | None = None
    workers: int | None = None
    force_workers: bool = False
    llm_model: str | None = None
    llm_base_url: str | None = None

    def apply(self, config: RunConfig) -> RunConfig:
        """``config`` with the given run flags (not the LLM ones) set, checked as a config is."""
        data = to_mapping(config)
        if self.problem:
            if data["problem"] in PROBLEMS:  # the old problem's defaults become the new one's
                old = problem_info(data["problem"])
                if self.suite is None and data["suite"]["name"] == old.default_suite:
                    data["suite"]["name"] = ""  # resolved to the new problem's suite
                if data["evaluation"]["budget_steps"] == old.default_budget_steps:
                    data["evaluation"]["budget_steps"] = 0  # the new problem's default
            data["problem"] = self.problem
        if self.suite:
            data["suite"]["name"] = self.suite
        if self.slots:
            data["slots"] = list(_slot_list(self.slots))
        if self.proposer:
            data["proposer"] = self.proposer
        if self.evaluations is not None:
            data["budget"]["evaluations"] = self.evaluations
        if self.seed is not None:
            data["seed"] = self.seed
        if self.workers is not None:
            data["evaluation"]["workers"] = self.workers
        if self.force_workers:
            data["evaluation"]["force_workers"] = True
        return from_mapping(RunConfig, data, path="<command line>")

    def reconcile(self, stored: RunConfig, config_path: Path) -> tuple[RunConfig, list[str]]:
        """The resumed run's config and what changed; a contradicting flag raises ConfigError."""
        same = {
            "--problem": (self.problem, stored.problem),
            "--suite": (self.suite, stored.suite.name),
            "--slots": (_slot_list(self.slots) if self.slots else None, stored.slots),
            "--proposer": (self.proposer, stored.proposer),
            "--seed": (self.seed, stored.seed),
            "--llm-model": (self.llm_model, stored.llm.model),
        }
        clashes = [f"{flag} {_show(given)} (the run has {_show(have)})"
                   for flag, (given, have) in same.items() if given is not None and given != have]
        done = stored.budget.evaluations
        if self.evaluations is not None and self.evaluations < done:
            clashes.append(f"--evaluations {self.evaluations} (the budget can only grow; "
                           f"the run has {done})")
        if clashes:
            raise ConfigError(f"--resume continues the run as it was configured; these flags "
                              f"contradict it: {'; '.join(clashes)}. Start a new --run-dir for a "
                              "different run", path=config_path)
        config, changes = stored, []
        if self.evaluations is not None and self.evaluations != done:
            config = dataclasses.replace(config, budget=dataclasses.replace(
                config.budget, evaluations=self.evaluations))
            changes.append(f"evaluation budget {done} -> {self.evaluations}")
        if self.workers is not None and self.workers != stored.evaluation.workers:
            evaluation = dataclasses.replace(config.evaluation, workers=self.workers,
                                             force_workers=self.force_workers)
            try:
                evaluation.validate()
            except ConfigError as exc:
                raise ConfigError(exc.message, key="--workers") from None
            config = dataclasses.replace(config, evaluation=evaluation)
            changes.append(f"workers {stored.evaluation.workers} -> {self.workers}")
        if self.llm_base_url is not None and self.llm_base_url != stored.llm.base_url:
            llm = dataclasses.replace(config.llm, base_url=self.llm_base_url)
            try:
                llm.validate()
            except ConfigError as exc:
                raise ConfigError(exc.message, key="--llm-base-url") from None
            config = dataclasses.replace(config, llm=llm)
            changes.append(f"LLM endpoint {stored.llm.base_url} -> {self.llm_base_url}")
        return config, changes


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(value) or "(all)"
    return str(value)
