"""Sandboxed workers: generated code never runs in the engine's process, nor twice in one process.

Each :class:`SandboxWorker` is a warm zygote process (:mod:`heurevo.engine.zygote`) in its own
session that holds the imports, compiled kernels and loaded instances; every candidate (and the
default's baseline) runs in a fresh child forked from it, inside the OS layers of
:mod:`heurevo.engine.isolation`. A call sends a task name and plain data and waits at most
``timeout_s``; Numba code ignores signals, so on a timeout the child is killed with SIGKILL. A
reply is MessagePack data decoded into a declared type (:mod:`heurevo.engine.wire`); a child that
dies, breaks a seccomp rule, or sends a malformed reply is reported as crashed, and the next
session forks a new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from heurevo.engine.wire import (
    MAX_REPLY_BYTES,
    Control,
    MalformedReply,
    Request,
    decode_control,
    decode_reply,
    encode,
    read_frame,
    write_frame,
)
from heurevo.errors import ConfigError, WorkerError
from heurevo.populations.records import EvalStatus

_MEMORY_MARKERS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")
_EOF = "<end of file>"


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one worker's children."""

    timeout_s: float = 120.0
    memory_mb: int = 4096
    max_reply_bytes: int = MAX_REPLY_BYTES
    cpu_s: float = 0.0  # RLIMIT_CPU per child; 0 = 20 x timeout_s + 60 (a backstop, not the limit)

    def validate(self) -> None:
        """Reject limits that cannot work."""
        if not self.timeout_s > 0:
            raise ConfigError(f"must be positive, got {self.timeout_s}", key="timeout_s")
        if self.memory_mb < 0:
            raise ConfigError(f"must be >= 0 (0 = unlimited), got {self.memory_mb}", key="memory_mb")

    def cpu_backstop_s(self) -> float:
        """The CPU seconds a child may use in all before the kernel kills it."""
        if self.cpu_s > 0:
            return self.cpu_s
        return 20 * min(self.timeout_s, 3600.0) + 60


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
    if returncode == -signal.SIGSYS:
        return "sandbox violation (worker killed by SIGSYS: a forbidden system call)"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"worker killed by {name}"
    return f"worker exited with code {returncode}"


