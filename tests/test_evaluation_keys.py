"""Evaluation keys are content: instance bytes and solver code, never paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from heurevo.instances.generators.tsp import tsplib_text, uniform_points
from heurevo.suites.catalog import SplitInstance

ROOT = Path(__file__).resolve().parents[1]


def write_instances(folder: Path, seeds: list[int], n: int = 30) -> list[SplitInstance]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for s in seeds:
        p = folder / f"u{n}-s{s}.tsp"
        p.write_text(tsplib_text(uniform_points(n, s), p.stem))
        out.append(SplitInstance(p.name, str(p)))
    return out


def test_fingerprint_follows_instance_content_not_path(tmp_path: Path) -> None:
    from heurevo.engine.evaluate import EvaluationConfig, evaluation_fingerprint

    c50, c51 = EvaluationConfig(budget_steps=50), EvaluationConfig(budget_steps=51)
    a = write_instances(tmp_path / "a", [1, 2])
    b = write_instances(tmp_path / "elsewhere" / "b", [1, 2])
    assert evaluation_fingerprint("tsp", {"train": a}, c50) == evaluation_fingerprint("tsp", {"train": b}, c50)
    Path(b[0].path).write_text(tsplib_text(uniform_points(30, 9), "u30-s1"))  # same name, new content
    assert evaluation_fingerprint("tsp", {"train": a}, c50) != evaluation_fingerprint("tsp", {"train": b}, c50)
    assert evaluation_fingerprint("tsp", {"train": a}, c50) != evaluation_fingerprint("tsp", {"train": a}, c51)
    # how results are computed (workers, timeouts) is not part of the key; how they are staged is
    assert evaluation_fingerprint("tsp", {"train": a}, c50) == \
        evaluation_fingerprint("tsp", {"train": a}, EvaluationConfig(budget_steps=50, workers=1))
    assert evaluation_fingerprint("tsp", {"train": a}, c50) != \
        evaluation_fingerprint("tsp", {"train": a}, EvaluationConfig(budget_steps=50, seeds_per_instance=2))


FINGERPRINT = ("import sys; from heurevo.solvers.problem import solver_fingerprint; "
               "print(solver_fingerprint(sys.argv[1]))")


def _fingerprint(tree: Path, problem: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(tree)
    return subprocess.run([sys.executable, "-c", FINGERPRINT, problem], capture_output=True,
                          text=True, env=env, check=True, cwd=tree).stdout.strip()


def test_editing_a_kernel_source_changes_the_key(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "heurevo", tree / "heurevo", ignore=shutil.ignore_patterns("__pycache__"))
    before = _fingerprint(tree, "tsp")
    (tree / "heurevo" / "cli.py").write_text((tree / "heurevo" / "cli.py").read_text() + "\n# edit\n")
    assert _fingerprint(tree, "tsp") == before  # not solver code
    gls = tree / "heurevo" / "solvers" / "tsp" / "gls.py"
    gls.write_text(gls.read_text() + "\n# a kernel edit\n")
    assert _fingerprint(tree, "tsp") != before


@pytest.mark.slow
def test_a_moved_run_folder_resumes_with_every_evaluation_reused(tmp_path: Path) -> None:
    from heurevo.engine.evaluate import EvaluationConfig
    from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
    from heurevo.engine.session import CONFIG_FILE, execute, prepare_run
    from heurevo.populations.store import SQLiteStore

    first = tmp_path / "first"
    write_instances(first / "instances", [1, 2, 3])
    config = RunConfig(problem="tsp", seed=3, suite=SuiteConfig(name=str(first / "instances")),
                       evaluation=EvaluationConfig(workers=1, budget_steps=30, minibatch=0),
                       budget=BudgetConfig(evaluations=4))
    run = prepare_run(config, first / "run")
    try:
        done = execute(run)
    finally:
        run.close()
    assert done.stats.evaluations >= 4
    stored = len(SQLiteStore(first / "run" / "run.sqlite").evaluations())

    moved = tmp_path / "moved"
    shutil.copytree(first, moved)
    shutil.rmtree(first)  # the old instance paths are gone
    cfg = moved / "run" / CONFIG_FILE
    cfg.write_text(cfg.read_text().replace(str(first), str(moved)))
    run = prepare_run(None, moved / "run", resume=True)
    try:
        again = execute(run)
    finally:
        run.close()
    assert again.stats.reused == again.stats.evaluations == done.stats.evaluations
    assert len(SQLiteStore(moved / "run" / "run.sqlite").evaluations()) == stored
