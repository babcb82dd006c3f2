"""Drive the PBO kernel: allocate its state, compile slots, run chunks under a step/time budget."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from heurevo.errors import SlotError
from heurevo.solvers.compile import compile_slots
from heurevo.solvers.pbo import kernel as K
from heurevo.solvers.pbo.instance import PBOInstance
from heurevo.solvers.pbo.records import SearchState, allocate_state
from heurevo.solvers.pbo.slots import PBO_SLOTS, pbo_slots
from heurevo.solvers.rng import new_rng_state

#: NuPBO restarts after this many flips without improving the best feasible objective.
RESTART_AFTER = 10_000_000
#: Improvements kept in the trace (later ones overwrite the last entry).
TRACE_CAPACITY = 4096
#: Target wall time of one kernel call when a time budget is set.
CHUNK_S = 0.05
#: Slots the kernel computes inline (update_weights: whose effect it knows) when they are the
#: compiled defaults: (position, ctr bit).
_INLINE_AT = tuple(([s.name for s in PBO_SLOTS].index(name), bit) for name, bit in (
    ("calculate_score", K.INLINE_SCORE), ("penalty_hard", K.INLINE_HARD),
    ("penalty_obj", K.INLINE_OBJ), ("update_weights", K.INLINE_WEIGHTS)))


def new_state(inst: PBOInstance, seed: int, restart_after: int = RESTART_AFTER) -> SearchState:
    """Fresh state for ``inst``; the kernel initialises it on its first call."""
    rng = new_rng_state(seed)
    state = allocate_state({"n": inst.n_vars, "m": inst.n_constraints, "J": int(inst.obj_var.size),
                            "T": TRACE_CAPACITY, "C": K.N_CTR, "R": rng.size,
                            "S": K.scratch_size(inst.n_vars, inst.n_constraints)})
    state.ctr[:] = K.new_ctr(restart_after)
    state.rng[:] = rng
    return state


@dataclass(frozen=True)
class SearchResult:
    """What a search found: best assignment (all kernel variables) and its minimised cost."""

    best_values: np.ndarray | None   # int8[n_vars], None when nothing feasible was found
    best_cost: int | None            # paid cost of the best assignment (minimised - obj_offset)
    optimum: bool                    # the paid cost reached its lower bound 0
    steps: int
    seconds: float
    restarts: int
    trace: list[tuple[int, float, int]]  # (step, seconds, paid cost) per improvement

    @property
    def flips_per_s(self) -> float:
        """Average flip rate over the whole search."""
        return self.steps / self.seconds if self.seconds > 0 else 0.0


@cache
def _default_compiled() -> dict[str, Any]:
    return {name: c.function for name, c in compile_slots(pbo_slots(), kernel=True).items()}


def default_functions() -> tuple[Any, ...]:
    """The default slot implementations, compiled once per process, in kernel order."""
    return functions_for({})


def functions_for(sources: Mapping[str, str]) -> tuple[Any, ...]:
    """Compiled slot functions in kernel order: ``sources[name]`` where given, else defaults.

    Only the overridden slots are compiled; the defaults are compiled once per process."""
    slots = pbo_slots()
    compiled = compile_slots({n: slots[n] for n in sources if n in slots}, dict(sources), kernel=True) \
        if set(sources) <= set(slots) else compile_slots(slots, dict(sources), kernel=True)
    defaults = _default_compiled()
    return tuple(compiled[s.name].function if s.name in compiled else defaults[s.name]
                 for s in PBO_SLOTS)


def run_chunk(inst: PBOInstance, state: SearchState, step_limit: int,
              functions: tuple[Any, ...]) -> int:
    """One kernel call up to ``step_limit`` total flips; raises SlotError on a bad pick."""
    defaults = _default_compiled()
    state.ctr[K.INLINE] = sum(bit for at, bit in _INLINE_AT
                              if functions[at] is defaults[PBO_SLOTS[at].name])
    state.ctr[K.STEP_LIMIT] = step_limit
    code = K.run_search(inst.arrays, state, *functions)
    if code == K.BAD_BEST_PICK:
        raise SlotError("slot pbo.pick_best_variable returned a variable index out of range")
    if code == K.BAD_ESCAPE_PICK:
        raise SlotError("slot pbo.pick_escape_variable returned a variable index out of range")
    return int(code)


def search(inst: PBOInstance, *, steps: int | None = None, time_s: float | None = None,
           seed: int = 1, functions: tuple[Any, ...] | None = None,
           restart_after: int = RESTART_AFTER, stop_cost: int | None = None) -> SearchResult:
    """Run the local search until ``steps`` flips or ``time_s`` seconds (whichever ends first),
    or, with ``stop_cost`` (a known bound), once the best paid cost is at most that: checked
    between kernel calls of 1,000 flips at first, so the overshoot is small."""
    if steps is None and time_s is None:
        raise ValueError("give a step budget, a time budget or both")
    fns = default_functions() if functions is None else functions
    state = new_state(inst, seed, restart_after)
    max_steps = steps if steps is not None else np.iinfo(np.int64).max // 2
    chunk = 1_000 if stop_cost is not None else 20_000 if time_s is not None else max_steps
    marks: list[tuple[int, float]] = [(0, 0.0)]
    start = time.perf_counter()
    optimum = False
    while True:
        before = int(state.ctr[K.STEP])
        t0 = time.perf_counter()
        code = run_chunk(inst, state, min(max_steps, before + chunk), fns)
        now = time.perf_counter()
        marks.append((int(state.ctr[K.STEP]), now - start))
        if code == K.OPTIMUM:
            optimum = True
            break
        done = int(state.ctr[K.STEP])
        if done >= max_steps or (time_s is not None and now - start >= time_s):
            break
        if stop_cost is not None and 0 <= int(state.ctr[K.BEST_COST]) <= stop_cost:
            break
        if stop_cost is not None and time_s is None:
            chunk = min(2 * chunk, 1_000_000)
        elif time_s is not None:
            rate = (done - before) / max(now - t0, 1e-6)
            left = time_s - (now - start)
            chunk = max(1_000, int(rate * min(CHUNK_S, left)))
    elapsed = time.perf_counter() - start
    return _result(state, optimum, elapsed, marks)


def _result(state: SearchState, optimum: bool, elapsed: float,
            marks: list[tuple[int, float]]) -> SearchResult:
    ctr = state.ctr
    n_trace = int(ctr[K.TRACE_N])
    mark_steps = np.array([m[0] for m in marks], dtype=np.float64)
    mark_secs = np.array([m[1] for m in marks], dtype=np.float64)
    trace = []
    for i in range(n_trace):
        step = int(state.trace_step[i])
        secs = float(np.interp(step, mark_steps, mark_secs)) if mark_steps[-1] > 0 else 0.0
        trace.append((step, secs, int(state.trace_cost[i])))
    found = int(ctr[K.BEST_COST]) >= 0
    return SearchResult(
        best_values=state.best_values.copy() if found else None,
        best_cost=int(ctr[K.BEST_COST]) if found else None, optimum=optimum,
        steps=int(ctr[K.STEP]), seconds=elapsed, restarts=int(ctr[K.RESTARTS]), trace=trace,
    )
