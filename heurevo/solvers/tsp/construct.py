"""Tour construction kernels: nearest neighbour through the ``select_next_node`` slot, and greedy.

Both take the instance as ``(kind, xy, mat)`` (see :mod:`heurevo.solvers.tsp.distance`) and
return city indices in visiting order. The nearest-neighbour kernel asks the slot for every
step, handing it the unvisited cities and their distances from the current city and to the
destination (the start), so no n x n matrix is needed. Greedy adds candidate-list edges by
increasing length (no city of degree 3, no early cycle) and joins the fragments nearest
endpoint first.
"""

from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, uint64

from heurevo.solvers.tsp.distance import dist
from heurevo.solvers.tsp.slots import SELECT_NEXT_NODE

_NN_SIG = int64(int64, float64[:, ::1], float64[:, ::1], int64, SELECT_NEXT_NODE.function_type,
                uint64[::1], int64[::1])


@njit(_NN_SIG, cache=True, nogil=True)
def nn_construct(kind, xy, mat, start, select, rng, out):
    """Fill ``out`` with a tour from ``start``, the slot choosing each next city.

    Returns -1 on success; otherwise the step ``k`` at which the slot returned a city that is
    not unvisited (that value is left in ``out[k]``).
    """
    n = xy.shape[0]
    unvisited = np.empty(n - 1, dtype=np.int64)
    where = np.full(n, -1, dtype=np.int64)
    m = 0
    for v in range(n):
        if v != start:
            unvisited[m] = v
            where[v] = m
            m += 1
    dcur = np.empty(n, dtype=np.float64)
    ddst = np.empty(n, dtype=np.float64)
    out[0] = start
    cur = start
    for k in range(1, n):
        for t in range(m):
            v = unvisited[t]
            dcur[t] = dist(kind, xy, mat, cur, v)
            ddst[t] = dist(kind, xy, mat, v, start)
        nxt = select(cur, start, unvisited[:m], dcur[:m], ddst[:m], rng)
        out[k] = nxt
        if nxt < 0 or nxt >= n or where[nxt] < 0:
            return k
        t = where[nxt]
        last = unvisited[m - 1]
        unvisited[t] = last
        where[last] = t
        where[nxt] = -1
        m -= 1
        cur = nxt
    return -1


@njit(cache=True)
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def _walk(adj, start, used, out, pos):
    """Append the fragment that starts at endpoint ``start`` to ``out``; return its last city."""
    prev = -1
    cur = start
    while True:
        used[cur] = True
        out[pos] = cur
        pos += 1
        nxt = adj[cur, 0] if adj[cur, 0] != prev else adj[cur, 1]
        if nxt == -1 or used[nxt]:
            return cur, pos
        prev = cur
        cur = nxt


@njit(int64[::1](int64, float64[:, ::1], float64[:, ::1], int64[:, ::1]), cache=True, nogil=True)
def greedy_construct(kind, xy, mat, nbrs):
    """Greedy edge tour over the candidate-list edges, fragments joined nearest endpoint first."""
    n = xy.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n <= 3:
        for i in range(n):
            out[i] = i
        return out
    k = nbrs.shape[1]
    eu = np.empty(n * k, dtype=np.int64)
    ev = np.empty(n * k, dtype=np.int64)
    ew = np.empty(n * k, dtype=np.float64)
    m = 0
    for i in range(n):
        for t in range(k):
            j = nbrs[i, t]
            eu[m] = min(i, j)
            ev[m] = max(i, j)
            ew[m] = dist(kind, xy, mat, i, j)
            m += 1
    order = np.argsort(ew[:m], kind="mergesort")
    parent = np.arange(n)
    deg = np.zeros(n, dtype=np.int64)
    adj = np.full((n, 2), -1, dtype=np.int64)
    added = 0
    for e in order:
        u = eu[e]
        v = ev[e]
        if deg[u] >= 2 or deg[v] >= 2:
            continue
        ru = _find(parent, u)
        rv = _find(parent, v)
        if ru == rv:
            continue
        parent[ru] = rv
        adj[u, deg[u]] = v
        adj[v, deg[v]] = u
        deg[u] += 1
        deg[v] += 1
        added += 1
        if added == n - 1:
            break
    ends = np.empty(n, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    ne = 0
    for v in range(n):
        if deg[v] < 2:
            ends[ne] = v
            slot[v] = ne
            ne += 1
    used = np.zeros(n, dtype=np.bool_)
    pos = 0
    cur = ends[0]
    while True:
        # take the fragment that starts at ``cur`` out of the endpoint pool
        last, pos = _walk(adj, cur, used, out, pos)
        for x in (cur, last):
            s = slot[x]
            if s >= 0:
                y = ends[ne - 1]
                ends[s] = y
                slot[y] = s
                slot[x] = -1
                ne -= 1
        if ne == 0:
            break
        best = 0
        bestd = np.inf
        for s in range(ne):
            d = dist(kind, xy, mat, last, ends[s])
            if d < bestd or (d == bestd and ends[s] < ends[best]):
                bestd = d
                best = s
        cur = ends[best]
    return out
