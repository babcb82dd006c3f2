"""Each OS layer on its own: an escape that works with the layer off is stopped with it on, and
another layer still stops it when one is switched off."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sandbox_helpers import TESTS, worker_env

from heurevo.engine.isolation import DISABLE_ENV, LAYERS, missing_layers
from heurevo.engine.sandbox import SandboxLimits, SandboxWorker
from heurevo.populations.records import EvalStatus

VIOLATION = "sandbox violation"


def _worker(disable: str = "", **limits) -> SandboxWorker:
    lim = SandboxLimits(**{"timeout_s": 10.0, "memory_mb": 2048, **limits})
    return SandboxWorker(lim, env=worker_env(**{DISABLE_ENV: disable}))


@pytest.fixture()
def make():
    made: list[SandboxWorker] = []

    def get(disable: str = "", **limits) -> SandboxWorker:
        made.append(_worker(disable, **limits))
        return made[-1]

    yield get
    for w in made:
        w.close()


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return any(line.startswith("State:") and "Z" in line for line in fh)
    except FileNotFoundError:
        return True


def test_every_layer_is_on_by_default(make) -> None:
    w = make()
    assert w.call("sandbox_tasks:echo", 1).ok
    assert set(LAYERS) <= set(w.layers)
    assert missing_layers(w.layers) == [], w.layers


def test_a_disabled_layer_is_reported_missing(make) -> None:
    w = make("landlock")
    w.call("sandbox_tasks:echo", 1)
    assert w.layers["landlock"] == "disabled" and missing_layers(w.layers) == ["landlock: disabled"]


@pytest.mark.parametrize("task", ["execve", "fork_child", "setsid_grandchild", "connect"])
def test_seccomp_kills_forbidden_syscalls(make, task: str) -> None:
    w = make()
    out = w.call(f"sandbox_tasks:{task}", None)
    assert out.status is EvalStatus.CRASHED and VIOLATION in out.error, out.error
    assert w.call("sandbox_tasks:echo", 2).value == 2


def test_seccomp_refuses_unlisted_syscalls_and_the_child_goes_on(make) -> None:
    """The filter is an allow-list: a syscall it does not name fails with EPERM."""
    w = make()
    assert w.call("sandbox_tasks:set_affinity", None).value == "EPERM"
    assert w.call("sandbox_tasks:echo", 3).value == 3
    assert make("seccomp").call("sandbox_tasks:set_affinity", None).value == "allowed"


def test_seccomp_allows_threads(make) -> None:
    out = make().call("sandbox_tasks:thread_sum", 4)
    assert out.ok and out.value == 6


def test_seccomp_allows_signals_to_self_only(make) -> None:
    w = make()
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        out = w.call("sandbox_tasks:kill_other", victim.pid)
        assert out.status is EvalStatus.CRASHED and VIOLATION in out.error
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_execve_without_seccomp_is_stopped_by_landlock_and_works_without_both(make) -> None:
    out = make("seccomp").call("sandbox_tasks:execve", None)
    assert out.status is EvalStatus.FAILED and "PermissionError" in out.error
    bare = make("seccomp,landlock").call("sandbox_tasks:execve", None)
    assert bare.status is EvalStatus.CRASHED and "exited with code 0" in bare.error  # /bin/true ran


def test_landlock_confines_files_even_without_seccomp(make, tmp_path) -> None:
    target = f"/tmp/heurevo-escape-{uuid.uuid4().hex}"
    w = make("seccomp")
    out = w.call("sandbox_tasks:write_file", target)
    assert out.status is EvalStatus.FAILED and "PermissionError" in out.error
    assert not os.path.exists(target)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    assert w.call("sandbox_tasks:read_file", str(secret)).status is EvalStatus.FAILED
    assert w.call("sandbox_tasks:write_file", "inside.txt").ok  # its private temp folder
    try:  # without the layer the same escape works
        assert make("seccomp,landlock").call("sandbox_tasks:write_file", target).ok
        assert os.path.exists(target)
    finally:
        Path(target).unlink(missing_ok=True)


def test_network_namespace_holds_without_seccomp(make) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:
        server.settimeout(20)
        try:
            conn, _ = server.accept()
            conn.sendall(b"hello")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        out = make("seccomp").call("sandbox_tasks:connect", port)
        assert out.status is EvalStatus.FAILED and ("unreachable" in out.error or "refused" in out.error)
        bare = make("seccomp,netns").call("sandbox_tasks:connect", port)
        assert bare.ok and bare.value == "hello"  # the escape, had both layers been off
    finally:
        server.close()


def test_file_size_limit(make) -> None:
    out = make().call("sandbox_tasks:write_bytes", 100 << 20)
    assert out.status is EvalStatus.FAILED and "File too large" in out.error
    assert make("rlimits").call("sandbox_tasks:write_bytes", 100 << 20).ok


def test_cpu_limit_is_a_backstop_to_the_wall_clock(make) -> None:
    out = make(cpu_s=1, timeout_s=20).call("sandbox_tasks:spin", None)
    assert out.status is EvalStatus.CRASHED and "SIGXCPU" in out.error and out.seconds < 19
    slow = make("rlimits", cpu_s=1, timeout_s=3).call("sandbox_tasks:spin", None)
    assert slow.status is EvalStatus.TIMEOUT


def test_setsid_grandchild_without_seccomp_dies_with_its_child(make) -> None:
    w = make("seccomp")
    with w.session():
        out = w.call("sandbox_tasks:setsid_grandchild", None)
        assert out.ok
        grandchild = out.value
        assert not _gone(grandchild)
    deadline = time.monotonic() + 2
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild)


def _engine(task: str, prep: str = "", disable: str = "") -> tuple[subprocess.Popen, list[int]]:
    env = worker_env(**{DISABLE_ENV: disable})
    cmd = [sys.executable, os.path.join(TESTS, "sandbox_engine.py"), task] + ([prep] if prep else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    time.sleep(1.0)  # the task is now looping
    return proc, pids


@pytest.mark.parametrize(("task", "prep", "disable"), [
    ("sandbox_tasks:spin_compiled", "", ""),
    ("sandbox_tasks:spin", "sandbox_tasks:setsid_grandchild", "seccomp"),
], ids=["compiled-loop", "setsid-grandchild-no-seccomp"])
def test_kill_9_of_the_engine_leaves_no_worker(task: str, prep: str, disable: str) -> None:
    proc, pids = _engine(task, prep, disable)
    try:
        assert len(pids) >= 2 and not any(_gone(p) for p in pids), pids
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
        while not all(_gone(p) for p in pids) and time.monotonic() - t0 < 2.0:
            time.sleep(0.05)
        assert all(_gone(p) for p in pids), [p for p in pids if not _gone(p)]
    finally:
        for p in pids:
            if not _gone(p):
                os.kill(p, signal.SIGKILL)
