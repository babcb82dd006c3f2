"""The starting artifact (``start`` in the run config): default, empty or random heuristic.

Empty and random starts replace every evolved slot's expression hole (constant 0.0, a random GP
tree seeded by the run seed); the result passes the slot's static checks, compiles in Numba and
passes its quick checks. The run loop seeds its population with the start only; the default is
evaluated first, beside it (never a member) and the guard compares the reported best with the default:
a scripted evaluator in-process, then a tiny real run (sandboxed workers, SQLite).
"""

from __future__ import annotations

import dataclasses
import os
from typing import ClassVar

import pytest

from heurevo.config import from_mapping
from heurevo.engine.checks import static_check
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.proposers.base import Proposal, Proposer
from heurevo.engine.quick_checks import run_quick_checks
from heurevo.engine.run import Budgets, RunLoop
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.start import StartContext, start_candidate
from heurevo.errors import ConfigError
from heurevo.populations.lineage import NO_GAIN_VERDICT, best_candidate
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    ProposalRequest,
    Stage,
)
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.problem import get_problem


def _context(problem: str, seed: int = 0) -> tuple[StartContext, Candidate]:
    slots = get_problem(problem).slots()
    holes = tuple(n for n, s in slots.items() if "gp_hole" in s.extra)
    default = Candidate.new(problem, {n: s.default_source for n, s in slots.items()}, operator="default")
    return StartContext(problem, slots, holes, seed), default


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_empty_and_random_starts_replace_every_hole_and_pass_the_slot_checks(problem) -> None:
    ctx, default = _context(problem)
    assert start_candidate("default", ctx, default) is default
    empty, rand = (start_candidate(s, ctx, default) for s in ("empty", "random"))
    assert len({default.id, empty.id, rand.id}) == 3 and empty.operator == "empty"
    for name, slot in ctx.slots.items():
        if name not in ctx.evolved:  # slots that are not evolved keep the default
            assert empty.sources[name] == rand.sources[name] == default.sources[name]
            continue
        assert empty.sources[name].startswith("# gp-tree: ") and " 0.0" in empty.sources[name]
        for cand in (empty, rand):
            assert cand.sources[name] != default.sources[name]
            assert static_check(slot, cand.sources[name]).ok
    compiled = ("calculate_score", "update_weights") if problem == "pbo" else ctx.evolved
    for name in compiled:  # Numba compiles take ~0.2-0.6 s each: a few of them
        for cand in (empty, rand):
            fn = compile_slot(ctx.slots[name], cand.sources[name]).function
            assert run_quick_checks(ctx.slots[name], fn) == []


def test_random_starts_follow_the_run_seed() -> None:
    ctx, default = _context("pbo", seed=4)
    again = start_candidate("random", ctx, default)
    assert again.id == start_candidate("random", ctx, default).id
    other = start_candidate("random", dataclasses.replace(ctx, seed=5), default)
    assert other.id != again.id
    assert start_candidate("empty", dataclasses.replace(ctx, seed=5), default).id == \
        start_candidate("empty", ctx, default).id


def test_a_slot_without_a_hole_and_an_unknown_start_are_refused_by_name() -> None:
    ctx, default = _context("tsp")
    plain = next(n for n, s in ctx.slots.items() if "gp_hole" not in s.extra)
    for start in ("empty", "random"):
        with pytest.raises(ConfigError, match=f"{plain} has none") as err:
            start_candidate(start, dataclasses.replace(ctx, evolved=(plain,)), default)
        assert err.value.key == "start"
    with pytest.raises(ConfigError, match="unknown start 'blank'") as err:
        from_mapping(RunConfig, {"start": "blank"}, path="run.toml")
    assert (err.value.path, err.value.key) == ("run.toml", "start")
    assert err.value.message == "unknown start 'blank'; known: default, empty, random"


# --- the run loop: the first generation is the start, the guard compares with the default ---
DEFAULT = "def score(x):\n    return x\n"
EMPTY = "def score(x):\n    return 0.0\n"
BETTER = "def score(x):\n    return x + 1\n"


class Scripted:
    """Per-pair scores from a table ``{source: (train, validation scores)}``; logs what it ran."""

    def __init__(self, table: dict[str, tuple[float, list[float]]]):
        self.table, self.log = table, []

    def evaluation_key(self, candidate: Candidate, suite: str) -> str:
        return f"{candidate.id}/{suite}/scripted"

    def evaluate(self, candidate: Candidate, suite: str = "train",
                 incumbent: EvaluationResult | None = None) -> EvaluationResult:
        self.log.append((candidate.sources["score"], suite))
        train, val = self.table[candidate.sources["score"]]
        scores = [train] * 6 if suite == "train" else val
        runs = tuple(InstanceResult(f"i{k % 3}.opb", k, 1.0, True, True, 10, 0.0, score=s)
                     for k, s in enumerate(scores))
        return EvaluationResult(candidate.id, EvalStatus.OK, Stage.FULL, runs,
                                sum(scores) / len(scores), tuple(scores))


