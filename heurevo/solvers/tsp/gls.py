"""Guided local search (fast GLS, Voudouris & Tsang); edge penalties come from a slot.

One step: the slot sees the current tour's edges as arrays and chooses penalty increments;
the penalised edges' endpoints are queued (their don't-look bits reset) and 2-opt / Or-opt
local search continues from the current tour on ``d + lam * penalty`` until no queued city
improves. Every such augmented local optimum is measured on the true distances (its edge
arrays are rebuilt anyway) and the best is kept; the best tour gets a final true-distance
polish. One iteration is ``perturbation_moves`` steps, after which every tour edge's usage
count goes up by one. ``lam`` is ``alpha * cost(first local optimum) / n``. With dense
tables (a distance matrix) ``mat + lam * penalty`` is kept as a matrix, so the search reads
one array. The kernel runs a given number of iterations on explicit state, so the Python
driver can split a time budget into chunks and a step budget gives the same tour on any
machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import boolean, float64, int64, njit, uint64

from heurevo.solvers.rng import new_rng_state
from heurevo.solvers.tsp import penalties as P
from heurevo.solvers.tsp.distance import dist, tour_cost
from heurevo.solvers.tsp.instance import TspArrays
from heurevo.solvers.tsp.local_search import (
    enqueue,
    local_search,
    positions,
    run_queue,
    run_queue_fast,
)
from heurevo.solvers.tsp.slots import PENALIZE_EDGES

DEFAULT_PERTURBATION_MOVES = 30
DEFAULT_ALPHA = 0.1

_GLS_SIG = int64(
    int64, float64[:, ::1], float64[:, ::1], int64[:, ::1], float64[:, ::1],  # instance, guide
    int64[::1], int64[::1], int64[::1], float64[::1],  # tour, pos, best tour, [lam, best, cur]
    int64[:, ::1], float64[:, ::1], int64[:, ::1], int64[::1], float64[:, ::1],  # penalties
    PENALIZE_EDGES.function_type, uint64[::1], int64, int64, boolean[::1], boolean,
)


@njit(cache=True)
def _edge_arrays(kind, xy, mat, guide, tour, pn, pv, pu, pc, edist, eguide, epen, eused):
    """Fill the slot's edge arrays for the current tour; returns the tour's true length.

    For instances without a matrix or with sparse tables (dense ones use the cached version).
    """
    n = tour.shape[0]
    has_guide = guide.shape[0] != 0
    total = 0.0
    for e in range(n):
        u = tour[e]
        v = tour[e + 1] if e + 1 < n else tour[0]
        d = dist(kind, xy, mat, u, v)
        edist[e] = d
        total += d
        eguide[e] = guide[u, v] if has_guide else d
        epen[e] = P.penalty(pn, pv, pc, u, v)
        eused[e] = P.used(pn, pu, pc, u, v)
    return total


@njit(cache=True)
def _edge_arrays_cached(mat, guide, tour, pos, pv, pu, co, cv, cu, edist, eguide, epen, eused):
    """:func:`_edge_arrays` for dense tables through a per-city cache of edge values.

    Edge (u, v) is cached under ``min(u, v)`` in one of two slots: ``co`` the other endpoint
    (-1 when empty), ``cv`` its [distance, guide, penalty], ``cu`` its usage count. A city
    has at most two tour edges, so on a miss a slot holding a non-tour edge is free. The
    caller keeps cached penalties and counts in step with the tables (tour edges only
    change), so the scattered n x n lookups happen only for edges new to the cache.
    """
    n = tour.shape[0]
    has_guide = guide.shape[0] != 0
    total = 0.0
    for e in range(n):
        u = tour[e]
        v = tour[e + 1] if e + 1 < n else tour[0]
        c = min(u, v)
        o = max(u, v)
        if co[c, 0] == o:
            s = 0
        elif co[c, 1] == o:
            s = 1
        else:
            s = 0
            o0 = co[c, 0]
            if o0 >= 0:
                gap = abs(pos[o0] - pos[c])
                if gap == 1 or gap == n - 1:  # slot 0 holds the city's other tour edge
                    s = 1
            co[c, s] = o
            d = mat[u, v]
            cv[c, s, 0] = d
            cv[c, s, 1] = guide[u, v] if has_guide else d
            cv[c, s, 2] = pv[u, v]
            cu[c, s] = pu[u, v]
        d = cv[c, s, 0]
        edist[e] = d
        total += d
        eguide[e] = cv[c, s, 1]
        epen[e] = cv[c, s, 2]
        eused[e] = cu[c, s]
    return total


@njit(cache=True)
def _cache_slot(co, u, v):
    """The cache slot of edge (u, v) under ``min(u, v)``, or -1."""
    c = min(u, v)
    o = max(u, v)
    if co[c, 0] == o:
        return 0
    if co[c, 1] == o:
        return 1
    return -1


@njit(cache=True)
def _count_used(tour, pn, pv, pu, pc, co, cu):
    """Add 1 to the usage count of every edge of ``tour`` (and to its cached count)."""
    n = tour.shape[0]
    dense = pc.shape[0] == 0
    cached = co.shape[0] != 0
    for e in range(n):
        u = tour[e]
        v = tour[e + 1] if e + 1 < n else tour[0]
        if dense:
            pu[u, v] += 1
            pu[v, u] += 1
            if cached:
                s = _cache_slot(co, u, v)
                if s >= 0:
                    cu[min(u, v), s] += 1
        else:
            P.add(pn, pv, pu, pc, u, v, 0.0, 1)


@njit(cache=True)
def _improve(kind, xy, mat, nbrs, tour, pos, lam, aug, pn, pv, pc, queue, inq, ht, touched):
    """Local search from the queued cities on ``aug`` (dense tables) or ``d + lam * penalty``."""
    if aug.shape[0] != 0:
        return run_queue_fast(kind, xy, mat, aug, nbrs, tour, pos, queue, inq, ht, touched)
    return run_queue(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, queue, inq, ht, touched)


@njit(_GLS_SIG, cache=True, nogil=True)
def gls_iterations(kind, xy, mat, nbrs, guide, tour, pos, best, state, pn, pv, pu, pc, aug,
                   penalize, rng, iterations, perturbation_moves, touched, cascade):
    """Run ``iterations`` GLS iterations on the given state; returns slot calls that chose nothing.

    ``state`` is ``[lam, best_cost, current_cost]`` and is updated in place, as are the tour,
    its positions, the best tour and the penalty tables. ``aug`` is ``mat + lam * penalty``
    (dense tables) or 0 x 0.
    """
    n = tour.shape[0]
    lam = state[0]
    dense = aug.shape[0] != 0
    edist = np.empty(n, dtype=np.float64)
    eguide = np.empty(n, dtype=np.float64)
    epen = np.empty(n, dtype=np.float64)
    eused = np.empty(n, dtype=np.int64)
    inc = np.empty(n, dtype=np.float64)
    queue = np.empty(n + 1, dtype=np.int64)
    inq = np.zeros(n, dtype=np.bool_)
    ht = np.zeros(3, dtype=np.int64)
    ht[2] = 1 if cascade else 0
    m_cache = n if dense else 0  # per-call edge cache (see _edge_arrays_cached)
    co = np.full((m_cache, 2), -1, dtype=np.int64)
    cv = np.empty((m_cache, 2, 3), dtype=np.float64)
    cu = np.empty((m_cache, 2), dtype=np.int64)
    empty_calls = 0
    stale = True
    for _ in range(iterations):
        touched[:] = False
        for _step in range(perturbation_moves):
            if stale:  # the tour changed: rebuild its edge arrays, measure it, keep the best
                if dense:
                    c = _edge_arrays_cached(mat, guide, tour, pos, pv, pu, co, cv, cu, edist,
                                            eguide, epen, eused)
                else:
                    c = _edge_arrays(kind, xy, mat, guide, tour, pn, pv, pu, pc, edist, eguide,
                                     epen, eused)
                state[2] = c
                if c < state[1]:
                    state[1] = c
                    best[:] = tour
                stale = False
            inc[:] = 0.0
            penalize(tour, edist, eguide, epen, eused, inc, rng)
            m = 0
            for e in range(n):
                if inc[e] > 0.0 and np.isfinite(inc[e]):
                    u = tour[e]
                    v = tour[e + 1] if e + 1 < n else tour[0]
                    P.add(pn, pv, pu, pc, u, v, inc[e], 0)
                    if dense:
                        aug[u, v] = mat[u, v] + lam * pv[u, v]
                        aug[v, u] = aug[u, v]
                        epen[e] = pv[u, v]
                        s = _cache_slot(co, u, v)  # cached: the arrays are up to date
                        if s >= 0:
                            cv[min(u, v), s, 2] = pv[u, v]
                    else:
                        epen[e] = P.penalty(pn, pv, pc, u, v)
                    enqueue(queue, inq, ht, u)
                    enqueue(queue, inq, ht, v)
                    m += 1
            if m == 0:
                empty_calls += 1
                break
            if _improve(kind, xy, mat, nbrs, tour, pos, lam, aug, pn, pv, pc, queue, inq, ht,
                        touched) > 0:
                stale = True
        _count_used(tour, pn, pv, pu, pc, co, cu)
        stale = True
    if stale:
        c = tour_cost(kind, xy, mat, tour)
        state[2] = c
        if c < state[1]:
            state[1] = c
            best[:] = tour
    return empty_calls


@dataclass
class GlsResult:
    """Best tour found, its length, the iterations run, time, and (iteration, s, best) trace."""

    tour: np.ndarray
    length: float
    iterations: int
    seconds: float
    empty_slot_calls: int = 0
    trace: list[tuple[int, float, float]] = field(default_factory=list)


def guided_local_search(arrays: TspArrays, start_tour: np.ndarray, penalize: Any, *,
                        iterations: int | None = None, time_s: float | None = None,
                        seed: int = 1, guide: np.ndarray | None = None,
                        perturbation_moves: int = DEFAULT_PERTURBATION_MOVES,
                        alpha: float = DEFAULT_ALPHA, capacity: int = P.DEFAULT_CAPACITY,
                        cascade: bool = True) -> GlsResult:
    """GLS from ``start_tour`` until ``iterations`` and/or ``time_s`` run out (one must be given).

    ``penalize`` is a compiled ``tsp.penalize_edges`` slot function; ``guide`` an optional
    n x n guide matrix (literature mode). The first local optimum is reached before the clock
    for ``time_s`` is checked, so a tiny time budget still returns a local optimum.
    """
    if iterations is None and time_s is None:
        raise ValueError("give iterations and/or time_s")
    t0 = time.perf_counter()
    n = arrays.n
    tour = np.ascontiguousarray(start_tour, dtype=np.int64).copy()
    pos = positions(tour)
    pn, pv, pu, pc = P.new_tables(n, capacity)
    touched = np.zeros(n, dtype=np.bool_)
    local_search(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours, tour, pos, 0.0, pn, pv,
                 pc, np.arange(n, dtype=np.int64), touched, True)
    cost = float(tour_cost(arrays.kind, arrays.xy, arrays.mat, tour))
    state = np.array([alpha * cost / max(n, 1), cost, cost])
    best = tour.copy()
    dense = arrays.mat.shape[0] == n and pc.shape[0] == 0
    aug = arrays.mat.copy() if dense else np.zeros((0, 0))
    g = np.zeros((0, 0)) if guide is None else np.ascontiguousarray(guide, dtype=np.float64)
    rng = new_rng_state(seed)
    done = 0
    empty = 0
    trace = [(0, time.perf_counter() - t0, cost)]
    chunk = 1
    while n >= 5 and (iterations is None or done < iterations):
        elapsed = time.perf_counter() - t0
        if time_s is not None and elapsed >= time_s:
            break
        k = chunk if iterations is None else min(chunk, iterations - done)
        c0 = time.perf_counter()
        empty += gls_iterations(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours, g, tour,
                                pos, best, state, pn, pv, pu, pc, aug, penalize, rng, k,
                                perturbation_moves, touched, cascade)
        done += k
        per_iter = (time.perf_counter() - c0) / k
        if state[1] < trace[-1][2]:
            trace.append((done, time.perf_counter() - t0, float(state[1])))
        if time_s is not None:
            left = time_s - (time.perf_counter() - t0)
            chunk = int(max(1, min(4 * chunk, 0.5 * left / max(per_iter, 1e-9), 10_000)))
        else:
            chunk = min(4 * chunk, 10_000)
    if done > 0:  # the best tour is an augmented local optimum: polish it on true distances
        bpos = positions(best)
        if local_search(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours, best, bpos, 0.0,
                        pn, pv, pc, np.arange(n, dtype=np.int64), touched, True) > 0:
            state[1] = tour_cost(arrays.kind, arrays.xy, arrays.mat, best)
            trace.append((done, time.perf_counter() - t0, float(state[1])))
    return GlsResult(tour=best, length=float(state[1]), iterations=done,
                     seconds=time.perf_counter() - t0, empty_slot_calls=empty, trace=trace)
