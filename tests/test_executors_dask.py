"""The Dask executor on a real LocalCluster with 2 worker processes (and a real scheduler process).

An evolution on Dask ends exactly as on the local executor; a Dask worker killed mid-run loses
and duplicates nothing; hostile candidates and escape attempts cost a sandboxed child, never a
Dask worker; a run whose scheduler dies stops cleanly and ``--resume`` finishes it on the local
executor with every finished evaluation kept. Slow: each test starts sandboxed zygotes on the
Dask workers.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import dask
from distributed import Client

from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.engine.executors.base import ExecutorConfig
from heurevo.engine.executors.cluster import QUIET, local_cluster
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import STORE_FILE, execute, prepare_run
from heurevo.populations.records import Candidate, EvalStatus
from heurevo.populations.store import SQLiteStore
from heurevo.suites.catalog import SplitInstance

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Test tasks importable in workers; suites cached in a temporary folder."""
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "HEUREVO_CACHE")}
    os.environ["PYTHONPATH"] = str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ["HEUREVO_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def cluster(env):
    """A real LocalCluster as ``--executor dask`` starts it: 2 worker processes, one thread each."""
    with local_cluster(2) as c, Client(c) as client:
        yield client


def test_the_executors_cluster_workers_run_without_the_sampling_profiler(cluster) -> None:
    for key, value in QUIET.items():
        assert set(cluster.run(dask.config.get, key).values()) == {value}, key
    assert cluster.run(lambda dask_worker: dask_worker.state.nthreads) == dict.fromkeys(
        cluster.scheduler_info()["workers"], 1)


def config(seed: int = 5, **executor) -> RunConfig:
    return RunConfig(problem="pbo", seed=seed, suite=SuiteConfig("pbo-tiny"),
                     budget=BudgetConfig(evaluations=6),
                     evaluation=EvaluationConfig(workers=2, timeout_s=60),
                     executor=ExecutorConfig(**executor))


def facts(run_dir: Path) -> dict[str, object]:
    """What two runs with the same seed must agree on (every stored train evaluation, in full)."""
    store = SQLiteStore(run_dir / STORE_FILE)
    try:
        train = sorted((k, r.fitness, r.status.value, r.descriptor, _runs(r)) for k, r in store.evaluations()
                       if k.split("/")[1] == "train")
        return {"train": train, "population": store.events("generation")[-1].data["population"],
                "evaluations": store.events("stop")[-1].data["evaluations"]}
    finally:
        store.close()


def evolve(cfg: RunConfig | None, run_dir: Path, resume: bool = False):
    run = prepare_run(cfg, run_dir, resume=resume)
    try:
        return run, execute(run)
    finally:
        run.close()


def stored(run_dir: Path) -> int:
    path = run_dir / STORE_FILE
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        try:
            return db.execute("SELECT count(*) FROM evaluations").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.fixture(scope="module")
def local_facts(env, tmp_path_factory):
    """The reference: the same evolution on the local executor."""
    run_dir = tmp_path_factory.mktemp("local") / "run"
    evolve(config(), run_dir)
    return facts(run_dir)


def test_dask_evolution_matches_local_executor(cluster, local_facts, tmp_path) -> None:
    run, summary = evolve(config(name="dask", scheduler=cluster.scheduler.address), tmp_path / "run")
    assert any("Dask scheduler" in n for n in run.notices)
    assert not summary.stats.stopped_because.startswith("interrupted")
    assert facts(tmp_path / "run") == local_facts


def test_killing_a_dask_worker_mid_run_loses_and_duplicates_nothing(cluster, local_facts, tmp_path) -> None:
    run_dir = tmp_path / "run"
    out: dict[str, object] = {}
    t = threading.Thread(target=lambda: out.update(summary=evolve(
        config(name="dask", scheduler=cluster.scheduler.address), run_dir)[1]))
    t.start()
    pids = cluster.run(os.getpid)
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and t.is_alive() and time.monotonic() < deadline:
        busy = [w for w, tasks in cluster.processing().items()
                if any(str(k).startswith("stages_task") for k in tasks)]
        if busy and stored(run_dir) >= 1:
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    t.join(timeout=900)
    assert killed is not None, "no evaluation was in flight to kill"
    assert not out["summary"].stats.stopped_because.startswith("interrupted")
    assert facts(run_dir) == local_facts  # every evaluation once, with the same result
    cluster.wait_for_workers(2, timeout=120)  # the nanny replaced the killed worker


def test_hostile_candidates_do_not_take_a_dask_worker_down(cluster, tmp_path) -> None:
    from heurevo.solvers.problem import get_problem

    inst = get_problem("pbo").smoke_instance(tmp_path / "inst")
    cfg = EvaluationConfig(budget_steps=3000, timeout_s=5.0, memory_mb=2048, workers=2,
                           minibatch=1, full=False)
    ev = StagedEvaluator("pbo", {"train": [SplitInstance(inst.name, str(inst))]}, cfg, 0,
                         tmp_path / "work", executor=ExecutorConfig("dask", cluster.scheduler.address))
    try:
        before = cluster.run(os.getpid)
        defaults = {n: s.default_source for n, s in ev.slots.items()}
        for name, slot, status in [("infinite_loop.py", "calculate_score", EvalStatus.TIMEOUT),
                                   ("out_of_bounds_write.py", "update_weights", EvalStatus.CRASHED)]:
            cand = Candidate.new("pbo", {**defaults, slot: (CORPUS / name).read_text()})
            assert ev.evaluate(cand).status is status, name
        for task in ("execve", "connect", "fork_child"):  # escapes past the static checks
            escape = ev.executor.run(f"sandbox_tasks:{task}", None, 10.0)
            assert escape.status is EvalStatus.CRASHED and "sandbox violation" in escape.error, escape
        forged = ev.executor.run("sandbox_tasks:forge_pickle", str(tmp_path / "pwned"), 10.0)
        assert forged.status is EvalStatus.CRASHED and not (tmp_path / "pwned").exists()
        default = ev.evaluate(ev.default_candidate)
        assert default.ok and default.fitness == pytest.approx(1.0)
        assert cluster.run(os.getpid) == before  # the same Dask worker processes, none restarted
    finally:
        ev.close()


def _scheduler(tmp_path: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], str]:
    """A real scheduler process and one worker process; the scheduler's address."""
    info = tmp_path / "scheduler.json"
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                              "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                              str(info)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--nthreads", "1",
                               "--no-dashboard", "--memory-limit", "0", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sched, worker, json.loads(info.read_text())["address"]


