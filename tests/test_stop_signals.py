"""SIGTERM ends a process stuck in a compiled kernel (after the grace period) and stops a
Python-level loop gracefully, as Ctrl-C does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

SCRIPT = """
import sys
from numba import njit
from heurevo.stop_signals import install_stop_signals

@njit(nogil=True, cache=False)
def spin(a):
    i = 0
    while a.size > 0:
        a[i % a.size] += 1
        i += 1

import numpy as np
install_stop_signals(grace_s=1.0)
"""


def _start(body: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", body], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("where", ["kernel", "python"])
def test_sigterm_stops_a_kernel_after_the_grace_period_and_python_at_once(where: str) -> None:
    if where == "kernel":
        loop = "spin.compile('(int64[::1],)')\nprint('ready', flush=True)\nspin(np.zeros(3, np.int64))\n"
    else:
        loop = ("print('ready', flush=True)\ntry:\n    while True:\n        pass\n"
                "except KeyboardInterrupt:\n    sys.exit(130)\n")
    proc = _start(SCRIPT + loop)
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=30)
    waited = time.monotonic() - t0
    stderr = proc.stderr.read() if proc.stderr else ""
    if where == "kernel":
        assert rc == 128 + signal.SIGTERM and "did not stop within 1 s of SIGTERM" in stderr
        assert 0.9 < waited < 15
    else:
        assert rc == 130 and "did not stop" not in stderr  # graceful: no forced exit
