"""Real zygotes and forked children with real limits: whatever a task does, the engine survives."""

from __future__ import annotations

import os

import pytest
from sandbox_helpers import worker_env

from heurevo.engine.sandbox import SandboxLimits, SandboxPool, SandboxWorker
from heurevo.errors import WorkerError
from heurevo.populations.records import EvalStatus


@pytest.fixture()
def worker():
    w = SandboxWorker(SandboxLimits(timeout_s=5, memory_mb=1024), env=worker_env())
    yield w
    w.close()


def test_round_trip_one_child_per_session(worker) -> None:
    with worker.session():
        a = worker.call("sandbox_tasks:echo", {"x": [1, 2]})
        b = worker.call("sandbox_tasks:pid", None)
    c = worker.call("sandbox_tasks:pid", None)
    assert a.ok and a.value == {"x": [1, 2]}
    assert b.value == a.worker_pid == b.worker_pid  # one child for the whole session
    assert c.ok and c.value != b.value and c.value != worker.zygote_pid  # a fresh child
    assert worker.restarts == 0


def test_timeout_kills_and_next_call_gets_a_new_worker(worker) -> None:
    first = worker.call("sandbox_tasks:pid", None).value
    out = worker.call("sandbox_tasks:sleep", 30, timeout_s=1.0)
    assert out.status is EvalStatus.TIMEOUT and "1 s wall-clock" in out.error
    assert out.seconds < 5
    again = worker.call("sandbox_tasks:pid", None)
    assert again.ok and again.value != first


def test_exception_is_failed_with_traceback(worker) -> None:
    with worker.session():
        out = worker.call("sandbox_tasks:boom", 7)
        assert out.status is EvalStatus.FAILED and "ValueError: bad input 7" in out.error
        assert worker.call("sandbox_tasks:echo", 1).value == 1  # same child still serves


def test_segfault_is_crashed_with_signal_and_replaced(worker) -> None:
    zygote = (worker.call("sandbox_tasks:echo", 0), worker.zygote_pid)[1]
    out = worker.call("sandbox_tasks:segfault", None)
    assert out.status is EvalStatus.CRASHED and "SIGSEGV" in out.error
    assert worker.call("sandbox_tasks:echo", 2).value == 2
    assert worker.zygote_pid == zygote  # only the child died


def test_exit_code_is_crashed(worker) -> None:
    out = worker.call("sandbox_tasks:exit_code", 3)
    assert out.status is EvalStatus.CRASHED and "exited with code 3" in out.error


def test_memory_limit(worker) -> None:
    out = worker.call("sandbox_tasks:allocate", 3 * 1024**3)
    assert out.status is EvalStatus.MEMORY
    assert worker.call("sandbox_tasks:allocate", 1000).value == 1000


def test_unknown_task_is_failed(worker) -> None:
    out = worker.call("sandbox_tasks:nope", None)
    assert out.status is EvalStatus.FAILED and "nope" in out.error


def test_lost_zygote_is_restarted(worker) -> None:
    worker.call("sandbox_tasks:echo", 0)
    old = worker.zygote_pid
    os.kill(old, 9)
    out = worker.call("sandbox_tasks:echo", 5)
    if not out.ok:  # the kill may land between sessions or inside one
        out = worker.call("sandbox_tasks:echo", 5)
    assert out.ok and out.value == 5 and worker.zygote_pid not in (0, old)


def test_pool_map_keeps_order_and_survives_crashes(monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    with SandboxPool(2, SandboxLimits(timeout_s=5, memory_mb=1024)) as pool:
        outs = pool.map("sandbox_tasks:echo", range(6))
        assert [o.value for o in outs] == list(range(6))
        assert pool.run("sandbox_tasks:segfault", None).status is EvalStatus.CRASHED
        assert [o.value for o in pool.map("sandbox_tasks:echo", range(4))] == list(range(4))
        assert pool.restarts >= 1


def test_a_failed_warm_up_is_an_engine_error_not_a_candidate_failure(monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    with pytest.raises(WorkerError, match=r"warm-up \(sandbox_tasks:boom\) failed: ValueError: bad input 3"):
        SandboxPool(1, SandboxLimits(timeout_s=5, memory_mb=1024), warmup=("sandbox_tasks:boom", 3))
    with SandboxPool(1, SandboxLimits(timeout_s=5, memory_mb=1024), warmup=("sandbox_tasks:echo", 3)) as pool:
        assert pool.run("sandbox_tasks:echo", 4).value == 4


def test_per_instance_alarm_ends_a_compiled_loop_as_a_timeout(worker) -> None:
    out = worker.call("sandbox_tasks:spin_with_instance_alarm", 1.0, timeout_s=60)
    assert out.status is EvalStatus.TIMEOUT and "per-instance" in out.error
    assert out.seconds < 30
    assert worker.call("sandbox_tasks:echo", 4).value == 4
