"""External reference solvers: the linearised PBO model is exact, each solver's tiny run is
verified and optimal, wrong answers do not count, missing packages name the extra."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from heurevo.benchmarks.reference_solvers import (
    ExternalRun,
    linear_model,
    reference_solver,
    run_reference,
    verified_result,
)
from heurevo.cli import app
from heurevo.errors import ConfigError, HeurevoError
from heurevo.instances.formats.opb import parse_pb
from heurevo.instances.generators.tsp import tsplib_text, uniform_points
from heurevo.solvers.pbo.verify import evaluate

#: Negated literals, a product, a strict and an equality constraint, a max objective.
MAX_OPB = """* #variable= 5 #constraint= 4
max: +3 x1 +2 ~x2 +4 x3 x4 -1 x5 ;
+1 x1 +1 x2 +1 x3 >= 2 ;
+2 x1 +1 ~x4 <= 2 ;
+1 x3 +1 x5 = 1 ;
+1 x2 x5 +1 x4 > 0 ;
"""
#: What NuPBO reads: linear, positive literals, >= only.
LINEAR_OPB = """* #variable= 4 #constraint= 3
min: +3 x1 +2 x2 +4 x3 +1 x4 ;
+1 x1 +1 x2 +1 x3 >= 2 ;
-2 x1 -1 x4 >= -2 ;
+1 x3 +1 x4 >= 1 ;
"""
#: Soft constraints (one an equality) and a top cost.
WBO = """* #variable= 4 #constraint= 4
soft: 9 ;
[4] +1 x1 +1 x2 >= 2 ;
[3] +1 x3 +1 ~x1 = 1 ;
[5] +1 x4 >= 1 ;
+1 x1 +1 x4 <= 1 ;
"""


def _brute_optimum(text: str, wbo: bool = False) -> float:
    """The best minimised objective over every assignment, by the verifier."""
    formula = parse_pb(text, wbo=wbo)
    sign = -1 if formula.sense == "max" and not wbo else 1
    best = float("inf")
    for bits in itertools.product((0, 1), repeat=formula.n_vars):
        v = evaluate(formula, np.array(bits))
        if v.feasible:
            best = min(best, sign * (v.objective or 0))
    return best


@pytest.mark.parametrize(("text", "wbo"), [(MAX_OPB, False), (WBO, True)])
def test_linear_model_has_the_formula_s_feasible_set_and_objective(text: str, wbo: bool) -> None:
    formula = parse_pb(text, wbo=wbo)
    lin = linear_model(formula)
    extra = lin.n_vars - lin.n_orig
    sign = -1 if formula.sense == "max" and not wbo else 1
    for bits in itertools.product((0, 1), repeat=formula.n_vars):
        verdict = evaluate(formula, np.array(bits))
        values = []
        for aux in itertools.product((0, 1), repeat=extra):
            x = (*bits, *aux)
            ok = all((lo is None or sum(c * x[v] for v, c in co.items()) >= lo) and
                     (hi is None or sum(c * x[v] for v, c in co.items()) <= hi) for co, lo, hi in lin.rows)
            if ok:
                values.append(sum(c * x[v] for v, c in lin.objective.items()) + lin.constant)
        assert bool(values) == verdict.feasible, bits
        if values:  # the model's best completion costs what the verifier says
            assert min(values) == sign * (verdict.objective or 0), bits


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("name", ["cpsat", "scip"])
@pytest.mark.parametrize(("file", "text"), [("max.opb", MAX_OPB), ("soft.wbo", WBO)])
def test_pbo_reference_solvers_find_the_verified_optimum(tmp_path, name: str, file: str, text: str) -> None:
    pytest.importorskip({"cpsat": "ortools", "scip": "pyscipopt"}[name])
    path = _write(tmp_path, file, text)
    solver = reference_solver(name)
    assert solver is not None and solver.problem == "pbo" and solver.version
    result = run_reference(solver, path, seed=3, seconds=5.0)
    assert result.solved and result.verified
    assert result.objective == _brute_optimum(text, wbo=file.endswith(".wbo"))
    assert result.trace[-1][1] == result.objective  # the anytime trace ends at the verified value
    assert all(b[1] < a[1] for a, b in itertools.pairwise(result.trace))


def test_lkh_finds_the_optimal_tour_of_a_tiny_instance(tmp_path) -> None:
    pytest.importorskip("elkai")
    from heurevo.instances.formats.tsplib import read_tsp
    from heurevo.solvers.tsp.verify import tour_length

    path = _write(tmp_path, "u8.tsp", tsplib_text(uniform_points(8, 5), "u8"))
    inst = read_tsp(path)
    best = min(tour_length(inst, (0, *p)) for p in itertools.permutations(range(1, 8)))
    result = run_reference(reference_solver("lkh"), path, seed=1, seconds=2.0)  # type: ignore[arg-type]
    assert result.solved and result.objective == best


def test_wrong_or_infeasible_answers_do_not_count(tmp_path) -> None:
    path = _write(tmp_path, "max.opb", MAX_OPB)
    infeasible = verified_result("pbo", path, ExternalRun((0, 0, 0, 0, 0), 0.1, ((0.1, -99.0),)))
    assert not infeasible.solved and infeasible.objective is None
    short = verified_result("pbo", path, ExternalRun((1, 0), 0.1))
    assert short.status == "wrong" and not short.solved
    tsp = _write(tmp_path, "u8.tsp", tsplib_text(uniform_points(8, 5), "u8"))
    twice = verified_result("tsp", tsp, ExternalRun((0, 1, 2, 3, 4, 5, 6, 6), 0.1))
    assert twice.status == "wrong" and "twice" in twice.error
    # a solver claiming a better objective than its solution has: the board keeps the verifier's
    bits = (1, 0, 1, 1, 0)
    claimed = verified_result("pbo", path, ExternalRun(bits, 0.2, ((0.1, -1000.0),)), shift=True)
    truth = -evaluate(parse_pb(MAX_OPB), np.array(bits)).objective  # type: ignore[operator]
    assert claimed.solved and claimed.objective == truth and claimed.trace[-1][1] == truth


def test_missing_package_names_the_extra_and_bad_specs_are_refused(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "elkai", None)  # import elkai now raises ImportError
    with pytest.raises(HeurevoError, match=r"lkh needs the 'elkai' package: pip install 'heurevo\[refs\]'"):
        reference_solver("lkh")
    with pytest.raises(ConfigError, match="nupbo:PATH"):
        reference_solver("nupbo")
    with pytest.raises(ConfigError, match="no NuPBO binary"):
        reference_solver(f"nupbo:{tmp_path / 'missing'}")
    assert reference_solver("default") is None and reference_solver(str(tmp_path)) is None


NUPBO = os.environ.get("HEUREVO_NUPBO", "/work/nupbo-build/source_code/NuPBO")


@pytest.mark.skipif(not Path(NUPBO).is_file(), reason="no NuPBO binary (set HEUREVO_NUPBO)")
def test_a_nupbo_binary_is_stopped_at_its_limit_and_verified(tmp_path) -> None:
    solver = reference_solver(f"nupbo:{NUPBO}")
    assert solver is not None
    path = _write(tmp_path, "lin.opb", LINEAR_OPB)
    result = run_reference(solver, path, seed=1, seconds=0.5)
    assert result.solved and result.objective == _brute_optimum(LINEAR_OPB)
    assert result.trace[-1][1] == result.objective
    refused = run_reference(solver, _write(tmp_path, "max.opb", MAX_OPB), seed=1, seconds=0.5)
    assert not refused.solved and "nupbo:" in refused.error  # it cannot read ~x: its reason is kept


def test_a_leaderboard_of_lkh_reuses_its_cache_per_time_limit(tmp_path, monkeypatch) -> None:
    pytest.importorskip("elkai")
    monkeypatch.setenv("HEUREVO_CONFIG_DIR", str(tmp_path / "cfg"))
    suite = tmp_path / "suite"
    suite.mkdir()
    for k in range(2):
        (suite / f"u15-{k}.tsp").write_text(tsplib_text(uniform_points(15, k + 1), f"u15-{k}"))
    base = ["leaderboard", "--suite", str(suite), "--seeds", "1", "--format", "json", "--per-instance",
            "--cache", str(tmp_path / "c.sqlite"), "--entry", "lkh"]
    runner = CliRunner()
    first = json.loads(runner.invoke(app, [*base, "--ref-time", "0.5"]).stdout)
    assert first["evaluated"] == 2 and first["reference_time_s"] == 0.5
    assert all(r["verified"] and r["status"] == "ok" and r["objective"] == r["trace"][-1][1]
               for r in first["runs"])
    assert json.loads(runner.invoke(app, [*base, "--ref-time", "0.5"]).stdout)["evaluated"] == 0
    page = runner.invoke(app, [*base[:base.index("--format")], "--format", "html", *base[base.index("--format") + 2:],
                               "--ref-time", "0.5"]).stdout
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in images] == ["performance profile", "anytime curves"]
    assert all(base64.b64decode(data)[:4] == b"\x89PNG" for _, data in images)
    assert json.loads(runner.invoke(app, [*base, "--ref-time", "0.6"]).stdout)["evaluated"] == 2
    both = runner.invoke(app, [*base, "--steps", "20", "--time", "1"])
    assert isinstance(both.exception, ConfigError) and "--time" in str(both.exception)
    pbo = runner.invoke(app, [*base[:-1], "cpsat"])
    assert isinstance(pbo.exception, ConfigError) and "solves pbo" in str(pbo.exception)


def test_budget_kinds_key_the_cache_apart(tmp_path) -> None:
    from heurevo.benchmarks.leaderboard import BoardSpec, Entry, budget_key, default_entry

    lkh = Entry("lkh", (), reference_solver("lkh")) if "elkai" in sys.modules or _has("elkai") else None
    steps = BoardSpec("t", "tsp", (), (default_entry("tsp"),), budget_steps=500)
    timed = BoardSpec("t", "tsp", (), (default_entry("tsp"),), time_s=2.0)
    assert budget_key(steps, steps.entries[0]) == "steps=500"
    assert budget_key(timed, timed.entries[0]) == "time=2s"
    if lkh is not None:
        assert budget_key(steps, lkh) == "time=10s" and budget_key(timed, lkh) == "time=2s"


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.slow
def test_a_time_budget_runs_our_kernels_sandboxed_with_a_verified_trace(tmp_path) -> None:
    from heurevo.benchmarks.leaderboard import BoardSpec, default_entry, run_board
    from heurevo.benchmarks.result_cache import ResultCache
    from heurevo.suites.catalog import SplitInstance

    path = _write(tmp_path, "u30.tsp", tsplib_text(uniform_points(30, 2), "u30"))
    spec = BoardSpec("t", "tsp", (SplitInstance(path.name, str(path)),), (default_entry("tsp"),),
                     seeds=1, time_s=0.2, workers=1)
    board = run_board(spec, ResultCache(tmp_path / "c.sqlite"), tmp_path)
    (run,) = board.runs
    assert run.result.solved and run.result.steps > 0  # as many GLS iterations as 0.2 s allowed
    assert run.result.trace[-1][1] == run.result.objective
    assert all(b[1] < a[1] for a, b in itertools.pairwise(run.result.trace))
