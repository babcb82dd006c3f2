"""Ctrl-C and SIGTERM: stop gracefully when Python can, exit anyway when it cannot.

SIGTERM (``timeout``, a cluster scheduler) raises KeyboardInterrupt like Ctrl-C, so a run is
marked interrupted and its sandboxed workers are shut down. But Python runs signal handlers only
between bytecodes: while the main thread is inside a compiled Numba kernel (``heurevo solve``, a
benchmark) neither signal would take effect until the kernel returns, which may be never for a
looping heuristic. A watchdog thread learns of each signal through ``signal.set_wakeup_fd``
(written by the C-level handler, so it works mid-kernel) and ends the process with the usual
``128 + signal`` status when it has not stopped within the grace period.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: Seconds a graceful stop may take before the process is ended regardless.
GRACE_S = 10.0


#: The stop signals received so far, in order (SIGINT or SIGTERM numbers).
_received: list[int] = []


def _raise_interrupt(signum: int, frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def interrupt_status() -> int:
    """The exit status of a stopped process: 143 after SIGTERM, else 130 (Ctrl-C)."""
    return 128 + (_received[0] if _received else int(signal.SIGINT))


def _watch(read_fd: int, grace_s: float) -> None:
    watched = {int(signal.SIGINT), int(signal.SIGTERM)}
    while True:
        try:
            data = os.read(read_fd, 64)
        except InterruptedError:
            continue
        except OSError:
            return
        hits = [b for b in data if b in watched]
        if hits:
            timer = threading.Timer(grace_s, _exit_now, args=(hits[0], grace_s))
            timer.daemon = True  # a process that stopped in time exits without waiting for it
            timer.start()
            return


def _exit_now(signum: int, grace_s: float) -> None:
    sys.stderr.write(f"heurevo: did not stop within {grace_s:g} s of "
                     f"{signal.Signals(signum).name}; exiting now\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def install_stop_signals(grace_s: float = GRACE_S) -> None:
    """SIGTERM behaves as Ctrl-C; either one ends the process after ``grace_s`` at the latest.

    Call from the main thread before the command runs."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd, grace_s), name="heurevo-stop-watchdog",
                     daemon=True).start()
