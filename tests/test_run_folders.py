"""Run folders: exit statuses, the lock, resume flags, checked stores, failed starts.

Real ``heurevo`` subprocesses, real signals, real SQLite files (damaged on purpose). Commands
refused before they run anything go through :func:`heurevo.cli.run_cli` in-process (the code
``main`` runs, with the same exit status and stderr), which spares a Python start per command.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heurevo.cli import run_cli
from heurevo.cli_engine import default_run_name
from heurevo.config import dump_toml
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.run_flags import RunFlags
from heurevo.engine.run_lock import LOCK_FILE, RunFolderError, RunLock
from heurevo.engine.session import CONFIG_FILE, STORE_FILE
from heurevo.errors import ConfigError
from heurevo.populations.store import SQLiteStore, StoreError


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return {**os.environ, "HEUREVO_CACHE": str(cache), "HEUREVO_RUNS_DIR": str(cache / "runs")}


def heurevo(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def refused(env, capsys, monkeypatch):
    """Run a command in-process with ``env``'s folders: its status, stdout and stderr."""
    for key in ("HEUREVO_CACHE", "HEUREVO_RUNS_DIR"):
        monkeypatch.setenv(key, env[key])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        status = run_cli(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), status, out, err)

    return run


def assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def stored_train(run_dir: Path) -> int:
    db = sqlite3.connect(run_dir / STORE_FILE)
    try:
        return db.execute("SELECT count(*) FROM evaluations WHERE key LIKE '%/train/%'").fetchone()[0]
    finally:
        db.close()


def make_run_folder(folder: Path, evaluations: int = 12, events: int = 0) -> None:
    """A run folder as ``evolve`` leaves it (config + store with a run), without running."""
    folder.mkdir(parents=True)
    config = RunConfig(suite=SuiteConfig(name="pbo-tiny"),
                       budget=BudgetConfig(evaluations=evaluations))
    dump_toml(config, folder / CONFIG_FILE)
    store = SQLiteStore(folder / STORE_FILE)
    store.init_run(folder.name, 0, (folder / CONFIG_FILE).read_text())
    for i in range(events):
        store.add_event("filler", {"i": i, "pad": "x" * 500})
    store.close()


# --- exit statuses -------------------------------------------------------------------------

@pytest.mark.slow
def test_sigint_exits_130_with_the_panel_counting_the_store_then_resume_grows_the_budget(
        env, tmp_path) -> None:
    run_dir = tmp_path / "run"
    args = ["evolve", "--problem", "pbo", "--suite", "pbo-tiny", "--evaluations", "60",
            "--seed", "3", "--workers", "2", "--run-dir", str(run_dir)]
    proc = subprocess.Popen([sys.executable, "-m", "heurevo", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**env, "COLUMNS": "200"})
    deadline = time.monotonic() + 500
    while time.monotonic() < deadline and proc.poll() is None:
        if (run_dir / STORE_FILE).is_file() and stored_train(run_dir) >= 5:
            break
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    panel = re.findall(r"evaluations\s+(\d+) \(", out)
    assert panel, out
    in_store = stored_train(run_dir)
    assert 5 <= in_store < 60
    assert int(panel[-1]) == in_store, (panel, in_store)
    assert not (run_dir / LOCK_FILE).exists()  # released on the way out
    assert SQLiteStore(run_dir / STORE_FILE, create=False).run_info().status == "interrupted"

    contradict = heurevo(env, "evolve", "--resume", "--run-dir", str(run_dir), "--seed", "4",
                         "--suite", "pbo-knapsack")
    assert_one_line_error(contradict, "--seed 4 (the run has 3)", "--suite pbo-knapsack")

    grown = heurevo(env, "evolve", "--resume", "--run-dir", str(run_dir), "--evaluations", "62",
                    "--workers", "1")
    assert grown.returncode == 0, (grown.stdout, grown.stderr)
    assert "resume: evaluation budget 60 -> 62" in grown.stdout
    assert "resume: workers 2 -> 1" in grown.stdout
    assert "evaluation budget (62) spent" in grown.stdout
    assert "evaluations = 62" in (run_dir / CONFIG_FILE).read_text()
    assert stored_train(run_dir) >= 62


