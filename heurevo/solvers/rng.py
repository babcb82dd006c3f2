"""Explicit, seedable random-number state for Numba kernels and slots: glibc's ``random()``.

The generator is glibc's default ``srand()/rand()`` (= ``srandom()/random()``, the TYPE_3
additive lagged-Fibonacci generator ``r[i] = r[i-31] + r[i-3] mod 2**32``, output ``r[i] >> 1``),
reproduced bit for bit. That is deliberate: the default PBO local search replays NuPBO, a C++
solver that calls ``srand(seed)`` once and then ``rand()``, so with the same seed our search makes
the same random choices, flip for flip. Its period (about ``16 * (2**31 - 1)``) and statistical
quality are far more than a local search needs.

Kernels never touch a hidden global RNG: the state is a ``uint64[32]`` array passed around, so a
run is a pure function of its seed. Words ``0..30`` hold glibc's 31-word table (each an unsigned
32-bit value), word ``31`` the index of glibc's rear pointer ``rptr``; the front pointer ``fptr``
is always 3 words ahead of it (mod 31). Slot source may call ``rng_random``, ``rng_randint``,
``rng_chance`` and ``rng_next`` by name — they are injected into every slot's namespace.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_DEG = 31  # words in glibc's TYPE_3 table
_SEP = 3  # distance from the rear pointer to the front pointer
_POS = _DEG  # state word holding the rear pointer's index
_DISCARD = 10 * _DEG  # outputs srandom() throws away after filling the table
_INV_2_31 = 1.0 / 2147483648.0


def _park_miller_step(word: int) -> int:
    """One step of glibc's Schrage evaluation of ``16807 * word mod (2**31 - 1)`` on an int32.

    C division truncates toward zero and ``%`` takes the dividend's sign, which matters for the
    first step when the seed's int32 view is negative.
    """
    hi = abs(word) // 127773
    if word < 0:
        hi = -hi
    lo = word - hi * 127773
    word = 16807 * lo - 2836 * hi
    return word + 2147483647 if word < 0 else word


def new_rng_state(seed: int) -> np.ndarray:
    """The ``uint64[32]`` state glibc's ``rand()`` has after ``srand(seed)`` (seed mod 2**32, 0 -> 1)."""
    seed &= 0xFFFFFFFF
    if seed == 0:
        seed = 1
    state = np.zeros(_DEG + 1, dtype=np.uint64)
    word = seed - (1 << 32) if seed >= 1 << 31 else seed  # glibc keeps the table as int32_t
    state[0] = seed
    for i in range(1, _DEG):
        word = _park_miller_step(word)
        state[i] = word & 0xFFFFFFFF
    for _ in range(_DISCARD):
        rng_next(state)
    return state


@njit("uint64(uint64[::1])", cache=True)
def rng_next(state):
    """Advance ``state`` and return the next glibc ``rand()`` value (0 .. 2**31 - 1)."""
    rear = np.int64(state[_POS])
    front = rear + _SEP
    if front >= _DEG:
        front -= _DEG
    value = (state[front] + state[rear]) & uint64(0xFFFFFFFF)
    state[front] = value
    rear += 1
    if rear == _DEG:
        rear = 0
    state[_POS] = rear
    return value >> uint64(1)


@njit("float64(uint64[::1])", cache=True)
def rng_random(state):
    """A float in [0, 1): ``rand() * 2**-31``."""
    return float(rng_next(state)) * _INV_2_31


@njit("int64(uint64[::1], int64)", cache=True)
def rng_randint(state, n):
    """``rand() % n`` for ``n > 0`` (modulo bias included, exactly as the C solvers do)."""
    return np.int64(rng_next(state)) % n


@njit("boolean(uint64[::1], float64)", cache=True)
def rng_chance(state, p):
    """NuPBO's probability test ``(rand() % 10000000) * 1e-7f < p``, evaluated in float32."""
    r = rng_next(state) % uint64(10000000)
    return np.float32(r) * np.float32(1e-7) < np.float32(p)
