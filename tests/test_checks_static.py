"""Static checks refuse hostile or broken source with a precise, line-numbered reason."""

from __future__ import annotations

import pytest

from heurevo.engine.checks import static_check
from heurevo.solvers.slots import Slot

SLOT = Slot(problem="demo", name="pick", signature="int64(float64[::1], uint64[::1])",
            arg_names=("scores", "rng_state"), contract="Pick an index.",
            default_source="def pick(scores, rng_state):\n    return 0\n")

GOOD = """
import math
import numpy as np
from math import sqrt

LIMIT = 2 ** 3

def helper(x):
    return sqrt(abs(x)) + LIMIT

def pick(scores, rng_state):
    best = 0
    for i in range(len(scores)):
        if helper(scores[i]) > helper(scores[best]):
            best = i
    if rng_random(rng_state) < 0.01:
        best = rng_randint(rng_state, len(scores))
    return best
"""


def test_good_source_passes() -> None:
    report = static_check(SLOT, GOOD)
    assert report.ok, report.feedback()
    assert report.feedback() == ""


@pytest.mark.parametrize(("source", "fragment"), [
    ("import os\ndef pick(scores, rng_state):\n    return 0\n", "import of 'os' is not allowed"),
    ("import subprocess\ndef pick(scores, rng_state):\n    return 0\n", "import of 'subprocess'"),
    ("import socket\ndef pick(scores, rng_state):\n    return 0\n", "import of 'socket'"),
    ("from numpy import random\ndef pick(scores, rng_state):\n    return 0\n", "numpy.random is not allowed"),
    ("import numpy.random\ndef pick(scores, rng_state):\n    return 0\n", "import of 'numpy.random'"),
    ("import numpy as np\ndef pick(scores, rng_state):\n    return np.random.randint(3)\n", "np.random is not allowed"),
    ("import random\ndef pick(scores, rng_state):\n    return random.randint(0, 1)\n", "import of 'random'"),
    ("def pick(scores, rng_state):\n    open('/tmp/x', 'w').write('1')\n    return 0\n", "'open' is not allowed"),
    ("def pick(scores, rng_state):\n    eval('1')\n    return 0\n", "'eval' is not allowed"),
    ("def pick(scores, rng_state):\n    exec('1')\n    return 0\n", "'exec' is not allowed"),
    ("def pick(scores, rng_state):\n    __import__('os').system('x')\n    return 0\n", "dunder name '__import__'"),
    ("def pick(scores, rng_state):\n    return scores.__class__.__mro__\n", "'.__class__'"),
    ("def pick(scores, rng_state):\n    return (1).__class__.__base__.__subclasses__()\n", "'.__subclasses__'"),
    ("import numpy as np\ndef pick(scores, rng_state):\n    return np._core\n", "'._core'"),
    ("import numpy as np\ndef pick(scores, rng_state):\n    np.save('f', scores)\n    return 0\n", "np.save is not allowed"),
    ("def pick(scores, rng_state):\n    scores.tofile('x')\n    return 0\n", "'.tofile'"),
    ("def pick(scores, rng_state):\n    print('x' * 10**7)\n    return 0\n", "'print' is not allowed"),
    ("X = 0\ndef pick(scores, rng_state):\n    global X\n    X += 1\n    return X\n", "`global`"),
    ("class A:\n    pass\ndef pick(scores, rng_state):\n    return 0\n", "class definitions"),
    ("def pick(scores, rng_state):\n    yield 0\n", "generators"),
    ("def pick(scores, rng_state):\n    with scores:\n        return 0\n", "`with`"),
    ("import math\nmath.x = 1\ndef pick(scores, rng_state):\n    return 0\n", "top-level `Assign`"),
    ("for i in range(10**9):\n    pass\ndef pick(scores, rng_state):\n    return 0\n", "top-level `For`"),
    ("@jit\ndef pick(scores, rng_state):\n    return 0\n", "decorators are not allowed"),
    ("def pick(scores, rng_state, k=len([])):\n    return 0\n", "default values"),
    ("def pick(scores, rng_state):\n    return getattr(scores, 'size')\n", "'getattr' is not allowed"),
    ("import sys\ndef pick(scores, rng_state):\n    return 0\n", "import of 'sys'"),
    ("from os import path as p\ndef pick(scores, rng_state):\n    return 0\n", "import of 'os'"),
    ("def pick(scores, rng_state):\n    return time.sleep(10)\n", "'time' is not allowed"),
    ("def pick(scores, rng_state):\n    return undefined_thing(scores)\n", "undefined name 'undefined_thing'"),
])
def test_hostile_source_is_refused_with_reason(source: str, fragment: str) -> None:
    report = static_check(SLOT, source)
    assert not report.ok
    fb = report.feedback()
    assert fragment in fb, fb
    assert fb.startswith("The code for slot demo.pick was rejected")


@pytest.mark.parametrize(("source", "fragment"), [
    ("def pick(scores):\n    return 0\n", "takes (scores) but the slot requires (scores, rng_state)"),
    ("def pick(rng_state, scores):\n    return 0\n", "same names, same order"),
    ("def pick(scores, rng_state, extra):\n    return 0\n", "requires (scores, rng_state)"),
    ("def pick(*args):\n    return 0\n", "no *args"),
    ("def pick(scores, rng_state=None):\n    return 0\n", "must not have defaults"),
    ("def choose(scores, rng_state):\n    return 0\n", "no top-level function named 'pick' (found: choose)"),
    ("def pick(scores, rng_state):\n    return 0\ndef pick(scores, rng_state):\n    return 1\n", "defined 2 times"),
])
def test_signature_must_match_exactly(source: str, fragment: str) -> None:
    report = static_check(SLOT, source)
    assert [f.kind for f in report.failures] == ["signature"]
    assert fragment in report.feedback()


def test_syntax_errors_and_duplicate_arguments_give_line_numbers() -> None:
    r = static_check(SLOT, "def pick(scores, rng_state):\n    return (\n")
    assert r.failures[0].kind == "syntax" and r.failures[0].line is not None
    r = static_check(SLOT, "def pick(scores, scores):\n    return 0\n")
    assert r.failures[0].kind == "syntax" and "duplicate argument" in r.feedback()
    # compile() catches what ast.parse does not: 'return' outside a function
    r = static_check(SLOT, "return 1\ndef pick(scores, rng_state):\n    return 0\n")
    assert r.failures[0].kind == "syntax"


def test_empty_and_oversized_sources() -> None:
    assert static_check(SLOT, "  \n").failures[0].message == "the source is empty"
    big = "def pick(scores, rng_state):\n    return 0\n" + "# x\n" * 20000
    assert static_check(SLOT, big).failures[0].kind == "size"


def test_failure_lines_point_at_the_offence() -> None:
    src = "import math\n\ndef pick(scores, rng_state):\n    x = 1\n    return eval('x')\n"
    (failure,) = static_check(SLOT, src).failures
    assert failure.line == 5 and failure.render().startswith("line 5:")


def test_direct_and_mutual_recursion_are_refused() -> None:
    direct = "def pick(scores, rng_state):\n    return pick(scores, rng_state)\n"
    assert "'pick' is recursive" in static_check(SLOT, direct).feedback()
    mutual = ("def a(x):\n    return b(x)\n\ndef b(x):\n    return a(x)\n\n"
              "def pick(scores, rng_state):\n    return a(0)\n")
    fb = static_check(SLOT, mutual).feedback()
    assert "'a' is recursive" in fb and "'b' is recursive" in fb
