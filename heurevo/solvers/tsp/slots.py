"""The TSP solver's slots: GLS edge penalties, constructive next-city choice, literature guide.

* ``tsp.penalize_edges`` — the guided-local-search decision (EoH's ``update_edge_distance``
  recast so it costs O(n) per call and never sees an n x n matrix): given the current local
  optimum's edges as arrays (edge ``e`` joins ``tour[e]`` and ``tour[(e + 1) % n]``), write how
  much to add to each edge's penalty into ``increments``. Called once per perturbation step.
* ``tsp.select_next_node`` — the constructive decision (the AHD papers' ``select_next_node``),
  given the unvisited cities with their distances from the current city and to the destination.
* ``tsp.heuristics`` — ReEvo's ``heuristics(distance_matrix)``: an n x n guide matrix ("how bad
  is it to include each edge"), called once per instance. Like every slot it is compiled by
  Numba in nopython mode (published versions' ``1 / distance_matrix``, normalisations,
  ``np.mean``, ``np.argsort`` and loops compile as they are); its matrix feeds ``edge_guide`` of
  the penalty slot. Literature mode only (small n).

Every array a slot may not write (the tour, edge arrays, distances, the distance matrix) has a
Numba ``readonly`` array type in the slot's signature, so a slot that assigns into one fails to
compile and is rejected before it runs. Numba drops the flag through a few calls
(``np.ascontiguousarray``, ``np.asfortranarray``, ``.flat``, ``np.nditer``, ``np.fill_diagonal``,
``np.nan_to_num(copy=False)``): the quick checks' before/after comparison, the guide's private
copy of the matrix and the fresh process per candidate remain the fence for those.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heurevo.solvers.rng import new_rng_state
from heurevo.solvers.slots import ProbeCase, Slot, register_slot
from heurevo.solvers.tsp import defaults
from heurevo.solvers.tsp.defaults import slot_source

#: Read-only array types (Numba ``readonly`` arrays): a slot that writes one does not compile.
RO_INT64 = "Array(int64, 1, 'C', readonly=True)"
RO_FLOAT64 = "Array(float64, 1, 'C', readonly=True)"
RO_MATRIX = "Array(float64, 2, 'C', readonly=True)"

PENALIZE_SOURCE = slot_source(defaults.penalize_edges)

SELECT_SOURCE = '''\
def select_next_node(current_node, destination_node, unvisited_nodes, dist_from_current, dist_to_destination, rng_state):
    best = 0
    for k in range(1, unvisited_nodes.shape[0]):
        d = dist_from_current[k]
        b = dist_from_current[best]
        if d < b or (d == b and unvisited_nodes[k] < unvisited_nodes[best]):
            best = k
    return unvisited_nodes[best]
'''

HEURISTICS_SOURCE = '''\
import numpy as np


def heuristics(distance_matrix):
    return distance_matrix.copy()
'''


def _penalize_probes() -> list[ProbeCase]:
    tour = np.array([0, 3, 1, 4, 2], dtype=np.int64)
    dist = np.array([4.0, 1.0, 9.0, 2.0, 3.0])

    def check(args: tuple[Any, ...], _: Any) -> str | None:
        inc = args[5]
        if not np.all(np.isfinite(inc)) or np.any(inc < 0):
            return f"increments must be finite and >= 0, got {inc.tolist()}"
        if not np.any(inc > 0):
            return "penalised no edge: at least one increment must be positive"
        return None

    return [ProbeCase("five-edge tour", (tour, dist, dist.copy(), np.zeros(5), np.ones(5, np.int64),
                                         np.zeros(5), new_rng_state(1)), check)]


def _select_probes() -> list[ProbeCase]:
    unv = np.array([7, 2, 9], dtype=np.int64)

    def check(args: tuple[Any, ...], result: Any) -> str | None:
        if int(result) not in (7, 2, 9):
            return f"returned city {result}, which is not one of the unvisited cities [7, 2, 9]"
        return None

    return [ProbeCase("three unvisited", (0, 0, unv, np.array([3.0, 1.0, 2.0]),
                                          np.array([1.0, 1.0, 1.0]), new_rng_state(1)), check)]


def _heuristics_probes() -> list[ProbeCase]:
    pts = np.random.default_rng(0).random((6, 2))
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, 1e-5)

    def check(_: tuple[Any, ...], result: Any) -> str | None:
        r = np.asarray(result)
        if r.shape != (6, 6):
            return f"returned shape {r.shape}, expected (6, 6) like the distance matrix"
        if not np.all(np.isfinite(r)):
            return "returned non-finite values"
        return None

    return [ProbeCase("six cities", (d,), check)]


PENALIZE_EDGES = register_slot(Slot(
    problem="tsp", name="penalize_edges",
    signature=(f"void({RO_INT64}, {RO_FLOAT64}, {RO_FLOAT64}, {RO_FLOAT64}, {RO_INT64}, "
               "float64[::1], uint64[::1])"),
    arg_names=("tour", "edge_distance", "edge_guide", "edge_penalty", "edge_n_used", "increments",
               "rng_state"),
    contract="""Guided local search: choose which edges of the current local optimum to penalise.
