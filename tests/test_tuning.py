"""Constant tuning changes numbers, never structure, and is seeded."""

import ast
import math
import random

from heurevo.engine.proposers.tuning import (
    MAX_FACTOR,
    TuningConfig,
    count_tunable,
    step_factor,
    tune_constants,
)

SRC = """
def score(a, i, rng_state):
    w = 0.5 * a[2] + 3
    for k in range(4):
        w += 1.5e-3 * k
    if rng_random(rng_state) < 0.01:
        w = -2.0
    return w
"""


def _shape(src: str) -> str:
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.value = 0
    return ast.dump(tree)


def test_changes_numbers_but_not_structure() -> None:
    out = tune_constants(SRC, seed=1, config=TuningConfig(fraction=1.0))
    assert out != SRC and _shape(out) == _shape(SRC)
    assert "a[2]" in out and "range(4)" in out  # indices and range bounds are left alone
    compile(out, "<t>", "exec")


def test_seeded_and_countable() -> None:
    assert tune_constants(SRC, 3) == tune_constants(SRC, 3)
    assert tune_constants(SRC, 3) != tune_constants(SRC, 4)
    assert count_tunable(SRC) == 5  # 0.5, 3, 1.5e-3, 0.01, -2.0 → 2.0 under USub


def test_signs_kept_and_nothing_to_tune() -> None:
    for seed in range(20):
        tree = ast.parse(tune_constants(SRC, seed, TuningConfig(sigma=2.0, fraction=1.0)))
        ints = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                and isinstance(n.value, int) and not isinstance(n.value, bool)]
        assert all(v >= 1 for v in ints)
    plain = "def f(a):\n    return a[0]\n"
    assert tune_constants(plain, 1) == plain


def test_steps_are_mostly_small_sometimes_large_never_unbounded() -> None:
    rng = random.Random(7)
    logs = [abs(math.log(step_factor(rng, 0.3))) for _ in range(20_000)]
    small = sum(x < 0.3 for x in logs) / len(logs)
    large = sum(x > math.log(5) for x in logs) / len(logs)  # a five-fold change or more
    assert small > 0.45 and 0.05 < large < 0.2
    assert max(logs) <= math.log(MAX_FACTOR) + 1e-12
