"""Paired evaluation and racing through the real pipeline (sandboxed workers, Numba kernels).

A planted example on generated PBO instances: a variant that ignores the objective is clearly
worse than the default and must be dropped after the first block; the default, raced against
that worse incumbent, must never be dropped and gets the extra seeds of a likely winner.
"""

from __future__ import annotations

import dataclasses

import pytest

from heurevo.config import from_mapping
from heurevo.engine.evaluate import (
    EvaluationConfig,
    StagedEvaluator,
    instance_family,
    interleave_families,
    pair_scores,
)
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate
from heurevo.suites.catalog import SplitInstance, build_suite

#: Objective units weigh nothing: the search only repairs constraints (clearly worse).
BLIND = "def penalty_obj(weight, cost, avg_cost):\n    return 0.0 * weight\n"


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory):
    work = tmp_path_factory.mktemp("racing")
    suite = build_suite("pbo-mixed-small", "pbo", work / "suites")
    items = list(suite.instances)
    config = EvaluationConfig(budget_steps=4000, workers=1, smoke=False, min_block=5,
                              seeds_per_instance=2, promote_seeds=1, validation_seeds=2)
    ev = StagedEvaluator("pbo", {"train": items, "validation": items[:4]}, config, 7, work / "w")
    yield ev
    ev.close()


def variant(ev: StagedEvaluator, **sources: str) -> Candidate:
    return Candidate.new("pbo", {**ev.default_candidate.sources, **sources})


def test_seeds_are_shared_by_every_candidate(evaluator) -> None:
    default = evaluator.evaluate(evaluator.default_candidate)
    blind = evaluator.evaluate(variant(evaluator, penalty_obj=BLIND))
    assert default.ok and blind.ok
    assert set(pair_scores(default.instances)) == set(pair_scores(blind.instances))
    assert len(default.instances) == 2 * len(evaluator.splits["train"])  # 2 seeds per instance
    # The default against its own baseline on the same seeds: every score exactly 1.
    assert all(s == 1.0 for s in default.descriptor) and default.metrics["effect_vs_default"] == 0.0
    # Clearly worse: the whole interval of the mean paired difference lies below 0.
    assert blind.metrics["effect_vs_default_low"] < blind.metrics["effect_vs_default"] \
        < blind.metrics["effect_vs_default_high"] < 0
    assert blind.metrics["p_better_than_default"] > 0.5
    assert blind.metrics["solver_steps"] == sum(r.steps for r in blind.instances)


def test_racing_drops_a_clearly_worse_candidate_after_the_first_block(evaluator) -> None:
    default = evaluator.evaluate(evaluator.default_candidate)
    full = evaluator.evaluate(variant(evaluator, penalty_obj=BLIND))
    raced = evaluator.evaluate(variant(evaluator, penalty_obj=BLIND), incumbent=default)
    assert raced.ok and raced.metrics["raced_out"] == 1.0
    # Behind the incumbent on average on the first block (one pair per family): the halving cut.
    assert len(raced.instances) == 4 and raced.metrics["effect_vs_incumbent"] < 0
    assert raced.metrics["solver_steps"] < 0.7 * full.metrics["solver_steps"]
    # The dropped candidate's fitness sits below the incumbent's, by its paired effect.
    assert raced.fitness == pytest.approx(default.fitness + raced.metrics["effect_vs_incumbent"])
    assert raced.fitness < default.fitness


def test_without_the_halving_cut_the_paired_test_drops_it_at_min_block(evaluator) -> None:
    default = evaluator.evaluate(evaluator.default_candidate)
    plain = dataclasses.replace(evaluator.config, halving=False)
    ev = StagedEvaluator("pbo", evaluator.splits, plain, 7, evaluator.work_dir, pool=evaluator.pool)
    raced = ev.evaluate(variant(evaluator, penalty_obj=BLIND), incumbent=default)
    assert raced.metrics["raced_out"] == 1.0 and raced.metrics["p_worse_than_incumbent"] < 0.05
    assert len(raced.instances) < 2 * len(evaluator.splits["train"])
    assert raced.metrics["effect_vs_incumbent_high"] < 0


def test_racing_never_drops_the_winner_and_gives_it_more_seeds(evaluator) -> None:
    worse = evaluator.evaluate(variant(evaluator, penalty_obj=BLIND))
    winner = evaluator.evaluate(evaluator.default_candidate, incumbent=worse)
    n = len(evaluator.splits["train"])
    assert winner.ok and winner.metrics["raced_out"] == 0.0
    assert len(winner.instances) == 3 * n  # 2 seeds per instance, then 1 more as a likely winner
    assert winner.metrics["effect_vs_incumbent"] > 0
    assert winner.fitness == pytest.approx(1.0)


def test_without_racing_a_worse_candidate_runs_every_pair(evaluator) -> None:
    default = evaluator.evaluate(evaluator.default_candidate)
    plain = dataclasses.replace(evaluator.config, racing=False)
    ev = StagedEvaluator("pbo", evaluator.splits, plain, 7, evaluator.work_dir, pool=evaluator.pool)
    res = ev.evaluate(variant(evaluator, penalty_obj=BLIND), incumbent=default)
    assert res.metrics["raced_out"] == 0.0
    assert len(res.instances) == 2 * len(evaluator.splits["train"])


def test_validation_uses_its_own_seed_count(evaluator) -> None:
    res = evaluator.evaluate(evaluator.default_candidate, "validation")
    assert len(res.instances) == 2 * 4


@pytest.mark.parametrize(("key", "value", "match"), [
    ("alpha", 0.0, "alpha"), ("alpha", 1.5, "alpha"), ("min_block", 0, "min_block"),
    ("seeds_per_instance", 0, "seeds_per_instance"), ("promote_seeds", -1, "promote_seeds"),
    ("test", "t-test", "test"), ("validation_seeds", 0, "validation_seeds"),
    ("first_block", 0, "first_block")])
def test_racing_config_is_validated_by_key(key, value, match) -> None:
    with pytest.raises(ConfigError, match=match):
        from_mapping(EvaluationConfig, {key: value}, path="run.toml")


def test_a_variant_identical_to_the_incumbent_stops_after_the_first_block(evaluator) -> None:
    default = evaluator.evaluate(evaluator.default_candidate)
    same = variant(evaluator, calculate_score="def calculate_score(hscore, oscore):\n"
                                              "    return oscore + hscore\n")
    res = evaluator.evaluate(same, incumbent=default)
    # The tie check runs on the short first block: one pair of each of the suite's 4 families.
    assert res.metrics["raced_out"] == 1.0 and len(res.instances) == 4 < evaluator.config.min_block
    assert {instance_family(r.instance) for r in res.instances} == {
        "assignment", "knapsack", "setcover", "vertexcover"}
    assert res.fitness == pytest.approx(default.fitness)
    keep = dataclasses.replace(evaluator.config, drop_ties=False)
    ev = StagedEvaluator("pbo", evaluator.splits, keep, 7, evaluator.work_dir, pool=evaluator.pool)
    assert len(ev.evaluate(same, incumbent=default).instances) == len(default.instances)


def test_pairs_run_family_by_family_in_turn() -> None:
    items = [SplitInstance(n, n) for n in ("a-1.opb", "a-2.opb", "a-3.opb", "b-1.opb", "c-1.opb",
                                           "c-2.opb")]
    assert [i.name for i in interleave_families(items)] == [
        "a-1.opb", "b-1.opb", "c-1.opb", "a-2.opb", "c-2.opb", "a-3.opb"]
    assert interleave_families(items[:3]) == items[:3]  # one family: the order is kept
