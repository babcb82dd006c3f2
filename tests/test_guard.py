"""The validation guard: the reported best beats the default significantly, or the default is kept.

Two tiers. A scripted evaluator (it speaks the engine's Evaluator protocol with per-pair results)
plants a candidate that is best on train but worse on validation, and one that is better on
validation; and a real run (GP-built run folder, sandboxed workers, Numba kernels, SQLite) whose
proposer writes only variants equivalent to the default plus a clearly worse one ends with the
default kept, and show / export / compare --json all say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.proposers.base import Proposal, Proposer
from heurevo.engine.run import Acceptance, Budgets, RunLoop
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import execute, prepare_run
from heurevo.populations.lineage import NO_GAIN_VERDICT, best_candidate, kept_default, verdict
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    ProposalRequest,
    Stage,
)

DEFAULT = "def score(x):\n    return x\n"


def variant(k: int) -> str:
    return f"def score(x):\n    return x + {k}\n"


class ScriptedEvaluator:
    """Per-pair scores from a table: ``{source: (train score, validation scores per pair)}``."""

    def __init__(self, table: dict[str, tuple[float, list[float]]], names: list[str] | None = None):
        self.table = table
        self.names = names  # validation pair k runs on names[k] (default: three instances i0-i2)

    def evaluation_key(self, candidate: Candidate, suite: str) -> str:
        return f"{candidate.id}/{suite}/scripted"

    def evaluate(self, candidate: Candidate, suite: str = "train",
                 incumbent: EvaluationResult | None = None) -> EvaluationResult:
        train, val = self.table[candidate.sources["score"]]
        scores = [train] * 6 if suite == "train" else val
        names = self.names if self.names and suite == "validation" else \
            [f"i{k % 3}.opb" for k in range(len(scores))]
        runs = tuple(InstanceResult(names[k], k, 1.0, True, True, 10, 0.0, score=s)
                     for k, s in enumerate(scores))
        return EvaluationResult(candidate.id, EvalStatus.OK, Stage.FULL, runs,
                                sum(scores) / len(scores), tuple(scores))


class ListProposer(Proposer):
    """Proposes the given sources one after another (then repeats the last)."""

    name = "list"
    operators: ClassVar[dict[str, int]] = {"init": 0, "mutate": 1}

    def __init__(self, sources: list[str], slot: str):
        self.sources, self.slot, self.i = sources, slot, 0

    @classmethod
    def from_run(cls, config, slots, store):
        raise NotImplementedError("ListProposer is built directly by the tests")

    def propose(self, request: ProposalRequest) -> Proposal:
        src = self.sources[min(self.i, len(self.sources) - 1)]
        self.i += 1
        return Proposal({self.slot: src}, request.operator)

    def evolvable(self) -> list[str]:
        return [self.slot]


def scripted_run(store, table: dict[str, tuple[float, list[float]]],
                 names: list[str] | None = None, acceptance: Acceptance | None = None):
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=4), "pbo",
                     ("score",), {"score": DEFAULT}, 1, {"init": 0, "mutate": 1})
    proposer = ListProposer([s for s in table if s != DEFAULT], "score")
    loop = RunLoop(ctl, proposer, ScriptedEvaluator(table, names), store,
                   Budgets(evaluations=len(table)), validate_top=5, acceptance=acceptance)
    return loop.run([Candidate.new("pbo", {"score": DEFAULT})])


def test_best_on_train_but_worse_on_validation_is_never_reported(store) -> None:
    table = {DEFAULT: (1.0, [1.0] * 6),
             variant(1): (1.2, [0.97, 0.99, 0.98, 0.96, 0.99, 0.95]),  # the train winner
             variant(2): (1.1, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])}  # ties the default everywhere
    summary = scripted_run(store, table)
    assert summary.best is not None and summary.best.candidate.sources["score"] == variant(1)
    assert not summary.accepted and summary.verdict == NO_GAIN_VERDICT
    reported = best_candidate(store)
    assert reported is not None and reported[0].sources["score"] == DEFAULT
    assert kept_default(store) and verdict(store) == NO_GAIN_VERDICT


def test_a_candidate_better_on_validation_is_accepted(store) -> None:
    table = {DEFAULT: (1.0, [1.0] * 6),
             variant(1): (1.2, [1.03, 1.01, 1.02, 1.04, 1.01, 1.05]),
             variant(2): (1.1, [1.3, 1.3, 1.3, 1.3, 1.3, 0.5])}  # higher mean, not significant
    summary = scripted_run(store, table)
    assert summary.accepted and "beat the default significantly" in summary.verdict
    reported = best_candidate(store)
    assert reported is not None and reported[0].sources["score"] == variant(1)
    assert not kept_default(store)
    event = store.events("validated")[-1].data
    assert event["tested"] == 2 and event["threshold"] == pytest.approx(0.025)  # Bonferroni
    assert event["p_value"] == pytest.approx(1 / 64)  # all 6 pairs better: exact Wilcoxon


# Ten knapsack pairs clearly better, six vertex-cover pairs slightly but consistently worse: the
# pooled test passes easily; the vertex-cover family alone is significantly worse (p = 1/64).
FAMILY_NAMES = [f"knapsack-{k % 2}.opb" for k in range(10)] + [f"vertexcover-{k % 2}.opb"
                                                               for k in range(6)]
MIXED = [1.05] * 10 + [0.99] * 6


def test_a_candidate_worse_on_one_family_is_refused_by_the_per_family_guard(store) -> None:
    table = {DEFAULT: (1.0, [1.0] * 16), variant(1): (1.2, MIXED)}
    summary = scripted_run(store, table, FAMILY_NAMES)
    assert not summary.accepted and summary.verdict == NO_GAIN_VERDICT
    event = store.events("validated")[-1].data
    assert event["p_value"] < 0.05  # the pooled test alone would have accepted it
    refused = Candidate.new("pbo", {"score": variant(1)}).id
    assert event["worse_families"] == {refused: {"vertexcover": pytest.approx(1 / 64)}}
    assert best_candidate(store)[0].sources["score"] == DEFAULT


def test_without_the_per_family_check_the_same_candidate_passes(store) -> None:
    table = {DEFAULT: (1.0, [1.0] * 16), variant(1): (1.2, MIXED)}
    summary = scripted_run(store, table, FAMILY_NAMES, Acceptance(per_family=False))
    assert summary.accepted and best_candidate(store)[0].sources["score"] == variant(1)


def test_a_family_that_only_ties_does_not_block_acceptance(store) -> None:
    table = {DEFAULT: (1.0, [1.0] * 16), variant(1): (1.2, [1.05] * 10 + [1.0] * 6)}
    summary = scripted_run(store, table, FAMILY_NAMES)
    assert summary.accepted and store.events("validated")[-1].data["worse_families"] == {}


# --- a real run where no gain is possible -------------------------------------------------
EQUIVALENT = ["def calculate_score(hscore, oscore):\n    return oscore + hscore\n",
              "def calculate_score(hscore, oscore):\n    return (hscore + oscore) * 1.0\n",
              "def calculate_score(hscore, oscore):\n    return hscore + oscore + 0.0\n"]
WORSE = "def calculate_score(hscore, oscore):\n    return hscore + 0.0 * oscore\n"


@pytest.fixture(scope="module")
def no_gain_run(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    cache = tmp_path_factory.mktemp("cache")
    env = {**os.environ, "HEUREVO_CACHE": str(cache), "COLUMNS": "200"}
    os.environ["HEUREVO_CACHE"] = str(cache)
    try:
        config = RunConfig(problem="pbo", seed=3, slots=("calculate_score",),
                           suite=SuiteConfig(name="pbo-tiny"),
                           budget=BudgetConfig(evaluations=1 + len(EQUIVALENT) + 1))
        run_dir = cache / "run"
        run = prepare_run(config, run_dir)
        run.loop.proposer = ListProposer([*EQUIVALENT, WORSE], "calculate_score")
        run.loop.validate_top = 8  # judge the clearly worse one too
        try:
            summary = execute(run)
        finally:
            run.close()
    finally:
        del os.environ["HEUREVO_CACHE"]
    assert summary.stats.evaluations == 5 and not summary.accepted
    return run_dir, env


def cli(env: dict[str, str], *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                         timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_no_possible_gain_keeps_the_default_and_every_command_says_so(no_gain_run, tmp_path) -> None:
    run_dir, env = no_gain_run
    show = cli(env, "show", str(run_dir))
    assert NO_GAIN_VERDICT in show and "the default heuristic (kept)" in show
    out = tmp_path / "best.py"
    exported = cli(env, "export", str(run_dir), "--out", str(out))
    assert NO_GAIN_VERDICT in exported and "default heuristics" in exported
    assert "these are the default slots" in out.read_text()
    summary = json.loads(cli(env, "compare", str(run_dir), "--suite", "pbo-tiny", "--json"))
    assert summary["verdict"] == NO_GAIN_VERDICT and summary["p_value"] == 1.0
    assert summary["better"] == summary["worse"] == 0
    table = cli(env, "compare", str(run_dir), "--suite", "pbo-tiny")
    assert NO_GAIN_VERDICT in table and "evolved heuristics" not in table


def test_the_worse_variant_was_judged_and_rejected(no_gain_run) -> None:
    from heurevo.engine.session import open_run_store

    store = open_run_store(no_gain_run[0])
    try:
        event = store.events("validated")[-1].data
        assert event["accepted"] is False and event["tested"] == 4
        vals = {r.candidate_id: r for k, r in store.evaluations() if k.split("/")[1] == "validation"}
        worse = Candidate.new("pbo", {**best_candidate(store)[0].sources, "calculate_score": WORSE})
        assert vals[worse.id].metrics["effect_vs_default"] < 0
        assert best_candidate(store)[0].id != worse.id
    finally:
        store.close()
