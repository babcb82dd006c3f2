"""Slot functions compile on their own and plug into one precompiled kernel."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit, types

from heurevo.errors import SlotError
from heurevo.solvers.compile import compile_slot, compile_slots, load_heuristics_file
from heurevo.solvers.rng import new_rng_state, rng_randint, rng_random
from heurevo.solvers.slots import Slot

SLOT = Slot(
    problem="demo", name="score", signature="float64(float64[::1], int64)",
    arg_names=("values", "i"), contract="Return a score for item i.",
    default_source="def score(values, i):\n    return values[i]\n",
)


@njit(types.float64(types.float64[::1], SLOT.function_type))
def total(values, f):
    t = 0.0
    for i in range(values.size):
        t += f(values, i)
    return t


def test_kernel_runs_several_slot_versions_without_recompiling() -> None:
    v = np.arange(5.0)
    assert total(v, compile_slot(SLOT, SLOT.default_source).function) == 10.0
    doubled = compile_slot(SLOT, "def helper(x):\n    return 2.0 * x\n\ndef score(values, i):\n    return helper(values[i])\n")
    assert total(v, doubled.function) == 20.0
    sq = compile_slot(SLOT, "import math\ndef score(values, i):\n    return math.sqrt(values[i]) ** 2\n")
    assert total(v, sq.function) == pytest.approx(10.0)
    assert len(total.signatures) == 1


def test_missing_function_is_a_slot_error() -> None:
    with pytest.raises(SlotError, match="no function named 'score'"):
        compile_slot(SLOT, "def other(values, i):\n    return 0.0\n")


def test_syntax_error_names_line() -> None:
    with pytest.raises(SlotError, match=r"<slot>:2: syntax error"):
        compile_slot(SLOT, "def score(values, i):\n    return (\n")


def test_type_error_is_a_slot_error() -> None:
    with pytest.raises(SlotError, match="does not compile"):
        compile_slot(SLOT, "def score(values, i):\n    return values.nonexistent\n")


def test_compile_slots_defaults_and_unknown() -> None:
    got = compile_slots({"score": SLOT})
    assert got["score"].source == SLOT.default_source
    with pytest.raises(SlotError, match="unknown slot"):
        compile_slots({"score": SLOT}, {"nope": "x"})


def test_heuristics_file(tmp_path) -> None:
    f = tmp_path / "h.py"
    f.write_text("def score(values, i):\n    return 1.0\n")
    assert load_heuristics_file(str(f), {"score": SLOT}) == {"score": f.read_text()}
    f.write_text("def nothing():\n    pass\n")
    with pytest.raises(SlotError, match="defines none"):
        load_heuristics_file(str(f), {"score": SLOT})


def test_describe_shows_types_and_contract() -> None:
    text = SLOT.describe()
    assert text.startswith("def score(values, i):")
    assert "array(float64, 1d, C)" in text and "Return a score" in text


def test_rng_is_deterministic_and_in_range() -> None:
    a, b = new_rng_state(7), new_rng_state(7)
    xs = [rng_randint(a, 10) for _ in range(1000)]
    assert xs == [rng_randint(b, 10) for _ in range(1000)]
    assert set(xs) == set(range(10))
    fs = np.array([rng_random(a) for _ in range(10000)])
    assert fs.min() >= 0.0 and fs.max() < 1.0 and abs(fs.mean() - 0.5) < 0.02
    assert not np.array_equal(new_rng_state(7), new_rng_state(8))


KERNEL_SLOT = Slot(
    problem="demo", name="pick", signature="int64(float64[::1], int64)",
    arg_names=("values", "i"), contract="Return an index.", kernel_only=True,
    default_source="def pick(values, i):\n    return i\n",
)


def test_a_kernel_only_slot_compiles_without_a_python_wrapper_and_probes_like_a_kernel() -> None:
    from heurevo.engine.quick_checks import run_quick_checks
    from heurevo.solvers.compile import kernel_caller
    from heurevo.solvers.slots import ProbeCase

    raising = "def pick(values, i):\n    if values[i] > 1.0:\n        raise ValueError('too big')\n    return i\n"
    for source, expected in [(KERNEL_SLOT.default_source, []), (raising, ["raised ValueError: too big"])]:
        compiled = compile_slot(KERNEL_SLOT, source, python_callable=False).function
        cases = [ProbeCase("value 2", (np.array([0.0, 2.0]), 1), lambda args, r: "")]
        probe = lambda *args, f=compiled: kernel_caller(KERNEL_SLOT)(f, *args)  # noqa: E731
        complaints = run_quick_checks(KERNEL_SLOT, probe, cases)
        assert [c.split(" on quick")[0] for c in complaints] == expected
        assert kernel_caller(KERNEL_SLOT)(compiled, np.array([0.0, 0.5]), 1) == 1


def test_the_contract_catches_a_slot_wrongly_declared_kernel_only(monkeypatch, tmp_path) -> None:
    import dataclasses

    from heurevo.solvers.tsp.adapter import TSPAdapter
    from heurevo.testing.contracts import check_kernel_only_slots

    check_kernel_only_slots("tsp", tmp_path / "ok")  # the declared ones are right
    real = TSPAdapter.slots
    monkeypatch.setattr(TSPAdapter, "slots", lambda self: {
        n: dataclasses.replace(s, kernel_only=True) for n, s in real(self).items()})
    with pytest.raises(AssertionError, match=r"calls one of them from Python"):
        check_kernel_only_slots("tsp", tmp_path / "wrong")  # heuristics is called from Python


def test_the_same_text_is_compiled_once_per_process() -> None:
    src = "def score(values, i):\n    return 3.0 * values[i]\n"
    first = compile_slot(SLOT, src).function
    assert compile_slot(SLOT, src).function is first  # reused, not recompiled
    assert compile_slot(SLOT, src + "\n").function is not first  # another text
    assert compile_slot(SLOT, src, boundscheck=True).function is not first  # other flags
    assert total(np.arange(3.0), first) == 9.0
