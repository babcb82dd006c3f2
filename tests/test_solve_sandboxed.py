"""``heurevo solve --heuristics`` checks the file and solves in a sandboxed worker; limits are bounded.

Real CLI subprocesses (exit status and stderr are part of the contract), real TSPLIB files, real
workers. Limits refused before anything runs are checked in-process through
:func:`heurevo.cli.run_cli` (the code ``main`` runs), which spares a Python start per case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heurevo.cli import run_cli
from heurevo.instances.generators.tsp import tsplib_text, uniform_points

ROOT = Path(__file__).resolve().parent.parent

GOOD = """import numpy as np


def heuristics(distance_matrix):
    return distance_matrix / np.max(distance_matrix)
"""


def heurevo(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("solve") / "u40.tsp"
    p.write_text(tsplib_text(uniform_points(40, 3), "u40"))
    return p


def test_hostile_heuristics_file_is_refused_before_running(instance: Path, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    bad = tmp_path / "best.py"
    bad.write_text("import numpy as np\n\n\ndef heuristics(distance_matrix):\n"
                   f"    np.ma.core.builtins.exec(\"open('{marker}', 'w')\")\n"
                   "    return distance_matrix.copy()\n")
    res = heurevo("solve", str(instance), "--steps", "5", "--heuristics", str(bad))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "np.ma is not allowed" in lines[0], res.stderr
    assert not marker.exists()


@pytest.mark.slow
def test_sandboxed_solve_matches_the_trusted_one(instance: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(GOOD)
    tour = tmp_path / "u40.tour"
    boxed = heurevo("solve", str(instance), "--steps", "30", "--heuristics", str(good), "--json",
                    "--tour-out", str(tour))
    assert boxed.returncode == 0, boxed.stderr
    assert "--trust" not in boxed.stderr
    trusted = heurevo("solve", str(instance), "--steps", "30", "--heuristics", str(good), "--json",
                      "--trust")
    assert trusted.returncode == 0, trusted.stderr
    assert "--trust" in trusted.stderr and "unchecked" in trusted.stderr
    a, b = json.loads(boxed.stdout), json.loads(trusted.stdout)
    assert a["verified"] and a["objective"] == b["objective"] and a["solution"] == b["solution"]
    assert a["extra"]["verified_by"] == "engine"  # the child's own check is not believed
    assert tour.is_file() and f"length {a['objective']}" in tour.read_text()  # written by the engine


@pytest.mark.slow
def test_heuristics_that_fail_in_the_worker_are_a_one_line_error(instance: Path, tmp_path: Path) -> None:
    bad = tmp_path / "nan.py"
    bad.write_text("import numpy as np\n\n\ndef heuristics(distance_matrix):\n"
                   "    return distance_matrix * np.nan\n")
    res = heurevo("solve", str(instance), "--steps", "5", "--heuristics", str(bad))
    assert res.returncode == 2 and "sandboxed solve ended failed" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "fragment"), [
    (["--time", "inf"], "--time: must be a finite number of seconds > 0, got inf"),
    (["--time", "nan"], "--time: must be a finite number of seconds > 0, got nan"),
    (["--time", "0"], "--time: must be a finite number"),
    (["--steps", str(2**63 - 1)], "--steps: must be between 0 and 1,000,000,000 steps"),
    (["--heuristics", "/nonexistent/best.py"], "/nonexistent/best.py: no such file"),
])
def test_solve_limits_are_validated(instance: Path, args: list[str], fragment: str, capsys) -> None:
    assert run_cli(["solve", str(instance), *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("args", "fragment"), [
    (["check", "FILE", "--problem", "pbo", "--slot", "calculate_score", "--timeout", "inf"],
     "--timeout: must be a finite number of seconds > 0, got inf"),
    (["check", "FILE", "--problem", "pbo", "--slot", "calculate_score", "--steps", str(10**12)],
     "--steps: must be between 1 and 1,000,000,000 steps"),
    (["evolve", "--workers", "100000", "--evaluations", "1"], "pass --force-workers"),
])
def test_engine_command_limits_are_validated(tmp_path: Path, args: list[str], fragment: str,
                                            capsys) -> None:
    f = tmp_path / "s.py"
    f.write_text("def calculate_score(hscore, oscore):\n    return hscore + oscore\n")
    argv = [str(f) if a == "FILE" else a for a in args]
    if args[0] == "evolve":
        argv += ["--run-dir", str(tmp_path / "run")]
    assert run_cli(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1, err


def _forged(outcome, **change):
    import dataclasses

    return dataclasses.replace(outcome, **change)


@pytest.mark.parametrize("suffix", [".tsp", ".opb"])
def test_a_forged_sandboxed_outcome_fails_independent_verification(suffix: str, tmp_path: Path) -> None:
    """What a child reports is re-judged from the file: a better objective, or a solution that is
    not one, is refused; the honest outcome is marked as verified by the engine."""
    from heurevo.engine.checked_solve import _judged
    from heurevo.errors import VerificationError
    from heurevo.instances.formats.opb import write_pb
    from heurevo.instances.generators.pbo import generate
    from heurevo.solvers.problem import get_problem, problem_for_suffix
    from heurevo.solvers.solve import SolveOptions, solve_file

    path = tmp_path / f"inst{suffix}"
    if suffix == ".tsp":
        path.write_text(tsplib_text(uniform_points(25, 4), "u25"))
    else:
        write_pb(generate("knapsack", 20, seed=3), path)
    honest = solve_file(path, SolveOptions(steps=200, seed=1))
    adapter = get_problem(problem_for_suffix(suffix).name)
    heur = tmp_path / "best.py"
    assert _judged(adapter, path, honest, heur).extra["verified_by"] == "engine"
    better = honest.objective - 1  # both minimise
    with pytest.raises(VerificationError, match="failed independent verification"):
        _judged(adapter, path, _forged(honest, objective=better), heur)
    with pytest.raises(VerificationError):
        _judged(adapter, path, _forged(honest, solution=honest.solution[:-1]), heur)
