"""The demo settings name real suites and holed slots; one demo run reports every figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.bench.demo_settings import DEMO, DemoSettings, demo_once
from heurevo.solvers.problem import get_problem
from heurevo.suites.catalog import SUITES


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_settings_name_registered_suites_and_holed_slots(problem: str) -> None:
    s = DEMO[problem]
    assert s.problem == problem and s.train_suite in SUITES and s.heldout_suite in SUITES
    slots = get_problem(problem).slots()
    assert s.slots and all("gp_hole" in slots[n].extra for n in s.slots)
    cfg = s.run_config(seed=3, workers=1)
    assert cfg.evaluation.budget_steps == s.budget_steps and cfg.budget.evaluations == s.evaluations
    assert cfg.slots == s.slots and cfg.suite.name == s.train_suite and cfg.seed == 3


@pytest.mark.slow
def test_one_demo_run_end_to_end(tmp_path: Path) -> None:
    tiny = DemoSettings("pbo", "pbo-tiny", "pbo-tiny", ("update_weights",), evaluations=3,
                        budget_steps=500, heldout_seeds=1)
    out = demo_once(tiny, 1, tmp_path, workers=1)
    assert set(out) >= {"mean_score", "p_value", "better", "same", "worse", "families", "verdict"}
    assert set(out["families"]) == {"setcover", "vertexcover"} and 0 <= out["p_value"] <= 1


def test_bench_evolve_targets_name_registered_suites() -> None:
    from heurevo.bench.evolve import TARGETS

    assert {"pbo-real", "pbo-vertexcover", "pbo-sparsecover", "pbo-maxsat",
            "tsp-clustered-500"} <= set(TARGETS)
    for t in TARGETS.values():
        assert t.train_suite in SUITES and t.heldout_suite in SUITES, t.name
