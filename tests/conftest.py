"""Shared fixtures: paths to the optional shared data, a real run store; one kernel cache.

Many tests start ``heurevo`` subprocesses (and sandboxed workers) with ``HEUREVO_CACHE`` pointed
at a fresh folder, so that generated suites and runs stay apart. The compiled kernels need not:
``NUMBA_CACHE_DIR`` is set here, for this process and every child, to the one folder heurevo
would pick for the current solver sources, so a kernel is compiled once per session instead of
once per fresh cache folder (a cold compile costs a subprocess ~17 s of CPU). Tests of the cache
folder choice itself remove the variable from their children's environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heurevo._numba_cache import cache_dir
from heurevo.populations.store import SQLiteStore
from heurevo.suites.shared_data import shared_data_dir

os.environ.setdefault("NUMBA_CACHE_DIR", cache_dir())


@pytest.fixture(scope="session")
def shared_pbo() -> Path:
    """The shared PBO folder; skips the test when it is absent."""
    p = shared_data_dir("pbo")
    if p is None:
        pytest.skip("shared PBO data not found (set HEUREVO_SHARED_DATA)")
    return p


@pytest.fixture(scope="session")
def shared_tsplib() -> Path:
    """The shared TSPLIB folder; skips the test when it is absent."""
    p = shared_data_dir("tsplib")
    if p is None:
        pytest.skip("shared TSPLIB data not found (set HEUREVO_SHARED_DATA)")
    return p


@pytest.fixture
def store(tmp_path):
    """A real SQLite run store in a temporary folder (run 'r', seed 0)."""
    s = SQLiteStore(tmp_path / "run.sqlite")
    s.init_run("r", 0, "")
    yield s
    s.close()
