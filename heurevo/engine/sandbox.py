"""Sandboxed worker processes: generated code never runs in the engine's process.

Each :class:`SandboxWorker` is a separate Python process in its own session (process group)
with an address-space limit and no network. A call sends a task name and plain data, and waits
at most ``timeout_s``; Numba code ignores signals, so on a timeout the whole process group is
killed with SIGKILL. A worker that dies (a signal, an exit code) is reported as crashed and
replaced on the next call. Workers stay warm between calls, so kernels are compiled (or loaded
from the disk cache) once per worker.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from heurevo.engine.worker import read_message, write_message
from heurevo.populations.records import EvalStatus

_MEMORY_MARKERS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one worker process."""

    timeout_s: float = 120.0
    memory_mb: int = 4096
    no_network: bool = True

    def validate(self) -> None:
        """Reject limits that cannot work."""
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s: must be positive, got {self.timeout_s}")
        if self.memory_mb < 0:
            raise ValueError(f"memory_mb: must be >= 0 (0 = unlimited), got {self.memory_mb}")


@dataclass(frozen=True)
class TaskOutcome:
    """How one task call ended; ``value`` is the task's return value when status is OK."""

    status: EvalStatus
    value: Any = None
    error: str = ""
    seconds: float = 0.0
    worker_pid: int = 0

    @property
    def ok(self) -> bool:
        """True when the task returned normally."""
        return self.status is EvalStatus.OK


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"worker killed by {name}"
    return f"worker exited with code {returncode}"


class SandboxWorker:
    """One warm worker process; not thread-safe (the pool gives each call its own worker)."""

    def __init__(self, limits: SandboxLimits | None = None, env: dict[str, str] | None = None):
        self.limits = limits or SandboxLimits()
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._req_w = self._resp_r = -1
        self._log: Any = None
        self.restarts = 0

    @property
    def pid(self) -> int:
        """The current process id (0 when not running)."""
        return self._proc.pid if self._proc else 0

    def alive(self) -> bool:
        """True while the process runs."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the process (no-op if it is running)."""
        if self.alive():
            return
        self._cleanup()
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        env = dict(os.environ if self._env is None else self._env)
        env.setdefault("NUMBA_NUM_THREADS", "1")
        env.setdefault("OMP_NUM_THREADS", "1")
        env["PYTHONHASHSEED"] = "0"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        cmd = [sys.executable, "-m", "heurevo.engine.worker", str(req_r), str(resp_w),
               str(self.limits.memory_mb), "1" if self.limits.no_network else "0"]
        self._proc = subprocess.Popen(cmd, pass_fds=(req_r, resp_w), start_new_session=True,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=self._log, env=env)
        os.close(req_r)
        os.close(resp_w)
        self._req_w, self._resp_r = req_w, resp_r

    def call(self, task: str, payload: Any, timeout_s: float | None = None) -> TaskOutcome:
        """Run ``task(payload)`` in the worker; never raises for anything the task does."""
        self.start()
        assert self._proc is not None
        pid = self._proc.pid
        timeout = self.limits.timeout_s if timeout_s is None else timeout_s
        t0 = time.perf_counter()
        try:
            write_message(self._req_w, (task, payload))
        except (BrokenPipeError, OSError):
            return self._died(t0, pid)
        deadline = t0 + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self.kill()
                return TaskOutcome(EvalStatus.TIMEOUT, error=f"killed after {timeout:g} s wall-clock "
                                   "limit", seconds=time.perf_counter() - t0, worker_pid=pid)
            ready, _, _ = select.select([self._resp_r], [], [], min(remaining, 1.0))
            if ready:
                break
        try:
            reply = read_message(self._resp_r)
        except Exception as exc:  # a corrupt reply means a corrupt worker
            self.kill()
            return TaskOutcome(EvalStatus.CRASHED, error=f"unreadable reply from worker: {exc}",
                               seconds=time.perf_counter() - t0, worker_pid=pid)
        if reply is None:
            return self._died(t0, pid)
        seconds = time.perf_counter() - t0
        kind, value = reply
        if kind == "ok":
            return TaskOutcome(EvalStatus.OK, value=value, seconds=seconds, worker_pid=pid)
        status = EvalStatus.MEMORY if kind == "memory" else EvalStatus.FAILED
        return TaskOutcome(status, error=str(value), seconds=seconds, worker_pid=pid)

    def _died(self, t0: float, pid: int) -> TaskOutcome:
        assert self._proc is not None
        try:
            rc = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self._proc.returncode or -signal.SIGKILL
        tail = self._log_tail()
        status = EvalStatus.MEMORY if any(m in tail for m in _MEMORY_MARKERS) else EvalStatus.CRASHED
        detail = _describe_exit(rc) + (f"; last output: {tail[-600:]}" if tail else "")
        self._cleanup()
        self.restarts += 1
        return TaskOutcome(status, error=detail, seconds=time.perf_counter() - t0, worker_pid=pid)

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - 4000))
            return self._log.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        """Kill the worker's whole process group now."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self.restarts += 1
        self._cleanup()

    def _cleanup(self) -> None:
        for fd in (self._req_w, self._resp_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._req_w = self._resp_r = -1
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None

    def close(self) -> None:
        """Stop the worker: close its pipe so it exits, and kill it if it lingers."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.close(self._req_w)
                self._req_w = -1
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


class SandboxPool:
    """A fixed number of warm workers; :meth:`run` is thread-safe and blocks for a free worker."""

    def __init__(self, n_workers: int = 1, limits: SandboxLimits | None = None,
                 warmup: tuple[str, Any] | None = None):
        if n_workers < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        self.limits = limits or SandboxLimits()
        self.workers = [SandboxWorker(self.limits) for _ in range(n_workers)]
        self._idle: queue.Queue[SandboxWorker] = queue.Queue()
        self._warmup = warmup
        for w in self.workers:
            self._idle.put(w)
        if warmup is not None:
            threads = [threading.Thread(target=self._warm, args=(w,)) for w in self.workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    def _warm(self, worker: SandboxWorker) -> None:
        assert self._warmup is not None
        worker.call(self._warmup[0], self._warmup[1], timeout_s=max(self.limits.timeout_s, 300.0))

    @contextlib.contextmanager
    def lease(self) -> Iterator[SandboxWorker]:
        """Hold one warm worker for several calls (a candidate's stages share its compiled code)."""
        worker = self._idle.get()
        try:
            if not worker.alive() and self._warmup is not None:
                self._warm(worker)
            yield worker
        finally:
            self._idle.put(worker)

    def run(self, task: str, payload: Any, timeout_s: float | None = None) -> TaskOutcome:
        """Run one task on a free worker (a dead or killed worker is restarted and re-warmed)."""
        with self.lease() as worker:
            return worker.call(task, payload, timeout_s)

    def map(self, task: str, payloads: Iterable[Any], timeout_s: float | None = None) -> list[TaskOutcome]:
        """Run ``task`` on every payload across the workers; results in input order."""
        items = list(payloads)
        results: list[TaskOutcome | None] = [None] * len(items)
        it = iter(enumerate(items))
        lock = threading.Lock()

        def drain() -> None:
            while True:
                with lock:
                    nxt = next(it, None)
                if nxt is None:
                    return
                i, p = nxt
                results[i] = self.run(task, p, timeout_s)

        threads = [threading.Thread(target=drain) for _ in self.workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]

    @property
    def restarts(self) -> int:
        """How many times workers were killed or died and had to be replaced."""
        return sum(w.restarts for w in self.workers)

    def close(self) -> None:
        """Stop every worker."""
        for w in self.workers:
            w.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
