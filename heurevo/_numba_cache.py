"""Point Numba's on-disk cache at a folder keyed by the solver sources and the Numba version.

Numba checks a cached kernel only against its own file's timestamp, not against the modules it
inlines or calls, so after an edit (or an upgrade) a stale kernel could be loaded and crash. A
folder per source hash avoids that. A user's own ``NUMBA_CACHE_DIR`` is left alone.

:func:`configure` runs when :mod:`heurevo.solvers` is first imported (before any kernel is
compiled or loaded) and sets ``numba.config.CACHE_DIR``, not the environment: importing heurevo
changes no environment variable. Numba keeps a value set in its config module unless a
``NUMBA_*`` environment variable changes later.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def solver_source_hash() -> str:
    """A short hash of every solver module's source and the installed Numba version."""
    root = Path(__file__).resolve().parent / "solvers"
    h = hashlib.sha256()
    with contextlib.suppress(PackageNotFoundError):
        h.update(version("numba").encode())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> str:
    """The kernel cache folder: ``$HEUREVO_CACHE`` (or ~/.cache/heurevo) /numba/<source hash>."""
    base = os.environ.get("HEUREVO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "heurevo")
    return os.path.join(base, "numba", solver_source_hash())


def configure() -> None:
    """Set Numba's cache folder in ``numba.config`` (unless ``NUMBA_CACHE_DIR`` is set)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    from numba.core import config

    if not config.CACHE_DIR:
        config.CACHE_DIR = cache_dir()
