"""End to end: verified solutions, optima of small instances, infeasibility, CLI output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heurevo.errors import VerificationError
from heurevo.instances.formats.opb import parse_pb, write_pb
from heurevo.instances.generators.pbo import assignment, brute_force, generate, knapsack
from heurevo.solvers.pbo.instance import build_instance
from heurevo.solvers.pbo.solve import solve_file, solve_instance
from heurevo.solvers.pbo.verify import check, evaluate
from heurevo.solvers.solve import SolveOptions


def test_verifier_catches_a_corrupted_assignment() -> None:
    f = generate("setcover", 20, 3)
    out = solve_instance(build_instance(f), SolveOptions(steps=20_000))
    values = np.array([lit > 0 for lit in out.solution], dtype=np.int8)
    assert evaluate(f, values).feasible and evaluate(f, values).objective == out.objective
    with pytest.raises(VerificationError, match="claims objective"):
        check(f, values, out.objective + 1)
    broken = values.copy()
    broken[:] = 0
    with pytest.raises(VerificationError, match="violates hard constraint"):
        check(f, broken, 0)


def test_verifier_handles_products_negations_and_big_numbers() -> None:
    big = 2**80
    f = parse_pb(f"min: +{big} x1 x2 -3 ~x3 ;\n+1 x1 +1 ~x2 = 1 ;\n+{big} x3 <= {big} ;\n")
    v = evaluate(f, np.array([1, 1, 0]))
    assert v.feasible and v.objective == big - 3
    assert not evaluate(f, np.array([0, 1, 0])).feasible


SMALL = [(fam, size, seed) for fam, size in [("setcover", 18), ("knapsack", 16), ("vertexcover", 16),
                                             ("assignment", 16)] for seed in (1, 2)]


@pytest.mark.parametrize(("family", "size", "seed"), SMALL)
def test_finds_the_brute_force_optimum(family: str, size: int, seed: int) -> None:
    f = generate(family, size, seed)
    best = brute_force(f)
    out = solve_instance(build_instance(f), SolveOptions(steps=300_000, seed=seed))
    assert out.verified and out.objective == best, (out.objective, best)


def test_max_objective_and_wbo(tmp_path: Path) -> None:
    f = knapsack(12, 2, 9)
    text = write_pb(f, tmp_path / "k.opb").read_text().replace("min:", "max:").replace("-", "+")
    maximised = parse_pb(text)  # max: +profit (the knapsack as written by hand)
    out = solve_instance(build_instance(maximised), SolveOptions(steps=100_000))
    assert out.objective == brute_force(maximised) == -brute_force(f) > 0
    wbo = tmp_path / "w.wbo"
    wbo.write_text("* #variable= 3 #constraint= 4\nsoft: 100 ;\n[5] +1 x1 >= 1 ;\n[3] +1 x2 +1 x3 >= 2 ;\n"
                   "[2] +1 ~x1 >= 1 ;\n+1 x1 +1 x2 <= 1 ;\n")
    out = solve_file(wbo, SolveOptions(steps=50_000))
    assert out.verified and out.objective == 5 and out.status == "SATISFIABLE"


def test_infeasible_instances_are_never_reported_feasible(tmp_path: Path) -> None:
    p = tmp_path / "diamond.opb"
    p.write_text("* #variable= 2 #constraint= 4\nmin: -1 x1 ;\n+2 x1 +2 x2 >= 1 ;\n"
                 "-2 x1 -2 x2 >= -3 ;\n-2 x1 +2 x2 >= -1 ;\n+2 x1 -2 x2 >= -1 ;\n")
    out = solve_file(p, SolveOptions(steps=100_000))
    assert out.status == "UNKNOWN" and out.objective is None and not out.solution
    comment, status = out.text.strip().splitlines()
    assert status == "s UNKNOWN" and "no feasible solution found" in comment
    q = tmp_path / "trivial.opb"
    q.write_text("+1 x1 +1 x2 >= 3 ;\n")
    out = solve_file(q, SolveOptions(steps=100))
    assert out.status == "UNSATISFIABLE" and "s UNSATISFIABLE" in out.text


def test_optimum_found_only_at_the_lower_bound(tmp_path: Path) -> None:
    p = tmp_path / "easy.opb"
    p.write_text("min: +1 x1 +1 x2 -4 x3 ;\n+1 x1 +1 ~x2 >= 1 ;\n")
    out = solve_file(p, SolveOptions(steps=10_000))
    assert out.status == "OPTIMUM FOUND" and out.objective == -4 and out.solution == [-1, -2, 3]
    assert out.text.splitlines()[-2:] == ["s OPTIMUM FOUND", "v -x1 -x2 x3"]


def test_heuristics_file_overrides_a_slot(tmp_path: Path) -> None:
    f = tmp_path / "h.py"
    f.write_text("def initialize_assignment(values, obj_var, obj_cost, obj_paid, rng):\n"
                 "    for v in range(values.size):\n        values[v] = 1\n")
    p = write_pb(assignment(3, 1), tmp_path / "a.opb")
    out = solve_file(p, SolveOptions(steps=20_000, heuristics=f))
    assert out.verified and out.objective == brute_force(assignment(3, 1))


def test_cli_json_and_competition_output(tmp_path: Path) -> None:
    p = write_pb(generate("vertexcover", 14, 2), tmp_path / "vc.opb")
    cmd = [sys.executable, "-m", "heurevo", "solve", str(p), "--steps", "20000", "--seed", "3"]
    res = subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=True)
    data = json.loads(res.stdout)
    assert data["verified"] and data["objective"] == brute_force(generate("vertexcover", 14, 2))
    assert data["steps"] <= 20000 and data["status"] in ("SATISFIABLE", "OPTIMUM FOUND")
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    assert text[-4] == f"o {data['objective']}" and text[-2].startswith("s ")
    assert text[-3].startswith("c ") and f"objective {data['objective']}" in text[-3]
    assert text[-1] == "v " + " ".join(f"x{i}" if i > 0 else f"-x{-i}" for i in data["solution"])


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["miplib_stein27.opb", "normalized-mds_50_10_4.opb",
                                  "normalized-mps-v2-20-10-diamond.opb"])
def test_shared_instances_verify(shared_pbo: Path, name: str) -> None:
    out = solve_file(shared_pbo / name, SolveOptions(steps=200_000))
    if "diamond" in name:
        assert out.status == "UNKNOWN"
    else:
        assert out.verified and out.objective is not None


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "steps", "nupbo"), [("miplib_p6000.opb", 5_000, -2282822),
                                                      ("miplib_p0548.opb", 3_000_000, 8894)])
def test_default_search_replays_nupbo(shared_pbo: Path, name: str, steps: int,
                                      nupbo: int) -> None:
    """With seed 1 the default slots make NuPBO's flips, so they reach the value NuPBO (C++,
    seed 1) reports for these instances (pbo-baseline.md): a different search lands elsewhere
    (seed 2 here, or this kernel before it replayed NuPBO: 9060 and -2175733 after 60 s)."""
    first = solve_file(shared_pbo / name, SolveOptions(steps=steps, seed=1))
    other = solve_file(shared_pbo / name, SolveOptions(steps=steps, seed=2))
    assert first.verified and first.objective == nupbo
    assert other.objective != nupbo
