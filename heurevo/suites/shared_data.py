"""Locate the optional shared benchmark data (real TSPLIB and PBO instances).

The data is not part of heurevo: benchmarks and optional tests look for it and skip cleanly when
it is absent. Search order: ``$HEUREVO_SHARED_DATA`` (the folder holding ``tsplib/`` and
``pbo/``), then ``shared/data`` beside any parent of the working directory or of the package.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "HEUREVO_SHARED_DATA"


def shared_data_root() -> Path | None:
    """The shared data folder, or None when it cannot be found."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        return p if p.is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for base in (start, *start.parents):
            cand = base / "shared" / "data"
            if cand.is_dir():
                return cand
    return None


def shared_data_dir(name: str) -> Path | None:
    """``<root>/<name>`` (e.g. ``"tsplib"`` or ``"pbo"``) if it exists, else None."""
    root = shared_data_root()
    if root is None:
        return None
    p = root / name
    return p if p.is_dir() else None
