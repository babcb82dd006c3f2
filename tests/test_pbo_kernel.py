"""The kernel's incremental state equals a from-scratch recomputation; slots swap without recompiling."""

from __future__ import annotations

import ast
import time

import numpy as np
import pytest

from heurevo.benchmarks.generators.pbo import generate
from heurevo.solvers.pbo import kernel as K
from heurevo.solvers.pbo.instance import PBOInstance, build_instance
from heurevo.solvers.pbo.reference import scratch_state
from heurevo.solvers.pbo.search import functions_for, new_state, run_chunk, search
from heurevo.solvers.pbo.slots import PBO_SLOTS, pbo_slots

RANDOM_FLIPS = {
    "pick_best_variable": "def pick_best_variable(good, n_good, score, last_flip, rng):\n"
                          "    return rng_randint(rng, good.size)\n",
    "pick_escape_variable": "def pick_escape_variable(unsat, n_unsat, con_start, lit_var, lit_sign, values,"
                            " score, last_flip, paid, n_paid, obj_var, rng):\n"
                            "    return rng_randint(rng, values.size)\n",
    "update_weights": "def update_weights(hard_w, unsat, n_unsat, obj_w, paid, n_paid, rng):\n"
                      "    for i in range(n_unsat):\n"
                      "        hard_w[unsat[i]] += 1.0 + rng_random(rng)\n"
                      "    for i in range(n_paid):\n"
                      "        obj_w[paid[i]] += rng_random(rng)\n"
                      "    return 1\n",
}


def assert_consistent(inst: PBOInstance, state) -> None:
    ref = scratch_state(inst, state.values, state.hard_e, state.obj_e)
    ctr = state.ctr
    assert state.sat.tolist() == ref.sat
    assert set(state.unsat[: ctr[K.N_UNSAT]].tolist()) == ref.unsat
    assert set(state.paid[: ctr[K.N_PAID]].tolist()) == ref.paid
    assert int(ctr[K.COST]) == ref.cost
    np.testing.assert_allclose(state.hscore, ref.hscore, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(state.oscore, ref.oscore, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(state.score, state.hscore + state.oscore, rtol=1e-9, atol=1e-7)
    good = set(state.good[: ctr[K.N_GOOD]].tolist())
    positive = {v for v in range(inst.n_vars) if state.score[v] > K.GOOD_EPS}
    assert good <= positive
    # as in NuPBO a flipped variable is left out until something rescores it
    assert all(state.last_flip[v] > 0 for v in positive - good)
    if state.last_flip.max() > 0:  # zero right after a restart
        assert int(np.argmax(state.last_flip)) not in good
    for v in good:
        assert state.good[state.good_pos[v]] == v


INSTANCES = [("setcover", 30, 1), ("knapsack", 25, 2), ("vertexcover", 30, 3), ("assignment", 16, 4)]


@pytest.mark.parametrize(("family", "size", "seed"), INSTANCES)
@pytest.mark.parametrize("slots", ["random", "default"])
def test_incremental_scores_equal_scratch(family: str, size: int, seed: int, slots: str) -> None:
    inst = build_instance(generate(family, size, seed))
    fns = functions_for(RANDOM_FLIPS if slots == "random" else {})
    state = new_state(inst, seed)
    for limit in (0, 1, 7, 50, 400, 3000):
        run_chunk(inst, state, limit, fns)
        assert_consistent(inst, state)
    assert int(state.ctr[K.STEP]) > 0


def test_restart_resets_consistently() -> None:
    inst = build_instance(generate("knapsack", 20, 5))
    state = new_state(inst, 3, restart_after=37)
    run_chunk(inst, state, 2000, functions_for({}))
    assert state.ctr[K.RESTARTS] > 0
    assert_consistent(inst, state)


def test_same_seed_same_search() -> None:
    inst = build_instance(generate("setcover", 60, 7))
    a = search(inst, steps=20_000, seed=11)
    b = search(inst, steps=20_000, seed=11)
    assert a.trace == [(s, a.trace[i][1], c) for i, (s, _, c) in enumerate(b.trace)]
    assert np.array_equal(a.best_values, b.best_values)


@pytest.mark.parametrize(("family", "size", "seed"), INSTANCES[:2])
@pytest.mark.parametrize(("slot", "bit"), [("calculate_score", K.INLINE_SCORE),
                                           ("penalty_hard", K.INLINE_HARD),
                                           ("penalty_obj", K.INLINE_OBJ)])
def test_inline_defaults_are_the_same_search_as_the_slots(family: str, size: int, seed: int,
                                                          slot: str, bit: int) -> None:
    """The kernel computes default score and penalties inline: the same flips as the slot call."""
    inst = build_instance(generate(family, size, seed))
    default = pbo_slots()[slot].default_source
    as_slot = functions_for({slot: default + "\n"})  # a separate compiled copy: called
    runs = []
    for fns in (functions_for({}), as_slot):
        state = new_state(inst, seed)
        run_chunk(inst, state, 5_000, fns)
        runs.append(state)
    fast, slow = runs
    all_bits = K.INLINE_SCORE | K.INLINE_HARD | K.INLINE_OBJ
    assert fast.ctr[K.INLINE] == all_bits and slow.ctr[K.INLINE] == all_bits & ~bit
    assert np.array_equal(fast.values, slow.values)
    assert np.array_equal(fast.last_flip, slow.last_flip)
    assert np.array_equal(fast.hard_w, slow.hard_w) and np.array_equal(fast.obj_e, slow.obj_e)
    assert fast.ctr[K.BEST_COST] == slow.ctr[K.BEST_COST]


def test_swapping_a_slot_does_not_recompile_the_kernel() -> None:
    inst = build_instance(generate("setcover", 40, 1))
    search(inst, steps=100)
    t = time.perf_counter()
    fns = functions_for({"pick_best_variable": RANDOM_FLIPS["pick_best_variable"]})
    swap_s = time.perf_counter() - t
    res = search(inst, steps=5_000, functions=fns)
    assert len(K.run_search.signatures) == 1 and res.steps == 5_000
    assert swap_s < 10  # generous: the bench reports the real figure (well under a second)


def test_slots_are_registered_with_contracts() -> None:
    slots = pbo_slots()
    assert list(slots) == [s.name for s in PBO_SLOTS] and len(slots) == 7
    for s in PBO_SLOTS:
        assert s.key == f"pbo.{s.name}" and s.contract.strip()
        fn = next(n for n in ast.parse(s.default_source).body if isinstance(n, ast.FunctionDef))
        assert fn.name == s.name and tuple(a.arg for a in fn.args.args) == s.arg_names
