"""The demo settings name real suites and holed slots; the demo check's figures are computed
from the comparison (paired Wilcoxon over instances x seeds, family means)."""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.benchmarks.demo_settings import DEMO, DemoSettings, demo_once, family, summarise
from heurevo.benchmarks.suites import SUITES
from heurevo.engine.compare import Comparison, ComparisonRow
from heurevo.solvers.problem import get_problem
from heurevo.stats import paired_test


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_settings_name_registered_suites_and_holed_slots(problem: str) -> None:
    s = DEMO[problem]
    assert s.problem == problem and s.train_suite in SUITES and s.heldout_suite in SUITES
    slots = get_problem(problem).slots()
    assert s.slots and all("gp_hole" in slots[n].extra for n in s.slots)
    cfg = s.run_config(seed=3, workers=1)
    assert cfg.evaluation.budget_steps == s.budget_steps and cfg.budget.evaluations == s.evaluations
    assert cfg.slots == s.slots and cfg.suite.name == s.train_suite and cfg.seed == 3


def _row(name: str, scores: tuple[float, ...]) -> ComparisonRow:
    return ComparisonRow(name, 100.0, 100.0 / (sum(scores) / len(scores)), sum(scores) / len(scores),
                         True, (100.0,) * len(scores), scores)


def test_summary_pools_instances_and_seeds() -> None:
    rows = (_row("knapsack-150x3-s101.opb", (1.02, 1.03, 1.01)),
            _row("knapsack-300x3-s101.opb", (1.01, 1.0, 1.04)),
            _row("maxsat-16x134-s101.opb", (1.0, 1.0, 0.99)))
    out = summarise(Comparison("x", 3, 100, rows))
    scores = [s for r in rows for s in r.scores]
    assert out["p_value"] == pytest.approx(paired_test(scores, [1.0] * 9).p_value)
    assert out["families"] == pytest.approx({"knapsack": 1.0183333, "maxsat": 0.9966667})
    assert (out["better"], out["same"], out["worse"]) == (2, 0, 1)
    assert family("vertexcover-300-s2.opb") == "vertexcover"


@pytest.mark.slow
def test_one_demo_run_end_to_end(tmp_path: Path) -> None:
    tiny = DemoSettings("pbo", "pbo-tiny", "pbo-tiny", ("update_weights",), evaluations=3,
                        budget_steps=500, heldout_seeds=1)
    out = demo_once(tiny, 1, tmp_path, workers=1)
    assert set(out) >= {"mean_score", "p_value", "better", "same", "worse", "families"}
    assert set(out["families"]) == {"setcover", "vertexcover"} and 0 <= out["p_value"] <= 1


def test_bench_evolve_targets_name_registered_suites() -> None:
    from heurevo.benchmarks.bench_evolve import TARGETS

    assert {"pbo-real", "pbo-vertexcover", "pbo-sparsecover", "pbo-maxsat",
            "tsp-clustered-500"} <= set(TARGETS)
    for t in TARGETS.values():
        assert t.train_suite in SUITES and t.heldout_suite in SUITES, t.name
