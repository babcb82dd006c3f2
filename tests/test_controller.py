"""The EA meta-controller: selection, survival, stagnation and slot scheduling."""

from __future__ import annotations

import pytest

from heurevo.config import from_mapping
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.errors import ConfigError
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Member,
    Stage,
)

OPS = {"init": 0, "mutate": 1, "crossover": 2, "tune": 1}


def member(i: int, fit: float | None, slot: str = "a", seconds: float = 1.0, status=EvalStatus.OK) -> Member:
    c = Candidate.new("demo", {slot: f"def {slot}():\n    return {i}\n" + "#" * i})
    r = EvaluationResult(c.id, status, Stage.MINIBATCH,
                         (InstanceResult("x", 0, 1.0, True, True, 1, seconds),), fit)
    return Member(c, r)


def ctrl(**kw) -> Controller:
    return Controller(ControllerConfig(**kw), "demo", ("a", "b"), {"a": "A", "b": "B"}, seed=5, operators=OPS)


def test_plus_survival_keeps_the_best_mu() -> None:
    c = ctrl(population_size=3)
    for i, f in enumerate([0.1, 0.9, 0.5, None, 0.7]):
        c.tell(member(i, f, status=EvalStatus.OK if f is not None else EvalStatus.FAILED))
    c.end_generation()
    assert [m.fitness for m in c.population] == [0.9, 0.7, 0.5]
    assert c.best.fitness == 0.9 and c.best_sources["a"] == c.best.candidate.sources["a"]


def test_ask_is_deterministic_and_respects_arity() -> None:
    def run():
        c = ctrl(population_size=4)
        for i, f in enumerate([0.2, 0.4, 0.6, 0.8]):
            c.tell(member(i, f))
        c.end_generation()
        return [(r.operator, tuple(p.candidate.id for p in r.parents), r.seed) for r in c.ask(10)]

    first = run()
    assert first == run()
    for op, parents, _ in first:
        assert len(parents) == {"init": 0, "mutate": 1, "tune": 1, "crossover": 2}[op]


def test_tournament_prefers_fitter_parents() -> None:
    c = ctrl(population_size=10, tournament_size=4)
    pool = [member(i, i / 10) for i in range(10)]
    picks = c.select_parents(pool, 400)
    mean = sum(p.fitness for p in picks) / len(picks)
    assert mean > 0.6  # uniform picking would give 0.45


def test_roulette_selection_works_with_negative_fitness() -> None:
    c = ctrl(selection="roulette")
    picks = c.select_parents([member(1, -0.5), member(2, 0.5)], 200)
    assert {p.fitness for p in picks} <= {-0.5, 0.5}
    assert sum(p.fitness == 0.5 for p in picks) > 100


def test_empty_population_asks_for_init() -> None:
    reqs = ctrl().ask(4)
    assert all(r.operator == "init" and r.parents == () for r in reqs)


def test_stagnation_switches_to_explore() -> None:
    c = ctrl(stagnation_generations=2, population_size=2)
    c.tell(member(0, 0.5))
    for _ in range(4):
        c.end_generation()
    assert c.mode == "explore"
    c.tell(member(1, 0.9))
    c.end_generation()
    assert c.mode == "exploit"


def test_greedy_schedule_moves_to_next_slot_and_propagates_best() -> None:
    c = ctrl(generations_per_slot=2)
    assert c.current_slots == ("a",)
    c.tell(member(3, 0.8, slot="a"))
    c.end_generation()
    assert c.current_slots == ("a",)
    c.end_generation()
    assert c.current_slots == ("b",)
    req = c.ask(1)[0]
    assert req.slots == ("b",) and req.base_sources["a"] == c.best.candidate.sources["a"]
    assert ctrl(slot_schedule="joint").current_slots == ("a", "b")


def test_nsga2_keeps_fast_short_candidates_on_the_front() -> None:
    c = ctrl(survival="nsga2", population_size=2, objectives=("quality", "time"))
    slow_best = member(1, 0.9, seconds=10.0)
    fast_ok = member(2, 0.5, seconds=0.1)
    dominated = member(3, 0.4, seconds=5.0)
    for m in (slow_best, fast_ok, dominated):
        c.tell(m)
    c.end_generation()
    ids = {m.candidate.id for m in c.population}
    assert ids == {slow_best.candidate.id, fast_ok.candidate.id}


def test_config_validation_names_the_key() -> None:
    with pytest.raises(ConfigError) as exc:
        from_mapping(ControllerConfig, {"objectives": ["quality", "beauty"]})
    assert exc.value.key == "objectives"
    with pytest.raises(ConfigError):
        from_mapping(ControllerConfig, {"explore_operators": {"init": 0.0}})
