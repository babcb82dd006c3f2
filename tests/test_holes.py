"""GP holes: filled with their default expressions they walk exactly the default search, and
every marker is wired (changing its expression changes the search)."""

from __future__ import annotations

import numpy as np
import pytest

from heurevo.engine.checks import static_check
from heurevo.engine.proposers.gp import build_pset, parse_tree, render
from heurevo.instances.generators.pbo import generate
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.pbo.holes import HOLES as PBO_HOLES
from heurevo.solvers.pbo.instance import build_instance
from heurevo.solvers.pbo.search import functions_for, new_state, run_chunk
from heurevo.solvers.pbo.slots import pbo_slots
from heurevo.solvers.slots import GPHole
from heurevo.solvers.tsp.gls import guided_local_search
from heurevo.solvers.tsp.holes import PENALIZE_EDGES as TSP_HOLE
from heurevo.solvers.tsp.instance import arrays_from_points
from heurevo.solvers.tsp.slots import PENALIZE_EDGES
from heurevo.solvers.tsp.solve import start_tour

PBO_INSTANCES = [("setcover", 40, 1), ("knapsack", 30, 2), ("vertexcover", 40, 3),
                 ("assignment", 25, 4)]

#: slot → expressions that differ from the default in one marker each (each must change the search).
PBO_VARIANTS = {
    "penalty_hard": ["mul(weight, 2.0)"],
    "penalty_obj": ["mul(weight, 2.0)"],
    "calculate_score": ["add(hscore, mul(oscore, 0.5))"],
    "update_weights": ["join(2.0, 1.0)", "join(1.0, 0.5)"],
    "pick_best_variable": ["join(sub(s, mul(recency, 0.001)), if_else(gt(n, 2000.0), 50.0, 15.0), 0.01)",
                           "join(s, 3.0, 0.01)", "join(s, if_else(gt(n, 2000.0), 50.0, 15.0), 0.2)"],
    "pick_escape_variable": ["join(neg(s), 0.1)", "join(s, 0.5)"],
}


def _source(hole: GPHole, expr: str) -> str:
    return render(hole, parse_tree(expr, build_pset(hole)))


def _pbo_run(inst, sources: dict[str, str], steps: int = 4000):
    state = new_state(inst, 3)
    run_chunk(inst, state, steps, functions_for(sources))
    return state


def _same(a, b) -> bool:
    return (np.array_equal(a.values, b.values) and np.array_equal(a.last_flip, b.last_flip)
            and np.array_equal(a.hard_w, b.hard_w) and np.array_equal(a.obj_w, b.obj_w)
            and int(a.ctr[5]) == int(b.ctr[5]))


def test_every_pbo_slot_but_the_initialisation_has_a_hole() -> None:
    assert set(PBO_HOLES) == set(pbo_slots()) - {"initialize_assignment"}
    assert set(PBO_VARIANTS) == set(PBO_HOLES)


@pytest.mark.parametrize("slot", sorted(PBO_HOLES))
def test_pbo_hole_default_is_the_default_search(slot: str) -> None:
    """Against a called copy of the default slot: the kernel's inline defaults shift scores by
    NuPBO's increments, which differ from a called slot's by float round-off (see
    test_pbo_kernel's inline test)."""
    hole = PBO_HOLES[slot]
    src = _source(hole, hole.default)
    assert static_check(pbo_slots()[slot], src).ok
    for family, size, seed in PBO_INSTANCES:
        inst = build_instance(generate(family, size, seed))
        called = _pbo_run(inst, {slot: pbo_slots()[slot].default_source + "\n"})
        assert _same(_pbo_run(inst, {slot: src}), called), (slot, family)


@pytest.mark.parametrize("slot", sorted(PBO_VARIANTS))
def test_pbo_hole_markers_change_the_search(slot: str) -> None:
    hole = PBO_HOLES[slot]
    insts = [build_instance(generate(f, s, sd)) for f, s, sd in PBO_INSTANCES]
    bases = [_pbo_run(i, {}) for i in insts]
    for expr in PBO_VARIANTS[slot]:
        src = _source(hole, expr)
        assert static_check(pbo_slots()[slot], src).ok
        assert any(not _same(_pbo_run(i, {slot: src}), b) for i, b in zip(insts, bases, strict=True)), expr


def test_pbo_hole_clamps_keep_the_contract() -> None:
    """Wild sample sizes and negative objective increments stay inside the slot contract."""
    inst = build_instance(generate("knapsack", 30, 2))
    for slot, expr in (("pick_best_variable", "join(s, -5.0, 0.01)"),
                       ("pick_best_variable", "join(s, mul(n, 1e6), 0.01)"),
                       ("update_weights", "join(1.0, -10.0)")):
        state = _pbo_run(inst, {slot: _source(PBO_HOLES[slot], expr)})
        assert state.obj_w.min() >= 0.0 and np.isfinite(state.hard_w).all()


def _gls(src: str | None, seed: int = 2):
    a = arrays_from_points(np.random.default_rng(8).random((150, 2)))
    fn = compile_slot(PENALIZE_EDGES, src or PENALIZE_EDGES.default_source).function
    return guided_local_search(a, start_tour(a, None, 0), fn, iterations=40, seed=seed)


def test_tsp_hole_default_is_the_default_search_and_markers_matter() -> None:
    base = _gls(None)
    assert np.array_equal(_gls(_source(TSP_HOLE, TSP_HOLE.default)).tour, base.tour)
    for expr in ("join(pdiv(g, add(1.0, mul(2.0, p))), 1.0, 1.0)",  # utility
                 "join(pdiv(g, add(1.0, p)), 5.0, 1.0)",      # increment
                 "join(pdiv(g, add(1.0, p)), 1.0, 0.8)"):     # several edges per step
        src = _source(TSP_HOLE, expr)
        assert static_check(PENALIZE_EDGES, src).ok
        assert not np.array_equal(_gls(src).tour, base.tour), expr


def test_tsp_ratio_penalises_every_edge_near_the_best() -> None:
    fn = compile_slot(PENALIZE_EDGES, _source(TSP_HOLE, "join(d, 1.0, 0.5)")).function
    dist = np.array([4.0, 1.0, 9.0, 2.0, 5.0])
    inc = np.zeros(5)
    fn(np.arange(5, dtype=np.int64), dist, dist.copy(), np.zeros(5), np.ones(5, np.int64), inc,
       np.ones(2, np.uint64))
    assert inc.tolist() == [0.0, 0.0, 1.0, 0.0, 1.0]  # 9 is best; 5 >= 0.5 * 9, 4 is not