def test_resume_after_scheduler_loss_continues_on_the_local_executor(env, local_facts, tmp_path) -> None:
    sched, worker, address = _scheduler(tmp_path)
    run_dir = tmp_path / "run"
    out: dict[str, object] = {}
    try:
        t = threading.Thread(target=lambda: out.update(summary=evolve(
            config(name="dask", scheduler=address), run_dir)[1]))
        t.start()
        deadline = time.monotonic() + 600
        while stored(run_dir) < 2 and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        sched.kill()
        t.join(timeout=300)
        assert not t.is_alive()
    finally:
        for p in (sched, worker):
            p.kill()
            p.wait()
    assert out["summary"].stats.stopped_because.startswith("interrupted: the Dask cluster failed")
    before = {k: r for k, r in _evaluations(run_dir)}
    assert len(before) >= 2
    evolve(config(name="local"), run_dir, resume=True)  # the stored config, on the local executor
    after = dict(_evaluations(run_dir))
    assert all(after[k] == r for k, r in before.items())  # every finished evaluation kept as it was
    assert facts(run_dir)["train"] == local_facts["train"]


def _evaluations(run_dir: Path) -> list[tuple[str, object]]:
    store = SQLiteStore(run_dir / STORE_FILE)
    try:
        return [(k, (r.fitness, r.status.value, r.descriptor, _runs(r))) for k, r in store.evaluations()]
    finally:
        store.close()


def _runs(result) -> tuple[tuple[str, int, float | None, int], ...]:
    """Each solver run of an evaluation without its timing: what determinism must reproduce."""
    return tuple((r.instance, r.seed, r.objective, r.steps) for r in result.instances)