@pytest.mark.slow
def test_sigterm_exits_143_and_leaves_no_lock(env, tmp_path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "heurevo", "evolve", "--suite", "pbo-tiny",
                             "--evaluations", "200", "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 500
    while time.monotonic() < deadline and proc.poll() is None and not (run_dir / LOCK_FILE).exists():
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, (out, err)
    assert "Traceback" not in err
    assert not (run_dir / LOCK_FILE).exists()


# --- failed starts ---------------------------------------------------------------------------

def test_a_bad_suite_leaves_no_folder_behind(refused, tmp_path) -> None:
    run_dir = tmp_path / "new" / "run"
    res = refused("evolve", "--suite", "no-such-suite", "--run-dir", str(run_dir))
    assert_one_line_error(res, "unknown suite 'no-such-suite'")
    assert not (tmp_path / "new").exists()
    res = refused("evolve", "--slots", "no_such_slot", "--run-dir", str(run_dir))
    assert_one_line_error(res, "no_such_slot")
    assert not (tmp_path / "new").exists()


def test_an_unwritable_run_folder_is_one_line(refused) -> None:
    res = refused("evolve", "--suite", "pbo-tiny", "--run-dir", "/proc/heurevo-run")
    assert_one_line_error(res, "/proc/heurevo-run", "not writable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_folder_is_one_line(refused, tmp_path) -> None:
    run_dir = tmp_path / "run"
    make_run_folder(run_dir)
    run_dir.chmod(0o555)
    try:
        res = refused("evolve", "--resume", "--run-dir", str(run_dir))
        assert_one_line_error(res, "not writable")
    finally:
        run_dir.chmod(0o755)


# --- the lock --------------------------------------------------------------------------------

def test_lock_refuses_a_live_owner_and_takes_over_a_dead_one(tmp_path) -> None:
    first = RunLock.acquire(tmp_path)
    with pytest.raises(RunFolderError, match=f"in use by pid {os.getpid()} on host"):
        RunLock.acquire(tmp_path)
    first.release()
    assert not (tmp_path / LOCK_FILE).exists()

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    taken = RunLock.acquire(tmp_path)
    assert f"stale lock of pid {dead.pid}" in taken.notice
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    taken.release()

    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": "another-host"}))
    with pytest.raises(RunFolderError, match="another-host"):
        RunLock.acquire(tmp_path)  # another host's process may still be running


def test_a_second_writer_is_refused_through_the_cli(refused, tmp_path) -> None:
    run_dir = tmp_path / "run"
    make_run_folder(run_dir)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (run_dir / LOCK_FILE).write_text(json.dumps({"pid": owner.pid,
                                                     "host": socket.gethostname()}))
        res = refused("evolve", "--resume", "--run-dir", str(run_dir))
        assert_one_line_error(res, f"in use by pid {owner.pid}")
    finally:
        owner.kill()
        owner.wait()


# --- resume flags -------------------------------------------------------------------------------

def test_resume_refuses_contradicting_flags_and_accepts_what_it_can_honour(tmp_path) -> None:
    stored = RunConfig(seed=5, suite=SuiteConfig(name="pbo-tiny"), budget=BudgetConfig(evaluations=12))
    path = tmp_path / CONFIG_FILE
    for flags, needle in [(RunFlags(seed=6), "--seed 6 (the run has 5)"),
                          (RunFlags(problem="tsp"), "--problem tsp (the run has pbo)"),
                          (RunFlags(suite="pbo-knapsack"), "--suite pbo-knapsack"),
                          (RunFlags(proposer="llm"), "--proposer llm (the run has gp)"),
                          (RunFlags(slots="penalty_obj"), "--slots penalty_obj (the run has (all))"),
                          (RunFlags(evaluations=11), "--evaluations 11 (the budget can only grow")]:
        with pytest.raises(ConfigError, match=re.escape(needle)):
            flags.reconcile(stored, path)
    same, changes = RunFlags(seed=5, problem="pbo", suite="pbo-tiny", evaluations=12).reconcile(stored, path)
    assert same == stored and changes == []
    grown, changes = RunFlags(evaluations=30, workers=4).reconcile(stored, path)
    assert grown.budget.evaluations == 30 and grown.evaluation.workers == 4
    assert changes == ["evaluation budget 12 -> 30", "workers 2 -> 4"]


# --- checked stores -----------------------------------------------------------------------------

def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    for p in (2, 3, 4):  # b-tree pages of the tables, not the header
        data[p * page: p * page + 200] = b"\xa5" * 200
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["empty", "pages", "foreign"])
def test_a_damaged_or_empty_store_is_one_line_in_show_export_and_resume(refused, tmp_path,
                                                                        damage) -> None:
    run_dir = tmp_path / "run"
    make_run_folder(run_dir, events=200)
    store = run_dir / STORE_FILE
    if damage == "empty":
        store.write_bytes(b"")
        needle = "empty (0 bytes)"
    elif damage == "pages":
        _damage(store)
        needle = "damaged"
    else:
        store.unlink()
        db = sqlite3.connect(store)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        needle = "not a heurevo run store"
    before = store.read_bytes()
    for args in (["show", str(run_dir)], ["export", str(run_dir), "--out", str(tmp_path / "b.py")],
                 ["evolve", "--resume", "--run-dir", str(run_dir)]):
        assert_one_line_error(refused(*args), str(store), needle)
    assert store.read_bytes() == before  # never silently restarted
    assert not (run_dir / LOCK_FILE).exists()


def test_store_checks_in_process(tmp_path) -> None:
    path = tmp_path / STORE_FILE
    with pytest.raises(StoreError, match="no such run store"):
        SQLiteStore(path, create=False)
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='schema'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version '99'"):
        SQLiteStore(path, create=False)


def test_default_run_name_is_not_doubled() -> None:
    assert default_run_name(RunConfig(problem="tsp", suite=SuiteConfig(name="tsp-uniform-small"))) \
        == "tsp-uniform-small-s0"
    assert default_run_name(RunConfig(suite=SuiteConfig(name="/data/my instances"), seed=2)) \
        == "pbo-my instances-s2"
