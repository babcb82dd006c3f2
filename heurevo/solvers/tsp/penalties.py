"""Symmetric edge tables for guided local search: penalty and usage count per edge.

Dense mode (``pc`` empty): ``pv`` and ``pu`` are n x n matrices, for instances small enough to
have a distance matrix. Sparse mode: row ``i`` holds up to ``cap`` entries (other endpoint, penalty, times used), so memory is
O(n cap) whatever n is. Every edge is stored in both endpoint rows. When a row is full, the
entry with the smallest penalty (then smallest count) is evicted from both rows: an
approximation that only ever forgets the least important edges.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DEFAULT_CAPACITY = 16
DENSE_LIMIT = 2500


def new_tables(n: int, cap: int = DEFAULT_CAPACITY, dense: bool | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Empty tables ``(other, penalty, used, count)`` for ``n`` cities.

    ``dense`` defaults to ``n <= DENSE_LIMIT``; sparse rows hold ``cap`` edges each.
    """
    if dense is None:
        dense = n <= DENSE_LIMIT
    if dense:
        return (np.zeros((0, 0), dtype=np.int64), np.zeros((n, n), dtype=np.float64),
                np.zeros((n, n), dtype=np.int64), np.zeros(0, dtype=np.int64))
    return (np.full((n, cap), -1, dtype=np.int64), np.zeros((n, cap), dtype=np.float64),
            np.zeros((n, cap), dtype=np.int64), np.zeros(n, dtype=np.int64))


@njit(inline="always", cache=True)
def find(pn, pc, i, j):
    """Index of edge (i, j) in row ``i``, or -1."""
    for t in range(pc[i]):
        if pn[i, t] == j:
            return t
    return -1


@njit(inline="always", cache=True)
def penalty(pn, pv, pc, i, j):
    """Penalty of edge (i, j) (0 when absent)."""
    if pc.shape[0] == 0:
        return pv[i, j]
    for t in range(pc[i]):
        if pn[i, t] == j:
            return pv[i, t]
    return 0.0


@njit(inline="always", cache=True)
def used(pn, pu, pc, i, j):
    """How many local optima contained edge (i, j) (0 when absent)."""
    if pc.shape[0] == 0:
        return pu[i, j]
    for t in range(pc[i]):
        if pn[i, t] == j:
            return pu[i, t]
    return 0


@njit(cache=True)
def _remove(pn, pv, pu, pc, i, t):
    last = pc[i] - 1
    pn[i, t] = pn[i, last]
    pv[i, t] = pv[i, last]
    pu[i, t] = pu[i, last]
    pn[i, last] = -1
    pv[i, last] = 0.0
    pu[i, last] = 0
    pc[i] = last


@njit(cache=True)
def _slot_for(pn, pv, pu, pc, i):
    """A free entry index in row ``i``, evicting the weakest edge when the row is full."""
    cap = pn.shape[1]
    if pc[i] < cap:
        pc[i] += 1
        return pc[i] - 1
    weakest = 0
    for t in range(1, cap):
        if pv[i, t] < pv[i, weakest] or (pv[i, t] == pv[i, weakest] and pu[i, t] < pu[i, weakest]):
            weakest = t
    other = pn[i, weakest]
    s = find(pn, pc, other, i)
    if s >= 0:
        _remove(pn, pv, pu, pc, other, s)
    _remove(pn, pv, pu, pc, i, weakest)
    pc[i] += 1
    return pc[i] - 1


@njit(cache=True)
def add(pn, pv, pu, pc, i, j, dpen, dused):
    """Add ``dpen`` to the penalty and ``dused`` to the usage count of edge (i, j)."""
    if pc.shape[0] == 0:
        pv[i, j] += dpen
        pv[j, i] = pv[i, j]
        pu[i, j] += dused
        pu[j, i] = pu[i, j]
        return
    if pn.shape[1] == 0:
        return
    ti = find(pn, pc, i, j)
    if ti < 0:
        ti = _slot_for(pn, pv, pu, pc, i)
        pn[i, ti] = j
    tj = find(pn, pc, j, i)
    if tj < 0:
        tj = _slot_for(pn, pv, pu, pc, j)
        pn[j, tj] = i
        ti = find(pn, pc, i, j)  # row i may have been compacted by an eviction in row j
        if ti < 0:
            ti = _slot_for(pn, pv, pu, pc, i)
            pn[i, ti] = j
    pv[i, ti] += dpen
    pu[i, ti] += dused
    pv[j, tj] = pv[i, ti]
    pu[j, tj] = pu[i, ti]
