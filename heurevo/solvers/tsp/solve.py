"""``heurevo solve FILE.tsp``: read, construct, guided local search, verify, report.

Default budget (neither ``--steps`` nor ``--time``): 1 second per 100 cities, at least 1 s and
at most 60 s. ``--steps`` counts GLS iterations (deterministic for a seed on any machine).
The start tour is greedy, or nearest neighbour from city 0 when ``--heuristics`` overrides
``select_next_node``; a ``heuristics(distance_matrix)`` override supplies the GLS guide
(literature mode, needs a distance matrix, so at most a few thousand cities). The reported
length is recomputed by the independent verifier; a mismatch raises ``VerificationError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from heurevo.errors import InstanceFormatError, SlotError, SolverError, VerificationError
from heurevo.instances.formats.optima import read_optima
from heurevo.instances.formats.tsplib import (
    TsplibInstance,
    read_tour,
    read_tsp,
    tour_to_indices,
    write_tour,
)
from heurevo.solvers.compile import compile_slots, load_heuristics_file
from heurevo.solvers.rng import new_rng_state
from heurevo.solvers.solve import SolveOptions, SolveOutcome
from heurevo.solvers.tsp import defaults, verify
from heurevo.solvers.tsp.construct import greedy_construct, nn_construct
from heurevo.solvers.tsp.gls import GlsResult, guided_local_search
from heurevo.solvers.tsp.instance import TspArrays, arrays_from_tsplib
from heurevo.solvers.tsp.slots import HEURISTICS, PENALIZE_EDGES, SELECT_NEXT_NODE

TSP_SLOTS = {s.name: s for s in (PENALIZE_EDGES, SELECT_NEXT_NODE, HEURISTICS)}


def default_time_s(n: int) -> float:
    """The default budget: 1 s per 100 cities, clamped to [1, 60] s."""
    return float(min(60.0, max(1.0, n / 100.0)))


def known_optimum(inst: TsplibInstance, path: Path, table: Path | None = None) -> int | None:
    """The optimum from ``table`` (default ``optima.csv`` beside ``path``) or from
    ``<name>.opt.tour`` beside ``path``, if any.

    A CSV row matches by the file's stem or by the instance's NAME (they differ, e.g. a file
    ``dsj1000ceil.tsp`` whose NAME is ``dsj1000``); the file name wins when both match rows.
    """
    table = path.parent / "optima.csv" if table is None else table
    if table.is_file():
        found = read_optima(table, "name", "optimal_length")
        for key in (path.stem, inst.name):
            if key in found:
                return found[key][0]
    tour_file = path.with_name(f"{inst.name}.opt.tour")
    if tour_file.is_file():
        try:
            return verify.tour_length(inst, tour_to_indices(inst, read_tour(tour_file)))
        except (InstanceFormatError, VerificationError):
            return None
    return None


def guide_matrix(arrays: TspArrays, heuristics_fn: object) -> np.ndarray:
    """Run a ReEvo ``heuristics(distance_matrix)`` function; check and return its guide."""
    if arrays.mat.shape[0] != arrays.n:
        raise SolverError(f"{arrays.name}: a heuristics(distance_matrix) guide needs the full "
                          f"matrix, too large for {arrays.n} cities")
    d = arrays.mat.copy()  # a copy as well: Numba loses readonly through a few numpy calls
    np.fill_diagonal(d, 1e-5)
    d.flags.writeable = False
    try:
        g = np.asarray(heuristics_fn(d), dtype=np.float64)  # type: ignore[operator]
    except MemoryError:
        raise  # out of its memory limit: classified "memory" by the sandbox
    except Exception as exc:
        raise SlotError(f"slot tsp.heuristics raised {type(exc).__name__}: {exc}") from None
    if g.shape != d.shape or not np.all(np.isfinite(g)):
        raise SlotError(f"slot tsp.heuristics must return a finite {d.shape} array, "
                        f"got shape {g.shape}")
    return np.ascontiguousarray(g)


def start_tour(arrays: TspArrays, select_fn: object | None, seed: int) -> np.ndarray:
    """Greedy tour, or the slot's nearest-neighbour-style tour from city 0 when given."""
    if select_fn is None:
        return greedy_construct(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours)
    out = np.empty(arrays.n, dtype=np.int64)
    bad = nn_construct(arrays.kind, arrays.xy, arrays.mat, 0, select_fn, new_rng_state(seed), out)
    if bad >= 0:
        raise SlotError(f"slot tsp.select_next_node returned {out[bad]} at step {bad}, "
                        "which is not an unvisited city")
    return out


@cache
def default_penalize() -> Any:
    """The default ``penalize_edges`` slot (Numba-cached: loaded, not compiled, per process)."""
    return njit(PENALIZE_EDGES.numba_signature, cache=True, nogil=True)(defaults.penalize_edges)


def run_slots(arrays: TspArrays, functions: Mapping[str, Any], seed: int, *,
              iterations: int | None = None, time_s: float | None = None) -> GlsResult:
    """Guide, start tour and GLS with the compiled slot ``functions`` (defaults where absent)."""
    guide = guide_matrix(arrays, functions["heuristics"]) if "heuristics" in functions else None
    tour0 = start_tour(arrays, functions.get("select_next_node"), seed)
    return guided_local_search(arrays, tour0, functions.get("penalize_edges") or default_penalize(),
                               iterations=iterations, time_s=time_s, seed=seed, guide=guide)


def solve_file(path: Path, options: SolveOptions) -> SolveOutcome:
    """Solve a TSPLIB file with the options' budget, seed and slot overrides; verified."""
    inst = read_tsp(path)
    arrays = arrays_from_tsplib(inst)
    sources = load_heuristics_file(str(options.heuristics), TSP_SLOTS) if options.heuristics else {}
    compiled = compile_slots({n: TSP_SLOTS[n] for n in sources}, sources)
    time_s = options.time_s
    if options.steps is None and time_s is None:
        time_s = default_time_s(inst.n)
    result = run_slots(arrays, {n: c.function for n, c in compiled.items()}, options.seed,
                       iterations=options.steps, time_s=time_s)
    length = verify.tour_length(inst, result.tour)
    if length != round(result.length):
        raise VerificationError(f"{path}: solver reported length {result.length}, the verifier "
                                f"recomputed {length}")
    optimum = known_optimum(inst, path)
    status = "OPTIMAL" if optimum is not None and length == optimum else "FEASIBLE"
    ids = [int(inst.node_ids[i]) for i in result.tour]
    gap = f", gap {100.0 * (length / optimum - 1):.3f}% to optimum {optimum}" if optimum else ""
    text = (f"{inst.name}: {inst.n} cities, tour length {length}{gap} "
            f"({status.lower()}, verified); {result.iterations} GLS iterations in "
            f"{result.seconds:.2f} s")
    outcome = SolveOutcome(problem="tsp", instance=inst.name, objective=length, verified=True,
                           status=status, steps=result.iterations, seconds=result.seconds,
                           solution=ids, text=text, trace=result.trace,
                           extra={"optimum": optimum, "n": inst.n,
                                  "empty_slot_calls": result.empty_slot_calls})
    if options.tour_out is not None:
        write_outcome_tour(options.tour_out, outcome)
    return outcome


def write_outcome_tour(path: Path, outcome: SolveOutcome) -> None:
    """Write a verified TSP outcome's tour (TSPLIB node ids) as a ``.tour`` file."""
    write_tour(path, outcome.instance, list(outcome.solution), f"length {outcome.objective} (heurevo)")
