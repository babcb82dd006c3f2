"""The main job end to end through the real CLI: evolve, show, export, solve, compare, resume.

Real subprocesses, real SQLite run stores, real sandboxed workers and Numba kernels on generated
instances. The kill -9 test interrupts a run at a random point and checks that ``--resume``
keeps every finished evaluation and ends in the same population as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heurevo.engine.session import STORE_FILE
from heurevo.populations.lineage import NO_GAIN_VERDICT
from heurevo.populations.store import SQLiteStore


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return {**os.environ, "HEUREVO_CACHE": str(cache), "HEUREVO_RUNS_DIR": str(cache / "runs"),
            "COLUMNS": "160"}


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                         timeout=timeout, env=env)
    assert res.returncode == 0, f"heurevo {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res


def evolve_args(run_dir: Path, evaluations: int, seed: int = 5) -> list[str]:
    return ["evolve", "--problem", "pbo", "--suite", "pbo-tiny", "--evaluations", str(evaluations),
            "--seed", str(seed), "--workers", "2", "--run-dir", str(run_dir)]


def run_facts(run_dir: Path) -> dict[str, object]:
    """What must agree between two runs with the same seed."""
    store = SQLiteStore(run_dir / STORE_FILE)
    try:
        train = sorted((r.candidate_id, r.fitness, r.status.value) for k, r in store.evaluations()
                       if k.split("/")[1] == "train")
        generations = store.events("generation")
        stops = store.events("stop")
        return {"train": train, "population": generations[-1].data["population"],
                "evaluations": stops[-1].data["evaluations"],
                "candidates": sorted(c.id for c in store.candidates())}
    finally:
        store.close()


@pytest.fixture(scope="module")
def run12(env, tmp_path_factory) -> tuple[Path, str, dict[str, object]]:
    """One real 12-evaluation run (seed 5), shared: its folder, its output, its facts as it ended."""
    run_dir = tmp_path_factory.mktemp("run12") / "run"
    out = cli(env, *evolve_args(run_dir, 12)).stdout
    return run_dir, out, run_facts(run_dir)


def test_evolve_show_export_solve_compare(env, run12, tmp_path) -> None:
    run_dir, out, facts = run12
    assert "evaluation budget (12) spent" in out
    assert "budget left" in out and "engine" in out  # the live view's last frame
    assert facts["evaluations"] == 12  # the budget is exact
    assert len(facts["train"]) >= 12  # plus the default baseline candidate
    assert (run_dir / "config.toml").read_text().count("evaluations = 12") == 1
    show = cli(env, "show", str(run_dir)).stdout
    kept = NO_GAIN_VERDICT in show  # the guard's outcome, the same for every command
    assert "top" in show and ("the default heuristic (kept)" in show if kept else "lineage" in show)
    best = tmp_path / "best.py"
    cli(env, "export", str(run_dir), "--out", str(best))
    inst = next((Path(env["HEUREVO_CACHE"]) / "suites" / "pbo-tiny").glob("*.opb"))
    solved = json.loads(cli(env, "solve", str(inst), "--heuristics", str(best), "--steps", "2000",
                            "--json").stdout)
    assert solved["verified"] is True and solved["objective"] is not None
    table = cli(env, "compare", str(run_dir), "--suite", "pbo-tiny", "--seeds", "1").stdout
    if kept:  # nothing is presented as evolved
        assert NO_GAIN_VERDICT in table and "evolved heuristics" not in table
    else:
        assert "mean score" in table and "default vs evolved" in table and "verdict:" in table
        assert (run_dir / "best.py").is_file()


def test_export_portfolio_and_solve_with_it(env, run12, tmp_path) -> None:
    from heurevo.engine.portfolio import load_portfolio

    run_dir = run12[0]
    out = cli(env, "export", str(run_dir), "--portfolio", str(tmp_path / "pf")).stdout
    assert "verdict:" in out and "portfolio.toml" in out
    pf = load_portfolio(tmp_path / "pf" / "portfolio.toml")
    assert pf.problem == "pbo" and pf.families  # one entry per validation family
    for member in pf.families.values():  # every evolved member is a checked-in file
        assert member is None or member.parent == (tmp_path / "pf").resolve()
    inst = next((Path(env["HEUREVO_CACHE"]) / "suites" / "pbo-tiny").glob("*.opb"))
    solved = json.loads(cli(env, "solve", str(inst), "--heuristics", str(tmp_path / "pf" / "portfolio.toml"),
                            "--steps", "2000", "--json").stdout)
    assert solved["verified"] is True and solved["extra"]["portfolio"].endswith("portfolio.toml")


def test_same_seed_same_run(env, run12, tmp_path) -> None:
    again = tmp_path / "again"
    cli(env, *evolve_args(again, 12))  # the shared run's arguments, another folder
    assert run_facts(again) == run12[2]


def test_refuses_to_overwrite_a_run(env, run12) -> None:
    run_dir = run12[0]
    res = subprocess.run([sys.executable, "-m", "heurevo", *evolve_args(run_dir, 3)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 2 and "--resume" in res.stderr
    assert run_facts(run_dir)["evaluations"] == 12  # the run is left as it was


def _evaluations_in(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_then_resume_matches_uninterrupted_run(env, tmp_path) -> None:
    budget = 30
    reference = tmp_path / "reference"
    cli(env, *evolve_args(reference, budget, seed=11))
    expected = run_facts(reference)

    run_dir = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "heurevo", *evolve_args(run_dir, budget, seed=11)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while _evaluations_in(run_dir / STORE_FILE) < 12:  # well into the run, before its end
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the engine and its sandboxed workers, no clean-up
    proc.wait(timeout=30)
    kept = {k for k, _ in SQLiteStore(run_dir / STORE_FILE).evaluations()}
    assert len(kept) >= 12

    cli(env, "evolve", "--resume", "--run-dir", str(run_dir))
    store = SQLiteStore(run_dir / STORE_FILE)
    try:
        after = {k for k, _ in store.evaluations()}
        reused = store.events("stop")[-1].data["reused"]
    finally:
        store.close()
    assert kept <= after  # nothing finished was lost
    assert reused >= len(kept) - 1  # ... nor evaluated again (the default's baseline aside)
    assert run_facts(run_dir) == expected


def _children(pid: int) -> set[int]:
    out = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            out.add(int(status.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_sigterm_stops_like_ctrl_c_and_leaves_no_workers(env, tmp_path) -> None:
    run_dir = tmp_path / "terminated"
    proc = subprocess.Popen([sys.executable, "-m", "heurevo", *evolve_args(run_dir, 200, seed=3)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 240
    while _evaluations_in(run_dir / STORE_FILE) < 6:
        assert proc.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "the engine has no worker processes"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143  # a graceful stop (summary printed), status 128 + SIGTERM
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "sandboxed workers outlived the engine"
    store = SQLiteStore(run_dir / STORE_FILE)
    try:
        assert store.events("stop")[-1].data["reason"].startswith("interrupted")
    finally:
        store.close()


@pytest.mark.slow
def test_interrupted_demo_stops_before_the_comparison_and_says_how_to_resume(env, tmp_path) -> None:
    run_dir = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "heurevo", "demo", "--evaluations", "200",
                             "--run-dir", str(run_dir)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 240
    while _evaluations_in(run_dir / STORE_FILE) < 3:
        assert proc.poll() is None, "the demo ended before it could be stopped"
        assert time.monotonic() < deadline, "the demo made no progress"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143  # 128 + SIGTERM
    assert "resumes the run" in out and "default vs evolved" not in out  # no comparison ran
