"""Constant tuning changes numbers, never structure, and is seeded."""

import ast

from heurevo.engine.proposers.tuning import TuningConfig, count_tunable, tune_constants

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