class SandboxWorker:
    """One warm zygote and, during a :meth:`session`, its forked child; not thread-safe."""

    def __init__(self, limits: SandboxLimits | None = None, env: dict[str, str] | None = None,
                 read_paths: tuple[str, ...] = ()):
        self.limits = limits or SandboxLimits()
        self.read_paths = tuple(read_paths)
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._log: Any = None
        self._child = 0
        self._req_w = self._resp_r = -1
        self._log_start = 0
        self.layers: dict[str, str] = {}
        self.restarts = 0

    @property
    def pid(self) -> int:
        """The current child's process id (0 outside a session)."""
        return self._child

    @property
    def zygote_pid(self) -> int:
        """The zygote's process id (0 when not running)."""
        return self._proc.pid if self._proc else 0

    def alive(self) -> bool:
        """True while the zygote runs."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the zygote (no-op if it is running)."""
        if self.alive():
            return
        self._stop_zygote()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ if self._env is None else self._env)
        env.setdefault("NUMBA_NUM_THREADS", "1")
        env.setdefault("NUMBA_THREADING_LAYER", "workqueue")
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        env["PYTHONHASHSEED"] = "0"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the zygote
        # PR_SET_PDEATHSIG follows the *thread* that forked: only ask for it from the main thread.
        watch = os.getpid() if threading.current_thread() is threading.main_thread() else 0
        cmd = [sys.executable, "-m", "heurevo.engine.zygote", str(theirs.fileno()), str(watch)]
        self._proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), start_new_session=True,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=self._log, env=env)
        theirs.close()
        self._ctl = ours

    def warm(self, task: str, payload: Any, timeout_s: float = 300.0) -> str:
        """Run a trusted warm-up task in the zygote (no candidate code); "" or the error."""
        self.start()
        answer = self._control(Control("warm", task=task, payload=payload), "warmed", timeout_s)
        if answer is None:
            self._stop_zygote()
            return "the zygote did not answer the warm-up"
        return str(answer.value) if answer.status else ""

    # --- engine <-> zygote ------------------------------------------------------------
    def _control(self, msg: Control | None, expect: str, timeout_s: float,
                 fds: tuple[int, ...] = (), pid: int = 0) -> Control | None:
        """Send ``msg`` (if any), then wait for the zygote's ``expect`` answer (None: no answer);
        with ``pid``, only the answer about that child (an earlier child's ``exited`` is skipped)."""
        assert self._ctl is not None
        try:
            if msg is not None:
                socket.send_fds(self._ctl, [encode(msg)], list(fds))
            deadline = time.perf_counter() + timeout_s
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return None
                ready, _, _ = select.select([self._ctl], [], [], remaining)
                if not ready:
                    continue
                data = self._ctl.recv(1 << 20)
                if not data:
                    return None
                answer = decode_control(data)
                if answer.op == expect and (not pid or answer.pid == pid):
                    return answer
        except (OSError, MalformedReply):
            return None

    # --- sessions: one forked child ---------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[SandboxWorker]:
        """A fresh child forked from the warm zygote for the calls inside the block."""
        if self._child:
            yield self
            return
        self._open_child()
        try:
            yield self
        finally:
            self._close_child()

    def _open_child(self) -> None:
        self.start()
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        policy = {"memory_mb": self.limits.memory_mb, "cpu_s": int(self.limits.cpu_backstop_s()),
                  "fsize_mb": 64, "read_paths": list(self.read_paths)}
        self._log_start = self._log_size()
        answer = self._control(Control("fork", payload=policy), "forked", 30.0, (req_r, resp_w))
        os.close(req_r)
        os.close(resp_w)
        self._req_w, self._resp_r = req_w, resp_r
        if answer is None:
            self._stop_zygote()
            return
        self._child = answer.pid
        first = self._receive(Any, time.perf_counter() + 30.0)
        self.layers = first.value if first.ok and isinstance(first.value, dict) else {}

    def _close_child(self) -> None:
        """End of the session: the child sees end of file and exits on its own, without the
        engine waiting for it (a large child takes ~15 ms to exit). The zygote reaps it, and
        kills it first if the next ``fork`` comes before it is gone, so a child that ignores
        the end of file cannot outlive its session past the next one's start."""
        if self._child and self._req_w >= 0:
            os.close(self._req_w)
            self._req_w = -1
        self._close_pipes()
        self._child = 0

    def _close_pipes(self) -> None:
        for fd in (self._req_w, self._resp_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._req_w = self._resp_r = -1

    def _kill_child(self) -> int | None:
        """Kill the current child through its zygote; its return code (None: zygote lost too)."""
        answer = (self._control(Control("kill", pid=self._child), "exited", 5.0, pid=self._child)
                  if self._child else None)
        self._close_pipes()
        self._child = 0
        self.restarts += 1
        if answer is None:
            self._stop_zygote()
            return None
        return os.waitstatus_to_exitcode(answer.status)

    def call(self, task: str, payload: Any, timeout_s: float | None = None,
             reply: Any = Any) -> TaskOutcome:
        """Run ``task(payload)`` in the child; its value must decode as ``reply``. Never raises."""
        with self.session():
            return self._call(task, payload, timeout_s, reply)

    def _call(self, task: str, payload: Any, timeout_s: float | None, reply: Any) -> TaskOutcome:
        pid = self._child
        t0 = time.perf_counter()
        if not pid:
            return TaskOutcome(EvalStatus.CRASHED, error="the worker could not be started"
                               + self._tail_note(), worker_pid=0)
        timeout = self.limits.timeout_s if timeout_s is None else timeout_s
        try:
            write_frame(self._req_w, encode(Request(task, payload)))
        except OSError:
            return self._died(t0, pid)
        out = self._receive(reply, t0 + timeout)
        if out.status is EvalStatus.TIMEOUT:
            self._kill_child()
            return TaskOutcome(EvalStatus.TIMEOUT, error=f"killed after {timeout:g} s wall-clock "
                               "limit", seconds=time.perf_counter() - t0, worker_pid=pid)
        if out.error == _EOF:
            return self._died(t0, pid)
        if out.status is EvalStatus.CRASHED:  # malformed: whatever sent it is not trusted again
            self._kill_child()
        return dataclasses.replace(out, seconds=time.perf_counter() - t0, worker_pid=pid)

    def _receive(self, reply: Any, deadline: float) -> TaskOutcome:
        """Wait for one reply frame until ``deadline`` and decode it as ``reply``."""
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return TaskOutcome(EvalStatus.TIMEOUT)
            ready, _, _ = select.select([self._resp_r], [], [], min(remaining, 1.0))
            if ready:
                break
        try:
            body = read_frame(self._resp_r, self.limits.max_reply_bytes)
            if body is None:
                return TaskOutcome(EvalStatus.CRASHED, error=_EOF)
            kind, value, error = decode_reply(body, reply)
        except MalformedReply as exc:
            return TaskOutcome(EvalStatus.CRASHED, error=f"malformed worker reply: {exc}"[:2000])
        if kind == "ok":
            return TaskOutcome(EvalStatus.OK, value=value)
        return TaskOutcome(EvalStatus.MEMORY if kind == "memory" else EvalStatus.FAILED, error=error)

    def _died(self, t0: float, pid: int) -> TaskOutcome:
        answer = self._control(None, "exited", 5.0, pid=pid)
        rc = os.waitstatus_to_exitcode(answer.status) if answer else self._kill_child()
        self._close_pipes()
        self._child = 0
        self.restarts += 1
        tail = self._log_tail()
        if rc == -signal.SIGALRM:
            return TaskOutcome(EvalStatus.TIMEOUT, error="killed by the per-instance wall-clock "
                               "limit (SIGALRM)", seconds=time.perf_counter() - t0, worker_pid=pid)
        status = EvalStatus.MEMORY if any(m in tail for m in _MEMORY_MARKERS) else EvalStatus.CRASHED
        what = _describe_exit(rc) if rc is not None else "worker lost with its zygote"
        detail = what + (f"; last output: {tail[-600:]}" if tail else "")
        return TaskOutcome(status, error=detail, seconds=time.perf_counter() - t0, worker_pid=pid)

    def _log_size(self) -> int:
        if self._log is None:
            return 0
        self._log.seek(0, os.SEEK_END)
        return self._log.tell()

    def _log_tail(self) -> str:
        """The zygote's stderr written since the current child was forked."""
        if self._log is None:
            return ""
        try:
            size = self._log_size()
            self._log.seek(max(self._log_start, size - 4000))
            return self._log.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def _tail_note(self) -> str:
        tail = self._log_tail()
        return f"; last output: {tail[-600:]}" if tail else ""

    def kill(self) -> None:
        """Kill the child and the zygote's whole process group now."""
        self._stop_zygote()

    def _stop_zygote(self) -> None:
        self._close_pipes()
        self._child = 0
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self.restarts += 1
        self._proc = None
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop the worker: end the child, tell the zygote to quit, kill it if it lingers."""
        if self._child:
            self._close_child()
        if self._proc is not None and self._proc.poll() is None and self._ctl is not None:
            with contextlib.suppress(OSError):
                self._ctl.send(encode(Control("quit")))
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self._stop_zygote()


def missing_layer_warning() -> str:
    """"" when a fresh sandboxed child gets every OS layer here, else a warning naming the missing."""
    from heurevo.engine.isolation import missing_layers

    worker = SandboxWorker(SandboxLimits(timeout_s=30, memory_mb=0))
    try:
        with worker.session():
            missing = missing_layers(worker.layers) if worker.layers else ["no worker could start"]
    finally:
        worker.close()
    if not missing:
        return ""
    return ("WARNING: the sandbox is missing layer(s) on this machine; candidate code is less "
            "contained: " + "; ".join(missing) + " (see `heurevo doctor`)")


class SandboxPool:
    """A fixed number of warm workers; :meth:`run` is thread-safe and blocks for a free worker."""

    def __init__(self, n_workers: int = 1, limits: SandboxLimits | None = None,
                 warmup: tuple[str, Any] | None = None, read_paths: tuple[str, ...] = ()):
        if n_workers < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        self.limits = limits or SandboxLimits()
        self.workers = [SandboxWorker(self.limits, read_paths=read_paths) for _ in range(n_workers)]
        self._idle: queue.Queue[SandboxWorker] = queue.Queue()
        self._warmup = warmup
        for w in self.workers:
            self._idle.put(w)
        if warmup is not None:
            failed: list[WorkerError] = []

            def warm(worker: SandboxWorker) -> None:
                try:
                    self._warm(worker)
                except WorkerError as exc:
                    failed.append(exc)

            threads = [threading.Thread(target=warm, args=(w,)) for w in self.workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if failed:
                self.close()
                raise failed[0]

    def _warm(self, worker: SandboxWorker) -> None:
        """Warm ``worker`` up; a failure is the engine's problem, not a candidate's: it raises
        (children of an unwarmed zygote would fail every candidate with an unrelated error)."""
        assert self._warmup is not None
        error = worker.warm(self._warmup[0], self._warmup[1], timeout_s=max(self.limits.timeout_s, 300.0))
        if error:
            lines = error.strip().splitlines()
            raise WorkerError(f"the sandbox worker's warm-up ({self._warmup[0]}) failed: "
                              f"{lines[-1] if lines else error}")

    @contextlib.contextmanager
    def lease(self) -> Iterator[SandboxWorker]:
        """A fresh child of a warm zygote for several calls (one candidate's stages)."""
        worker = self._idle.get()
        try:
            if not worker.alive() and self._warmup is not None:
                self._warm(worker)
            with worker.session():
                yield worker
        finally:
            self._idle.put(worker)

    def run(self, task: str, payload: Any, timeout_s: float | None = None,
            reply: Any = Any) -> TaskOutcome:
        """Run one task in a fresh child of a free worker (a lost zygote is restarted and re-warmed)."""
        with self.lease() as worker:
            return worker.call(task, payload, timeout_s, reply)

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