Edge e joins tour[e] and tour[(e + 1) % n]. edge_distance[e] is its length, edge_guide[e] the
guide value (the length itself, or a literature heuristics(distance_matrix) entry),
edge_penalty[e] its penalty so far, edge_n_used[e] how many local optima have contained it.
Write a penalty increment (finite, >= 0) for each edge into increments (all 0 on entry); at
least one must be positive. The solver adds them and restarts local search from the endpoints
of the penalised edges on length + lambda * penalty. Called once per perturbation step, so keep
it O(n). Every argument except increments and rng_state is read-only (a write does not compile).
The default penalises the edge of maximum utility guide / (1 + penalty) by 1.""",
    default_source=PENALIZE_SOURCE,
    mutable_args=("increments", "rng_state"),
    probes="heurevo.solvers.tsp.slots:_penalize_probes",
    kernel_only=True,
))

SELECT_NEXT_NODE = register_slot(Slot(
    problem="tsp", name="select_next_node",
    signature=f"int64(int64, int64, {RO_INT64}, {RO_FLOAT64}, {RO_FLOAT64}, uint64[::1])",
    arg_names=("current_node", "destination_node", "unvisited_nodes", "dist_from_current",
               "dist_to_destination", "rng_state"),
    contract="""Constructive TSP: return the next city to visit, one of unvisited_nodes.
dist_from_current[k] and dist_to_destination[k] are the distances from current_node to
unvisited_nodes[k] and from unvisited_nodes[k] to destination_node (the start, where the tour
closes). The three arrays are read-only (a write does not compile). The default is nearest
neighbour (ties to the smaller city index).""",
    default_source=SELECT_SOURCE,
    mutable_args=("rng_state",),
    probes="heurevo.solvers.tsp.slots:_select_probes",
    kernel_only=True,
))

HEURISTICS = register_slot(Slot(
    problem="tsp", name="heuristics",
    signature=f"float64[:, :]({RO_MATRIX})",
    arg_names=("distance_matrix",),
    contract="""ReEvo's TSP-GLS guide: given the n x n distance matrix (diagonal 1e-5), return an
n x n float64 array of how bad it is to include each edge in a solution (larger = penalised
sooner). distance_matrix is read-only (a write does not compile: work on distance_matrix.copy()).
Runs once per instance, compiled by Numba in nopython mode: numpy functions Numba
supports (np.mean/np.max without axis=, np.argsort, np.where, ...) and loops; the result must be
finite and of the same shape. The default returns the distances (plain guided local search).""",
    default_source=HEURISTICS_SOURCE,
    probes="heurevo.solvers.tsp.slots:_heuristics_probes",
))
