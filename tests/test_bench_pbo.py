"""``heurevo bench pbo`` on generated instances: rows, several seeds, the JSON it writes."""

from __future__ import annotations

import io
import json

from rich.console import Console

from heurevo.bench.pbo import median_objective, run_pbo_bench
from heurevo.instances.generators.pbo import write_suite


def test_median_objective_ranks_missing_solutions_last() -> None:
    assert median_objective([5, None, 3]) == 5
    assert median_objective([1, 2, 3, 4]) == 2
    assert median_objective([None, 7, None]) is None
    assert median_objective([4]) == 4


def test_bench_runs_every_seed_and_reports_the_median(tmp_path) -> None:
    data = tmp_path / "data"
    write_suite(data, ["knapsack", "setcover"], [30], [1])
    out = tmp_path / "bench.json"
    text = io.StringIO()
    rows = run_pbo_bench(data=data, steps=3000, time_s=10.0, seed=1, pattern="*.opb",
                         references=False, out=out, console=Console(file=text, width=200),
                         seeds=3)
    assert len(rows) == 2
    for row in rows:
        assert len(row["objectives"]) == 3
        assert row["objective"] == row["objectives"][0]  # the first seed is the compared run
        assert row["median"] == median_objective(row["objectives"])
        assert row["verified"] and row["verified_all"]
        assert row["steps"] == 3000
    saved = json.loads(out.read_text())
    assert saved["seeds"] == 3 and [r["file"] for r in saved["rows"]] == [r["file"] for r in rows]
    printed = text.getvalue()
    assert "3 seeds best / median" in printed
    # no NuPBO values for generated instances: no verdict, and no mean over nothing
    assert all(r["vs_nupbo"] == "—" for r in rows)
    assert "better" not in printed and "nan" not in printed and "over 0 instances" not in printed
    assert "no instance has a NuPBO reference" in printed