class Once(Proposer):
    """Proposes one source, then repeats it (the loop stops on its budget)."""

    name = "once"
    operators: ClassVar[dict[str, int]] = {"mutate": 1}

    def __init__(self, source: str):
        self.source, self.parents = source, []

    @classmethod
    def from_run(cls, config, slots, store):
        raise NotImplementedError("built directly by the tests")

    def propose(self, request: ProposalRequest) -> Proposal:
        self.parents.append(tuple(p.candidate.sources["score"] for p in request.parents))
        return Proposal({"score": self.source}, request.operator)


def _run(store, table: dict[str, tuple[float, list[float]]]):
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=1), "pbo",
                     ("score",), {"score": DEFAULT}, 1, Once.operators)
    proposer, evaluator = Once(BETTER), Scripted(table)
    loop = RunLoop(ctl, proposer, evaluator, store, Budgets(evaluations=3), validate_top=5)
    empty = Candidate.new("pbo", {"score": EMPTY}, operator="empty", proposer="start")
    default = Candidate.new("pbo", {"score": DEFAULT}, operator="default")
    return loop.run([empty], default=default), proposer, evaluator, default


@pytest.mark.parametrize("better", [True, False])
def test_the_population_starts_from_the_start_and_the_guard_compares_with_the_default(store, better) -> None:
    val = [1.03, 1.01, 1.02, 1.04, 1.01, 1.05] if better else [0.99] * 6
    table = {DEFAULT: (1.0, [1.0] * 6), EMPTY: (0.5, [0.5] * 6), BETTER: (1.1, val)}
    summary, proposer, evaluator, default = _run(store, table)
    assert proposer.parents == [(EMPTY,)]  # the first offspring's parent is the start, not the default
    assert evaluator.log[:3] == [(DEFAULT, "train"), (EMPTY, "train"), (BETTER, "train")]
    assert {m.candidate.sources["score"] for m in summary.population} == {EMPTY, BETTER}
    event = store.events("validated")[-1].data
    assert event["default"] == default.id and event["accepted"] is better
    reported = best_candidate(store)
    assert reported is not None
    assert reported[0].sources["score"] == (BETTER if better else DEFAULT)  # never the start
    if not better:
        assert summary.verdict == NO_GAIN_VERDICT


@pytest.mark.slow
def test_a_real_run_from_the_empty_heuristic_seeds_its_population_and_keeps_the_default(tmp_path) -> None:
    from heurevo.engine.session import execute, prepare_run

    os.environ["HEUREVO_CACHE"] = str(tmp_path / "cache")
    try:
        config = RunConfig(problem="pbo", seed=2, slots=("calculate_score",), start="empty",
                           suite=SuiteConfig(name="pbo-tiny"), budget=BudgetConfig(evaluations=2))
        run = prepare_run(config, tmp_path / "run")
        try:
            summary = execute(run)
        finally:
            run.close()
    finally:
        del os.environ["HEUREVO_CACHE"]
    store = run.store.__class__(tmp_path / "run" / "run.sqlite", create=False)
    try:
        train = [r for key, r in store.evaluations() if "/train/" in key]
        assert train[0].candidate_id == run.evaluator.default_candidate.id  # the reference
        first = store.candidate(train[1].candidate_id)
        assert first is not None and first.operator == "empty" and first.generation == 0
        assert "return 0.0" in first.sources["calculate_score"]
        assert [m.candidate.id for m in summary.population] == [first.id]
        assert store.events("validated")[-1].data["default"] == train[0].candidate_id
        # the empty heuristic cannot beat the default: the reported best is the default
        assert best_candidate(store)[0].id == run.evaluator.default_candidate.id
    finally:
        store.close()


def test_a_budget_of_one_evaluation_spends_it_on_the_default_so_the_default_is_reported(store) -> None:
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=1), "pbo",
                     ("score",), {"score": DEFAULT}, 1, Once.operators)
    evaluator = Scripted({DEFAULT: (1.0, [1.0] * 6), EMPTY: (0.5, [0.5] * 6)})
    loop = RunLoop(ctl, Once(BETTER), evaluator, store, Budgets(evaluations=1))
    default = Candidate.new("pbo", {"score": DEFAULT}, operator="default")
    summary = loop.run([Candidate.new("pbo", {"score": EMPTY}, operator="empty")], default=default)
    assert evaluator.log == [(DEFAULT, "train"), (DEFAULT, "validation")] and summary.population == ()
    assert best_candidate(store)[0].id == default.id
