"""heurevo: discover heuristics for combinatorial solvers by evolution."""

from importlib.metadata import PackageNotFoundError, version

from heurevo import _numba_cache

_numba_cache.configure()  # before anything imports numba

try:
    __version__ = version("heurevo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
