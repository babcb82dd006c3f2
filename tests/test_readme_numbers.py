"""The README's result tables are produced by scripts/readme_numbers.py, never typed by hand."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("readme_numbers", ROOT / "scripts" / "readme_numbers.py")
assert spec is not None and spec.loader is not None
rn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rn)

SUMMARY = {"mean_score": 0.99717, "p_value": 0.8312, "better": 4, "same": 6, "worse": 6,
           "families": {"setcover": 0.991, "knapsack": 1.0121, "vertexcover": 0.9862,
                        "assignment": 1.0},
           "verdict": "no significant difference from the default on pbo-mixed-heldout"}


def test_demo_table_round_trips() -> None:
    text = rn.render_demo(SUMMARY)
    back = rn.parse_demo(text)
    assert back["families"] == pytest.approx(SUMMARY["families"], abs=5e-5)
    assert back["mean_score"] == pytest.approx(SUMMARY["mean_score"], abs=5e-5)
    assert (back["better"], back["same"], back["worse"]) == (4, 6, 6)
    assert back["verdict"] == SUMMARY["verdict"]
    assert rn.render_demo(back) == text


def test_readme_demo_table_is_the_scripts_format() -> None:
    body = rn.block((ROOT / "README.md").read_text(encoding="utf-8"), "demo")
    assert rn.render_demo(rn.parse_demo(body)) == body


def test_write_replaces_only_the_block(tmp_path) -> None:
    readme = tmp_path / "README.md"
    start, end = rn.markers("demo")
    readme.write_text(f"before\n{start}\nold\n{end}\nafter\n")
    data = tmp_path / "demo.json"
    data.write_text(json.dumps(SUMMARY))
    assert rn.main(["demo", str(data), "--write", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert rn.parse_demo(rn.block(text, "demo"))["worse"] == 6


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys) -> None:
    data = tmp_path / "demo.json"
    data.write_text(json.dumps({"mean_score": 1.0}))
    assert rn.main(["demo", str(data)]) == 2
    err = capsys.readouterr().err
    assert str(data) in err and "lacks key" in err and err.count("\n") == 1


def test_bench_tables_from_bench_figures() -> None:
    fam = {"mean": 1.02, "std": 0.01, "p_value": 0.001, "better": 9, "same": 1, "worse": 2}
    figures = {"seeds": 3, "evaluations": 40, "targets": {"pbo-mixed": {
        "racing": {"families": {"knapsack": fam, "all": fam}, "train_steps": 700, "steps_vs_full": 0.7,
                   "kept_default": 1},
        "full": {"families": {"knapsack": fam, "all": fam}, "train_steps": 1000, "steps_vs_full": 1.0,
                 "kept_default": 0}}}}
    text = rn.render_bench(figures)
    assert "| pbo-mixed | racing | knapsack | 1.0200 ± 0.0100 | 0.001 | 9 / 1 / 2 |" in text
    assert "| pbo-mixed | racing | 1.0200 ± 0.0100 | 700 | 0.70x | 1 of 3 runs |" in text


def test_check_table_from_a_demo_check_and_its_own_block(tmp_path) -> None:
    from heurevo.bench.demo_settings import pooled_figures

    runs = [{"seed": s, "mean_score": m, "p_value": p, "better": 4, "same": 12, "worse": w,
             "families": {"knapsack": k, "vertexcover": v},
             "pairs": [("knapsack-1.opb", "knapsack", k, 1.0), ("vertexcover-1.opb", "vertexcover", v, 1.0)]}
            for s, m, p, w, k, v in ((0, 1.006, 0.0002, 0, 1.02, 1.0), (1, 1.001, 0.24, 2, 1.03, 0.98))]
    check = {"settings": {"problem": "pbo"}, "runs": runs, "mean_score": "1.0035 ± 0.0035",
             "significant_seeds": 1, **pooled_figures(runs)}
    text = rn.render_check(check)
    assert "| 0 | 1.0060 | 0.0002 | 4 / 12 / 0 | none |" in text
    assert "| 1 | 1.0010 | 0.24 | 4 / 12 / 2 | vertexcover 0.9800 |" in text
    assert "| all (2 seeds) | 1.0035 ± 0.0035 |" in text and "1 (seed, family) cells" in text
    assert "| vertexcover | 0.9900 |" in text
    readme = tmp_path / "README.md"
    start, end = rn.markers("check-pbo")
    readme.write_text(f"{start}\nold\n{end}\n")
    data = tmp_path / "check.json"
    data.write_text(json.dumps(check))
    assert rn.main(["check", str(data), "--write", str(readme)]) == 0
    assert rn.block(readme.read_text(), "check-pbo") == text


def test_headroom_table() -> None:
    figures = {"factor": 4, "seeds": 3, "targets": {"pbo-maxsat": {"maxsat": {
        "score_with_more_steps": 1.0329, "pairs_better": 0.61, "instances_seeds_agree": 0.0,
        "instances": 6}}}}
    text = rn.render_headroom(figures)
    assert text.splitlines()[0].startswith("| target | family | score with 4x the steps |")
    assert "| pbo-maxsat | maxsat | 1.0329 | 61% | 0% |" in text
