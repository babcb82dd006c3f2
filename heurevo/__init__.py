"""heurevo: discover heuristics for combinatorial solvers by evolution.

The public API (see the README): :func:`solve`, :func:`evolve`, :func:`load_run`,
:func:`problems`, :func:`slots`, :class:`HeuristicSet`, :class:`Run`. Importing heurevo
changes no environment variable and imports neither Numba nor the engine.
"""

from importlib.metadata import PackageNotFoundError, version

from heurevo.api import (
    Best,
    HeuristicSet,
    Run,
    evolve,
    load_run,
    problems,
    run_config,
    slots,
    solve,
)

try:
    __version__ = version("heurevo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Best", "HeuristicSet", "Run", "__version__", "evolve", "load_run", "problems",
           "run_config", "slots", "solve"]
