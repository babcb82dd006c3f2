"""Held-out reports: per-family effects, the paired test over all pairs, the verdict, --json.

Real pipeline: the comparison solves generated instances in sandboxed workers with both the
default and a clearly worse variant on the same solver seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from heurevo.engine.compare import compare, instance_family
from heurevo.populations.records import Candidate
from heurevo.solvers.problem import get_problem

KEYS = {"mean_score", "p_value", "better", "same", "worse", "families", "verdict"}
BLIND = "def penalty_obj(weight, cost, avg_cost):\n    return 0.0 * weight\n"


def test_family_from_file_names() -> None:
    assert instance_family("knapsack-90x3-s101.opb") == "knapsack"
    assert instance_family("vertexcover-90-s101.opb") == "vertexcover"
    assert instance_family("uniform500-s3.tsp") == "uniform"
    assert instance_family("miplib_air05.opb") == "miplib"
    assert instance_family("2club200v15p5scn.opb") == "2club200v15p5scn"  # no leading letters


def test_a_worse_set_is_reported_worse_per_family_with_a_verdict(tmp_path) -> None:
    defaults = {n: s.default_source for n, s in get_problem("pbo").slots().items()}
    cand = Candidate.new("pbo", {**defaults, "penalty_obj": BLIND})
    result = compare(cand, "pbo-mixed-small", tmp_path / "suites", tmp_path / "work",
                     budget_steps=3000, seeds=2, workers=1)
    assert len(result.rows) == 12 and all(len(r.scores) == 2 for r in result.rows)
    assert all(d == 1.0 for r in result.rows for d in r.default_scores)  # same seeds: paired
    fams = result.families()
    assert set(fams) == {"setcover", "knapsack", "vertexcover", "assignment"}
    assert all(ci.n == 6 for ci in fams.values())
    test = result.test("less")
    assert test.n == 24 and test.worse > test.better
    summary = result.summary()
    assert set(summary) == KEYS
    assert summary["mean_score"] < 1.0 and summary["worse"] >= 1
    assert "significantly worse" in summary["verdict"]
    assert summary["families"] == pytest.approx({k: v.mean for k, v in fams.items()})


@pytest.mark.slow
def test_demo_json_prints_exactly_one_object_with_every_key(tmp_path) -> None:
    env = {**os.environ, "HEUREVO_CACHE": str(tmp_path / "cache"),
           "HEUREVO_RUNS_DIR": str(tmp_path / "runs")}
    res = subprocess.run([sys.executable, "-m", "heurevo", "demo", "--evaluations", "6", "--seeds",
                          "1", "--json"], capture_output=True, text=True, timeout=900, env=env)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)  # the whole of stdout is one JSON object
    assert set(summary) == KEYS
    assert set(summary["families"]) == {"setcover", "knapsack", "vertexcover", "assignment"}
    assert isinstance(summary["verdict"], str) and summary["verdict"]
    assert summary["better"] + summary["same"] + summary["worse"] == 16
