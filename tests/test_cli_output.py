"""Output a user can use: verbatim slot sources when piped, unsplit table cells, the reported
best in ``show``'s table, and ``python -m heurevo`` from the folder above a clone."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from heurevo.engine.views import run_report
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    Stage,
)
from heurevo.populations.store import SQLiteStore
from heurevo.solvers.problem import get_problem

REPO = Path(__file__).resolve().parents[1]


def heurevo(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                          timeout=900, cwd=cwd, env=env or {**os.environ, "COLUMNS": "40"})


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_piped_slots_are_python_that_compiles_with_every_default_verbatim(problem) -> None:
    res = heurevo("slots", problem)  # stdout is a pipe; COLUMNS=40 must not wrap anything
    assert res.returncode == 0, res.stderr
    tree = ast.parse(res.stdout)
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    slots = get_problem(problem).slots()
    for name, slot in slots.items():
        assert name in defined
        assert slot.default_source.strip() in res.stdout  # verbatim, not re-wrapped


def test_slots_problem_slot_prints_one_slot() -> None:
    res = heurevo("slots", "pbo", "pick_best_variable")
    assert res.returncode == 0, res.stderr
    tree = ast.parse(res.stdout)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["pick_best_variable"]
    bad = heurevo("slots", "pbo", "no_such_slot")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown slot 'no_such_slot'")


def _result(cid: str, fitness: float) -> EvaluationResult:
    return EvaluationResult(candidate_id=cid, status=EvalStatus.OK, stage=Stage.FULL, fitness=fitness)


def test_show_lists_the_reported_best_when_fitnesses_tie(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("r", 0, "")
    cands = [Candidate.new("pbo", {"penalty_obj": f"# {i}\n"}, operator="mutate") for i in range(8)]
    for c in cands:
        store.add_candidate(c)
        store.record_evaluation(f"{c.id}/train/x", _result(c.id, 1.0123456789), CandidateState.EVALUATED)
    last = max(cands, key=lambda c: c.id)  # ties go by id: this one sorts last
    store.record_evaluation(f"{last.id}/validation/x", _result(last.id, 1.2))
    store.add_event("validated", {"candidate": last.id, "fitness": 1.2})
    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(run_report(store, top=5))
    text = console.export_text()
    store.close()
    table = text.split("top 5 candidates")[1].split("lineage")[0]
    assert f"{last.id} (reported best)" in table
    assert sum(c.id in table for c in cands) == 5


def test_piped_tables_do_not_split_numbers(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "run" / "run.sqlite")
    store.init_run("run", 0, "")
    c = Candidate.new("pbo", {"penalty_obj": "# x\n"}, operator="mutate", idea="a long idea " * 8)
    store.add_candidate(c)
    store.record_evaluation(f"{c.id}/train/x", _result(c.id, 1.0123456789), CandidateState.EVALUATED)
    store.close()
    res = heurevo("show", str(tmp_path / "run"))
    assert res.returncode == 0, res.stderr
    assert "1.0123" in res.stdout and c.id in res.stdout  # whole, on one line, at COLUMNS=40
    assert any(c.id in line and "1.0123" in line for line in res.stdout.splitlines())


@pytest.mark.slow
def test_python_m_heurevo_works_from_the_folder_above_a_compat_editable_clone(tmp_path) -> None:
    """``scripts/dev.sh`` installs with ``editable_mode=compat``: a path entry, which a folder
    named ``heurevo`` in the working directory cannot shadow (the default editable finder runs
    after the path search, so that folder would win as a namespace package)."""
    dev_sh = (REPO / "scripts" / "dev.sh").read_text()
    assert "editable_mode=compat" in dev_sh
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    site = next((venv / "lib").glob("python3*/site-packages"))
    # build offline with this environment's setuptools instead of the venv's bundled one
    subprocess.run([py, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], check=True, timeout=300)
    import setuptools

    (site / "zz-build.pth").write_text(str(Path(setuptools.__file__).parents[1]) + "\n")
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e",
                    str(REPO), "--config-settings", "editable_mode=compat"], check=True, timeout=600)
    above = tmp_path / "above"
    above.mkdir()
    (above / "heurevo").symlink_to(REPO, target_is_directory=True)  # the clone, by its name
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([py, "-m", "heurevo", "--version"], capture_output=True, text=True,
                         cwd=above, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("heurevo ")
