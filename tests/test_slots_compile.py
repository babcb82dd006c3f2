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
