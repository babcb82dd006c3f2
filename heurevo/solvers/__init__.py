"""Solver kernels (Numba) with swappable decision slots, per problem.

Importing this package points Numba's kernel cache at heurevo's folder (see
:mod:`heurevo._numba_cache`) before any kernel is compiled or loaded.
"""

from heurevo import _numba_cache

_numba_cache.configure()
