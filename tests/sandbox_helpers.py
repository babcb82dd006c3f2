"""Shared set-up of the sandbox tests (runs in the test process, not in workers)."""

from __future__ import annotations

import os
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent)


def worker_env(**extra: str) -> dict[str, str]:
    """The engine's environment with the test tasks importable in the workers."""
    return {**os.environ, "PYTHONPATH": TESTS + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra}
