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


def test_pooled_figures_flag_a_family_below_one_and_pool_every_seed() -> None:
    from heurevo.bench.demo_settings import pooled_figures

    gain = [("knapsack-1.opb", "knapsack", 1.02, 1.0)] * 4
    runs = [{"seed": 0, "pairs": [*gain, ("vertexcover-1.opb", "vertexcover", 1.0, 1.0)],
             "families": {"knapsack": 1.02, "vertexcover": 1.0}},
            {"seed": 1, "pairs": [*gain, ("vertexcover-1.opb", "vertexcover", 0.99, 1.0)],
             "families": {"knapsack": 1.02, "vertexcover": 0.99}}]
    out = pooled_figures(runs)
    assert out["pooled"]["pairs"] == 10 and out["pooled"]["better"] == 8
    assert out["pooled"]["worse"] == 1 and out["pooled"]["p_value"] < 0.05
    assert out["pooled_families"]["vertexcover"]["mean"] == pytest.approx(0.995)
    assert out["families_below_1"] == [{"seed": 1, "family": "vertexcover", "mean": 0.99}]


def test_checks_run_in_parts_merge_into_one(tmp_path, capsys) -> None:
    import json

    from heurevo.bench.demo_settings import main

    def run(seed: int, score: float) -> dict:
        return {"seed": seed, "mean_score": score, "p_value": 0.01, "families": {"knapsack": score},
                "pairs": [["knapsack-1.opb", "knapsack", score, 1.0]] * 6}

    parts = []
    for seed, score in ((1, 1.01), (0, 1.02)):
        parts.append(tmp_path / f"s{seed}.json")
        parts[-1].write_text(json.dumps({"runs": [run(seed, score)]}))
    main(["pbo", "--merge", *map(str, parts)])
    merged = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in merged["runs"]] == [0, 1] and merged["significant_seeds"] == 2
    assert merged["pooled"]["pairs"] == 12 and merged["pooled"]["better"] == 12
    assert merged["mean_score"] == "1.0150 ± 0.0071"
