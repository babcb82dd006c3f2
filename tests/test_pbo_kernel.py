"""The kernel's incremental state equals a from-scratch recomputation; slots swap without recompiling."""

from __future__ import annotations

import ast
import pickle
import random
import time
from collections import namedtuple
from types import SimpleNamespace

import numpy as np
import pytest

from heurevo.instances.formats.opb import parse_pb
from heurevo.instances.generators.pbo import generate
from heurevo.solvers.pbo import kernel as K
from heurevo.solvers.pbo.instance import PBOInstance, build_instance
from heurevo.solvers.pbo.records import pack_instance
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
    positive = {v for v in range(inst.n_vars) if state.score[v] > 0.0}
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


def unit_cover(n: int, seed: int) -> PBOInstance:
    """Vertex cover of a random graph with unit costs: every coefficient and cost is 1, so
    NuPBO's score increments and differences of effective weights are the same floats."""
    rnd = random.Random(seed)
    edges = {tuple(sorted(rnd.sample(range(1, n + 1), 2))) for _ in range(3 * n)}
    text = f"* #variable= {n} #constraint= {len(edges)}\nmin: " + \
        " ".join(f"+1 x{v}" for v in range(1, n + 1)) + " ;\n" + \
        "".join(f"+1 x{u} +1 x{v} >= 1 ;\n" for u, v in sorted(edges))
    return build_instance(parse_pb(text))


CALLED_COPIES = [("calculate_score", K.INLINE_SCORE, generate("knapsack", 25, 2)),
                 ("calculate_score", K.INLINE_SCORE, generate("setcover", 30, 1))] + [
    (slot, bit, None) for slot, bit in (("penalty_hard", K.INLINE_HARD),
                                        ("penalty_obj", K.INLINE_OBJ),
                                        ("update_weights", K.INLINE_WEIGHTS))]


@pytest.mark.parametrize(("slot", "bit", "formula"), CALLED_COPIES)
def test_inline_defaults_are_the_same_search_as_the_slots(slot: str, bit: int, formula) -> None:
    """The kernel computes default score, penalties and weight increments inline: the same flips
    as calling a compiled copy of the default."""
    inst = unit_cover(40, 5) if formula is None else build_instance(formula)
    default = pbo_slots()[slot].default_source
    as_slot = functions_for({slot: default + "\n"})  # a separate compiled copy: called
    runs = []
    for fns in (functions_for({}), as_slot):
        state = new_state(inst, 3)
        run_chunk(inst, state, 5_000, fns)
        runs.append(state)
    fast, slow = runs
    all_bits = K.INLINE_SCORE | K.INLINE_HARD | K.INLINE_OBJ | K.INLINE_WEIGHTS
    assert fast.ctr[K.INLINE] == all_bits and slow.ctr[K.INLINE] == all_bits & ~bit
    assert fast.ctr[K.RESTARTS] == 0 and fast.hard_w.max() > 1 and fast.obj_w.max() > 0
    assert np.array_equal(fast.values, slow.values)
    assert np.array_equal(fast.last_flip, slow.last_flip)
    assert np.array_equal(fast.hard_w, slow.hard_w) and np.array_equal(fast.obj_e, slow.obj_e)
    assert np.array_equal(fast.hscore, slow.hscore) and np.array_equal(fast.oscore, slow.oscore)
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


def nupbo_neighbours(inst: PBOInstance, v: int) -> list[int]:
    """NuPBO's neighbour list of v: variables of v's constraints, in constraint order and then
    literal order, first appearance only, v excluded."""
    seen, out = {v}, []
    for o in range(int(inst.occ_start[v]), int(inst.occ_start[v + 1])):
        c = int(inst.occ_con[o])
        for k in range(int(inst.con_start[c]), int(inst.con_start[c + 1])):
            u = int(inst.lit_var[k])
            if u not in seen:
                seen.add(u)
                out.append(u)
    return out


def nupbo_stack_after_flip(stack: list[int], v: int, score: np.ndarray,
                           neighbours: list[int]) -> list[int]:
    """NuPBO's update_goodvarstack: drop non-positive entries scanning from the top (the top
    fills each hole), then push positive neighbours not yet stacked."""
    stack = list(stack)
    for i in range(len(stack) - 1, -1, -1):
        if not score[stack[i]] > 0:
            top = stack.pop()
            if i < len(stack):
                stack[i] = top
    inside = set(stack)
    stack += [u for u in neighbours if score[u] > 0 and u not in inside]
    return stack


@pytest.mark.parametrize(("family", "size", "seed"), INSTANCES)
def test_candidate_stack_follows_nupbo_order(family: str, size: int, seed: int) -> None:
    """After every greedy flip the candidate stack is exactly NuPBO's, order included (the
    random picks index it, so the order decides which variable a seed flips)."""
    inst = build_instance(generate(family, size, seed))
    fns = functions_for({})
    state = new_state(inst, seed)
    run_chunk(inst, state, 0, fns)
    checked = 0
    for step in range(1, 600):
        before = state.good[: state.ctr[K.N_GOOD]].tolist()
        run_chunk(inst, state, step, fns)
        if not before or state.ctr[K.RESTARTS]:
            continue  # an escape step raised weights before flipping: nothing to compare
        v = int(np.argmax(state.last_flip))
        expected = nupbo_stack_after_flip(before, v, state.score, nupbo_neighbours(inst, v))
        assert state.good[: state.ctr[K.N_GOOD]].tolist() == expected, f"step {step}"
        checked += 1
    assert checked > 100


def test_records_name_their_fields_so_a_swap_is_refused() -> None:
    """The kernel reads its records by field name: a record declaring two same-typed fields in
    swapped order is refused by the kernel's signature, a swapped pair of different lengths by
    the packing, and the record built from an instance holds each array under its own name."""
    inst = build_instance(generate("setcover", 30, 1))
    rec = inst.arrays
    assert all(np.shares_memory(getattr(rec, f), getattr(inst, f)) for f in rec._fields[:-1])
    fns = functions_for({})
    for record, (a, b) in ((rec, ("occ_con", "occ_lit")), (new_state(inst, 1), ("hscore", "oscore"))):
        names = list(record._fields)
        i, j = names.index(a), names.index(b)
        names[i], names[j] = b, a
        swapped = namedtuple(type(record).__name__, names)(**record._asdict())
        args = (swapped, new_state(inst, 1)) if record is rec else (rec, swapped)
        with pytest.raises(TypeError, match="No matching definition"):
            K.run_search(*args, *fns)
    fields = {f: getattr(inst, f) for f in rec._fields}
    fields["con_start"], fields["occ_start"] = fields["occ_start"], fields["con_start"]
    with pytest.raises(ValueError, match="con_start"):
        pack_instance(SimpleNamespace(**fields))
    state = new_state(inst, 1)
    run_chunk(inst, state, 500, fns)
    assert_consistent(inst, state)


def test_an_unpickled_instance_still_runs() -> None:
    """The cached read-only record is not pickled: a copy re-packs its own on first use."""
    inst = build_instance(generate("knapsack", 20, 3))
    assert not inst.arrays.obj_cost.flags.writeable and inst.obj_cost.flags.writeable
    copy = pickle.loads(pickle.dumps(inst))
    a, b = new_state(inst, 2), new_state(copy, 2)
    run_chunk(inst, a, 300, functions_for({}))
    run_chunk(copy, b, 300, functions_for({}))
    assert np.array_equal(a.values, b.values) and a.ctr[K.BEST_COST] == b.ctr[K.BEST_COST]
