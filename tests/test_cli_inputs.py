"""Bad input at every boundary: one line naming file, line or key and the problem, exit 2.

Each case is one the issue reproduced as a traceback or a silently wrong answer. Commands run
in-process through :func:`heurevo.cli.run_cli` (the same code ``main`` runs, without the
signal watchdog) with real files; a few go through a real subprocess.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from heurevo.cli import run_cli
from heurevo.config import from_mapping, load_toml
from heurevo.engine.run_config import RunConfig
from heurevo.engine.session import budgets_of
from heurevo.errors import ConfigError, InstanceFormatError
from heurevo.instances.formats.opb import parse_pb, write_pb
from heurevo.instances.formats.optima import read_optima
from heurevo.instances.formats.tsplib import MAX_WEIGHT, parse_tsp
from heurevo.instances.generators.pbo import generate


def cli(capsys, *args: str) -> tuple[int, str, str]:
    status = run_cli(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def bad_input(capsys, *args: str) -> str:
    """Run a command that must fail as bad input; its single error line."""
    status, out, err = cli(capsys, *args)
    assert status == 2, (status, out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def tsp_text(dimension: str = "3", coords: tuple[str, ...] = ("0 0", "3 0", "0 4"),
             name: str = "t3") -> str:
    body = "\n".join(f"{i + 1} {c}" for i, c in enumerate(coords))
    return (f"NAME : {name}\nTYPE : TSP\nDIMENSION : {dimension}\nEDGE_WEIGHT_TYPE : EUC_2D\n"
            f"NODE_COORD_SECTION\n{body}\nEOF\n")


def explicit_text(rows: list[str], n: int = 3) -> str:
    return (f"NAME : e\nTYPE : TSP\nDIMENSION : {n}\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
            "EDGE_WEIGHT_FORMAT : UPPER_ROW\nEDGE_WEIGHT_SECTION\n" + "\n".join(rows) + "\nEOF\n")


# --- TSPLIB ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "needle"), [
    (tsp_text(name="x" * 300), "at most 200 characters"),
    (tsp_text(name="a/b"), "no '/'"),
    (tsp_text(dimension="100000000000"), "DIMENSION says 100000000000"),
    (tsp_text(coords=("0 0", "1e300 0", "0 -1e300")), "coordinates must be within"),
    (tsp_text(coords=("0 0", "1_0 0", "0 4")), "expected a number"),
    (tsp_text(coords=("0 0", "٣ 0", "0 4")), "expected a number"),
    (tsp_text(dimension="３"), "DIMENSION must be an integer"),
    (explicit_text(["9223372036854775807 1", "1"]), "out of range"),
    (explicit_text(["-5 1", "1"]), "out of range"),
])
def test_tsplib_bad_values_are_one_line_errors(capsys, tmp_path, text, needle) -> None:
    path = tmp_path / "bad.tsp"
    path.write_text(text, encoding="utf-8")
    line = bad_input(capsys, "solve", str(path), "--steps", "10")
    assert str(path) in line and needle in line


def test_tsplib_weight_limits_are_exact() -> None:
    ok = parse_tsp(explicit_text([f"{MAX_WEIGHT} 0", "7"]))
    assert ok.matrix is not None and int(ok.matrix[0, 1]) == MAX_WEIGHT
    assert ok.matrix.dtype == np.int64 and int(ok.matrix.min()) >= 0
    with pytest.raises(InstanceFormatError, match=":7: edge weight"):
        parse_tsp(explicit_text([f"{MAX_WEIGHT + 1} 0", "7"]))


def test_optima_csv_with_a_non_integer_names_file_line_and_column(capsys, tmp_path) -> None:
    path = tmp_path / "t3.tsp"
    path.write_text(tsp_text(), encoding="utf-8")
    (tmp_path / "optima.csv").write_text("name,optimal_length\nother,5\nt3,12.5\n")
    line = bad_input(capsys, "solve", str(path), "--steps", "10")
    assert f"{tmp_path / 'optima.csv'}:3" in line and "'optimal_length' must be an integer" in line
    (tmp_path / "optima.csv").write_text("name,optimal_length\nt3,12\n")
    status, out, _ = cli(capsys, "solve", str(path), "--steps", "10")
    assert status == 0 and "tour length 12" in out and "optimal, verified" in out


def test_optima_words_mean_no_value_and_others_fail(tmp_path) -> None:
    path = tmp_path / "optima.csv"
    path.write_text("file,reference_obj,reference_kind\na.opb,INFEASIBLE,proved\nb.opb,-7,optimal\n")
    assert read_optima(path, "file", "reference_obj", kind="reference_kind") == {"b.opb": (-7, "optimal")}
    path.write_text("file,reference_obj\nb.opb,７\n")
    with pytest.raises(InstanceFormatError, match=r"optima\.csv:2: column 'reference_obj'"):
        read_optima(path, "file", "reference_obj")


# --- OPB ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["+1 x１ >= 1 ;", "+２ x1 >= 1 ;", "+1 x1 >= ١ ;",
                                  "* #variable= ３\n+1 x1 >= 1 ;"])
def test_opb_accepts_only_ascii_digits(text) -> None:
    if text.startswith("*"):  # a header with other digits is ignored like any wrong header
        assert parse_pb(text).n_vars == 1
        return
    with pytest.raises(InstanceFormatError, match="<string>:1: expected a coefficient"):
        parse_pb(text)


def test_empty_opb_is_refused_not_satisfiable(capsys, tmp_path) -> None:
    for name, text in [("empty.opb", ""), ("comments.opb", "* #variable= 0 #constraint= 0\n")]:
        path = tmp_path / name
        path.write_text(text)
        line = bad_input(capsys, "solve", str(path))
        assert "nothing to solve" in line and str(path) in line


def test_unicode_opb_through_the_cli(capsys, tmp_path) -> None:
    path = tmp_path / "u.opb"
    path.write_text("min: +1 x1 ;\n+1 x１ +1 x2 >= 1 ;\n", encoding="utf-8")
    line = bad_input(capsys, "solve", str(path))
    assert f"{path}:2" in line and "x１" in line


def test_pbo_solve_prints_a_summary_line_like_tsp(capsys, tmp_path) -> None:
    path = write_pb(generate("knapsack", 20, 3), tmp_path / "k.opb")
    status, out, _ = cli(capsys, "solve", str(path), "--steps", "3000")
    assert status == 0
    summary = [line for line in out.splitlines() if line.startswith("c k.opb:")]
    assert len(summary) == 1, out
    assert "20 variables" in summary[0] and "verified" in summary[0]
    assert "3000 flips in" in summary[0] and " s (" in summary[0]
    objective = int([x for x in out.splitlines() if x.startswith("o ")][-1][2:])
    assert f"objective {objective} (satisfiable, verified)" in summary[0]


def test_pbo_solve_stops_at_a_given_lower_bound(capsys, tmp_path) -> None:
    path = write_pb(generate("knapsack", 20, 3), tmp_path / "k.opb")
    _, full, _ = cli(capsys, "solve", str(path), "--steps", "200000")
    best = int([x for x in full.splitlines() if x.startswith("o ")][-1][2:])
    status, out, _ = cli(capsys, "solve", str(path), "--steps", "200000", "--lower-bound", str(best))
    assert status == 0 and "s OPTIMUM FOUND" in out
    assert f"stopped at the known bound {best} (--lower-bound)" in out
    flips = int(out.split(" flips in")[0].rsplit(" ", 1)[1])
    assert flips < 200000


@pytest.mark.shared_data
def test_p0033_stops_at_its_proved_optimum(capsys, shared_pbo) -> None:
    status, out, _ = cli(capsys, "solve", str(shared_pbo / "miplib_p0033.opb"))
    assert status == 0
    assert "s OPTIMUM FOUND" in out and "objective 3089" in out
    assert "stopped at the known bound 3089 (optima.csv)" in out
    flips = int(out.split(" flips in")[0].rsplit(" ", 1)[1])
    assert flips <= 10_000  # not the whole default 10 s


# --- configs and options --------------------------------------------------------------------------

def test_binary_and_non_finite_configs_are_one_line(capsys, tmp_path) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert str(cfg) in bad_input(capsys, "evolve", str(cfg))
    for text, needle in [("[evaluation]\nmemory_mb = 1\n", "evaluation.memory_mb"),
                         ("[budget]\nwall_time_s = -10\n", "budget.wall_time_s"),
                         ("[evaluation]\ntimeout_s = nan\n", "expected a finite number"),
                         ("[evaluation]\nbudget_steps = 99999999999999999999\n", "64-bit"),
                         ("seed = 1\n[budget]\ngenerations = -1\n", "budget.generations")]:
        cfg.write_text(text)
        line = bad_input(capsys, "evolve", str(cfg), "--run-dir", str(tmp_path / "never"))
        assert str(cfg) in line and needle in line, (text, line)
        assert not (tmp_path / "never").exists()
    settings = tmp_path / "s.toml"
    settings.write_bytes(b"\xff\xfe\x00")
    assert str(settings) in bad_input(capsys, "doctor", "--settings", str(settings))


def test_zero_budgets_mean_no_limit() -> None:
    config = from_mapping(RunConfig, {"budget": {"generations": 0, "wall_time_s": 0,
                                                  "proposals": 0}})
    budgets = budgets_of(config)
    assert budgets.generations is None and budgets.wall_time_s is None
    assert budgets.proposals is None and budgets.evaluations == config.budget.evaluations
    assert budgets_of(from_mapping(RunConfig, {"budget": {"generations": 3}})).generations == 3


def test_config_key_errors_name_the_key(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[evaluation]\nmemory_mb = 1\n")
    with pytest.raises(ConfigError, match=r"memory_mb.*at least 1024"):
        load_toml(RunConfig, cfg)


@pytest.mark.parametrize(("args", "needle"), [
    (["--timeout", "0"], "--timeout"), (["--timeout", "-1"], "--timeout"),
    (["--timeout", "nan"], "--timeout"), (["--timeout", "inf"], "--timeout"),
    (["--steps", "-5"], "--steps"), (["--steps", "0"], "--steps"),
])
def test_check_rejects_bad_limits(capsys, tmp_path, args, needle) -> None:
    src = tmp_path / "h.py"
    src.write_text("def penalty_obj(x):\n    return x\n")
    line = bad_input(capsys, "check", str(src), "--problem", "pbo", "--slot", "penalty_obj", *args)
    assert needle in line


@pytest.mark.parametrize("args", [["--steps", "-5"], ["--time", "nan"], ["--time", "-1"],
                                  ["--time", "inf"]])
def test_solve_rejects_bad_budgets(capsys, tmp_path, args) -> None:
    path = tmp_path / "t3.tsp"
    path.write_text(tsp_text())
    assert args[0] in bad_input(capsys, "solve", str(path), *args)


def test_usage_errors_are_one_line_when_piped(tmp_path) -> None:
    res = subprocess.run([sys.executable, "-m", "heurevo", "solve", "--no-such-option"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == ["error: No such option: --no-such-option"]
    long = "y" * 300
    res = subprocess.run([sys.executable, "-m", "heurevo", "solve", str(tmp_path / f"{long}.opb")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert long in res.stderr


@pytest.mark.slow
def test_a_failing_default_baseline_is_a_clear_error(tmp_path) -> None:
    from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
    from heurevo.errors import BaselineError
    from heurevo.solvers.problem import get_problem
    from heurevo.suites.catalog import SplitInstance

    inst = get_problem("pbo").smoke_instance(tmp_path / "inst")
    cfg = EvaluationConfig(budget_steps=10**9, timeout_s=0.5, workers=1, minibatch=1, full=False)
    ev = StagedEvaluator("pbo", {"train": [SplitInstance(inst.name, str(inst))]}, cfg, 0, tmp_path)
    try:
        with pytest.raises(BaselineError, match=r"default heuristic failed.*timeout_s = 0.5 s"):
            ev.baseline("train")
    finally:
        ev.close()
