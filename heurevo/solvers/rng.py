"""Explicit, seedable random-number state for Numba kernels and slots (xoshiro256**).

Kernels never touch a hidden global RNG: the state is a ``uint64[4]`` array passed around, so a
run is a pure function of its seed. Slot source may call these functions by name
(``rng_random``, ``rng_randint``) — they are injected into every slot's namespace.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_MASK = (1 << 64) - 1


def new_rng_state(seed: int) -> np.ndarray:
    """A fresh ``uint64[4]`` state from an integer seed (splitmix64 expansion, never all zero)."""
    x = seed & _MASK
    out = np.empty(4, dtype=np.uint64)
    for i in range(4):
        x = (x + 0x9E3779B97F4A7C15) & _MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        out[i] = z ^ (z >> 31)
    return out


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit("uint64(uint64[::1])", cache=True)
def rng_next(state):
    """Advance ``state`` and return 64 random bits."""
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    result = _rotl(s1 * uint64(5), 7) * uint64(9)
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return result


@njit("float64(uint64[::1])", cache=True)
def rng_random(state):
    """A uniform float in [0, 1)."""
    return float(rng_next(state) >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit("int64(uint64[::1], int64)", cache=True)
def rng_randint(state, n):
    """A uniform integer in [0, n) (n > 0)."""
    return int(rng_next(state) % uint64(n))
