"""The online packing kernel: one pass over the items, the priority slot as a function argument.

Compiled once (cached on disk) with an explicit signature whose slot argument is the slot's
Numba function type, so a candidate only compiles its own small ``priority`` (without the
signature the kernel would be specialised, i.e. recompiled, for every candidate's dispatcher). Open bins are kept in opening order in an active list from which a bin
drops once its remaining capacity is below every item still to come (it could never be offered
again), so a pass scans only bins that might fit. A broken priority (wrong length, NaN scores) ends the pass with a
negative bin count instead of a wrong packing.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from heurevo_binpacking.slots import PRIORITY

#: Bin counts the kernel returns for a broken priority function.
WRONG_LENGTH = -1
NOT_A_NUMBER = -2


#: (bins used or an error code, the bin of every item) from (items, capacity, priority).
PACK_SIGNATURE = types.Tuple((types.int64, types.int64[::1]))(
    types.float64[::1], types.float64, PRIORITY.function_type)


@njit(PACK_SIGNATURE, cache=True)
def pack(items, capacity, priority):  # pragma: no cover - compiled
    """Pack ``items`` online; returns (bins used or an error code, bin index of every item)."""
    n = items.shape[0]
    remaining = np.empty(n + 1)
    assignment = np.full(n, -1, dtype=np.int64)
    index = np.empty(n + 1, dtype=np.int64)
    fit = np.empty(n + 1)
    active = np.empty(n + 1, dtype=np.int64)
    n_active = 0
    smallest_to_come = np.empty(n)  # smallest_to_come[t] = min(items[t:])
    low = np.inf
    for t in range(n - 1, -1, -1):
        low = min(low, items[t])
        smallest_to_come[t] = low
    opened = 0
    for t in range(n):
        item = items[t]
        floor = smallest_to_come[t]
        m = 0
        kept = 0
        for a in range(n_active):
            b = active[a]
            room = remaining[b]
            if room < floor:
                continue  # no item to come fits: drop the bin from the active list
            active[kept] = b
            kept += 1
            if room >= item:
                index[m] = b
                fit[m] = room
                m += 1
        n_active = kept
        index[m] = opened
        fit[m] = capacity
        m += 1
        scores = priority(item, fit[:m])  # scratch refilled for every item: a slot that writes it harms only itself
        if scores.shape[0] != m:
            return WRONG_LENGTH, assignment
        best = 0
        top = scores[0]
        if top != top:
            return NOT_A_NUMBER, assignment
        for j in range(1, m):
            s = scores[j]
            if s != s:
                return NOT_A_NUMBER, assignment
            if s > top:
                top = s
                best = j
        b = index[best]
        if b == opened:
            remaining[b] = capacity
            active[n_active] = b
            n_active += 1
            opened += 1
        remaining[b] -= item
        assignment[t] = b
    return opened, assignment
