"""A warm zygote: holds the imports, compiled kernels and loaded instances; forks a child per candidate.

Started by :mod:`heurevo.engine.sandbox` as ``python -m heurevo.engine.zygote CTL_FD WATCH_PID``.
``CTL_FD`` is a Unix ``SOCK_SEQPACKET`` socket to the engine carrying
:class:`~heurevo.engine.wire.Control` messages:

- ``warm`` runs a trusted warm-up task (no candidate code) in the zygote itself, so every child
  starts with the kernels and instances already in memory;
- ``fork`` (with the child's request and reply pipe ends attached as file descriptors) forks a
  child that installs the OS layers and serves that candidate's tasks; the zygote answers
  ``forked`` and, when the child ends, ``exited`` with its wait status;
- ``kill`` kills the current child (through a pidfd, so never another process).

Candidate code never runs in the zygote, so nothing a candidate does (to an array, a class, a
module) reaches another candidate: each child is a fresh copy-on-write copy. When the engine
goes away (the socket reaches end of file) the zygote kills its child and exits; with
``WATCH_PID`` it also has ``PR_SET_PDEATHSIG``. It is a child subreaper, so a process that
escaped a child (only possible with seccomp disabled) is killed when that child ends.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator

from heurevo.engine.isolation import (
    ChildPolicy,
    arm_cpu_limit,
    disabled_layers,
    enter_child,
    enter_zygote,
)
from heurevo.engine.wire import Control, decode_control, encode, write_frame

MAX_CONTROL_BYTES = 4 * 1024 * 1024


class Zygote:
    """The zygote's loop; at most one child at a time."""

    def __init__(self, ctl: socket.socket, status: dict[str, str]):
        self.ctl = ctl
        self.status = status
        self.disabled = disabled_layers()
        self.child = 0
        self.pidfd = -1
        self.tmp = ""

    def send(self, msg: Control) -> None:
        """One control message to the engine."""
        self.ctl.send(encode(msg))

    def loop(self) -> None:
        """Serve commands until the engine closes the socket or says ``quit``."""
        while True:
            watched = [self.ctl.fileno()] + ([self.pidfd] if self.pidfd >= 0 else [])
            ready, _, _ = select.select(watched, [], [])
            if self.pidfd in ready:
                self._reap()
            if self.ctl.fileno() in ready:
                data, fds, _, _ = socket.recv_fds(self.ctl, MAX_CONTROL_BYTES, 4)
                if not data:
                    return self.shutdown()
                msg = decode_control(data)
                if msg.op == "quit":
                    return self.shutdown()
                self._handle(msg, fds)

    def _handle(self, msg: Control, fds: list[int]) -> None:
        if msg.op == "warm":
            self._warm(msg)
        elif msg.op == "fork":
            self._fork(msg, fds)
        elif msg.op == "kill" and self.child and msg.pid == self.child:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _warm(self, msg: Control) -> None:
        from heurevo.engine.worker import call_task

        t0 = time.perf_counter()
        try:
            call_task(msg.task, msg.payload)
            self.send(Control("warmed", value=time.perf_counter() - t0))
        except Exception as exc:  # a broken warm-up is reported, the zygote stays
            self.send(Control("warmed", status=1, value=f"{type(exc).__name__}: {exc}"))

    def _fork(self, msg: Control, fds: list[int]) -> None:
        if self.child:
            self._kill_child()
        req_r, resp_w = fds[0], fds[1]
        policy = ChildPolicy(**msg.payload, disabled=self.disabled)
        if "rlimits" not in self.disabled:
            arm_cpu_limit(policy.cpu_s)
        self.tmp = tempfile.mkdtemp(prefix="heurevo-child-")
        sys.stderr.flush()
        gc.freeze()  # the child's collector leaves the inherited objects alone: fewer COW copies
        pid = os.fork()
        if pid == 0:
            self._child(req_r, resp_w, policy)
        self.child = pid
        self.pidfd = os.pidfd_open(pid)
        self.send(Control("forked", pid=pid))

    def _child(self, req_r: int, resp_w: int, policy: ChildPolicy) -> None:
        code = 0
        try:
            self.ctl.close()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.environ["TMPDIR"] = tempfile.tempdir = self.tmp
            os.chdir(self.tmp)
            status = {**self.status, **enter_child(policy, self.tmp)}
            from heurevo.engine.worker import ok_reply, serve

            write_frame(resp_w, ok_reply(status))
            serve(req_r, resp_w)
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os._exit(code)

    def _kill_child(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        with _sigterm_deferred():  # the SIGTERM handler reaps too: not twice at once
            _, status = os.waitpid(self.child, 0)
            os.close(self.pidfd)
            pid, self.child, self.pidfd = self.child, 0, -1
            # the engine hears first; the clean-up below still ends before the next message
            # (the next fork) is read, so no orphan or folder outlives into the next child
            with contextlib.suppress(OSError):  # the engine may be gone
                self.send(Control("exited", pid=pid, status=status))
            kill_orphans()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def shutdown(self) -> None:
        """Kill the child and any orphan, remove the temp folder, exit.

        Reached from the loop (end of file, ``quit``) or from the SIGTERM handler (the engine
        died); both come at once when the engine is killed, so SIGTERM is blocked first.
        """
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        if self.child:
            self._kill_child()
        kill_orphans()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        os._exit(0)


@contextlib.contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """Hold SIGTERM until the block ends (the handler then runs at once)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _orphans() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(int(entry))
    return found


def kill_orphans() -> None:
    """SIGKILL and reap every process re-parented to this zygote (escapees of a dead child).

    Repeated until none is left, so an orphan that forks while it is being killed is caught too.
    """
    for _ in range(100):
        orphans = _orphans()
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not orphans:
            return


def main(argv: list[str]) -> None:
    """Zygote entry point."""
    ctl_fd, watch = int(argv[0]), int(argv[1])
    status = enter_zygote(disabled_layers(), watch)
    zygote = Zygote(socket.socket(fileno=ctl_fd), status)
    signal.signal(signal.SIGTERM, lambda *_: zygote.shutdown())
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    zygote.loop()


if __name__ == "__main__":
    main(sys.argv[1:])
