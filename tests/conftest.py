"""Shared fixtures: paths to the optional shared data, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.populations.store import SQLiteStore
from heurevo.suites.shared_data import shared_data_dir


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
