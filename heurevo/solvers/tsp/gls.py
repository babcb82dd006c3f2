"""Guided local search (KGLS style) with the edge-penalty decision as the ``penalize_edges`` slot.

One iteration: up to ``perturbation_moves`` improving moves are forced out of the current
local optimum by penalising edges (the slot decides which and by how much, given the tour's
edges as arrays) and re-optimising from their endpoints on ``d + lam * penalty``; then local
search on the true distances from every city touched, and the best tour is kept. ``lam`` is
``alpha * cost(first local optimum) / n``. The kernel runs a given number of iterations on
explicit state, so the Python driver can split a time budget into chunks and a step budget
gives the same tour on any machine.
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
from heurevo.solvers.tsp.local_search import local_search, positions
from heurevo.solvers.tsp.slots import PENALIZE_EDGES

DEFAULT_PERTURBATION_MOVES = 30
DEFAULT_ALPHA = 0.1

_GLS_SIG = int64(
    int64, float64[:, ::1], float64[:, ::1], int64[:, ::1], float64[:, ::1],  # instance, guide
    int64[::1], int64[::1], int64[::1], float64[::1],  # tour, pos, best tour, [lam, best, cur]
    int64[:, ::1], float64[:, ::1], int64[:, ::1], int64[::1],  # penalty tables
    PENALIZE_EDGES.function_type, uint64[::1], int64, int64, boolean[::1], boolean,
)


@njit(_GLS_SIG, cache=True)
def gls_iterations(kind, xy, mat, nbrs, guide, tour, pos, best, state, pn, pv, pu, pc,
                   penalize, rng, iterations, perturbation_moves, touched, cascade):
    """Run ``iterations`` GLS iterations on the given state; returns slot calls that chose nothing.

    ``state`` is ``[lam, best_cost, current_cost]`` and is updated in place, as are the tour,
    its positions, the best tour and the penalty tables.
    """
    n = tour.shape[0]
    lam = state[0]
    edist = np.empty(n, dtype=np.float64)
    eguide = np.empty(n, dtype=np.float64)
    epen = np.empty(n, dtype=np.float64)
    eused = np.empty(n, dtype=np.int64)
    inc = np.empty(n, dtype=np.float64)
    ends = np.empty(2 * n, dtype=np.int64)
    has_guide = guide.shape[0] != 0
    empty_calls = 0
    for _ in range(iterations):
        touched[:] = False
        moves = 0
        calls = 0
        stale = True
        while moves < perturbation_moves and calls < 4 * perturbation_moves + 8:
            calls += 1
            if stale:  # the tour changed: rebuild its edge arrays
                for e in range(n):
                    u = tour[e]
                    v = tour[e + 1] if e + 1 < n else tour[0]
                    edist[e] = dist(kind, xy, mat, u, v)
                    eguide[e] = guide[u, v] if has_guide else edist[e]
                    epen[e] = P.penalty(pn, pv, pc, u, v)
                    eused[e] = P.used(pn, pu, pc, u, v)
            inc[:] = 0.0
            penalize(tour, edist, eguide, epen, eused, inc, rng)
            m = 0
            for e in range(n):
                if inc[e] > 0.0 and np.isfinite(inc[e]):
                    u = tour[e]
                    v = tour[e + 1] if e + 1 < n else tour[0]
                    P.add(pn, pv, pu, pc, u, v, inc[e], 0)
                    epen[e] = P.penalty(pn, pv, pc, u, v)
                    ends[m] = u
                    ends[m + 1] = v
                    m += 2
            if m == 0:
                empty_calls += 1
                break
            made = local_search(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, ends[:m], touched,
                                cascade)
            moves += made
            stale = made > 0
        m = 0
        for v in range(n):
            if touched[v]:
                ends[m] = v
                m += 1
        local_search(kind, xy, mat, nbrs, tour, pos, 0.0, pn, pv, pc, ends[:m], touched, True)
        for e in range(n):
            u = tour[e]
            v = tour[e + 1] if e + 1 < n else tour[0]
            P.add(pn, pv, pu, pc, u, v, 0.0, 1)
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
                                pos, best, state, pn, pv, pu, pc, penalize, rng, k,
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
    return GlsResult(tour=best, length=float(state[1]), iterations=done,
                     seconds=time.perf_counter() - t0, empty_slot_calls=empty, trace=trace)
