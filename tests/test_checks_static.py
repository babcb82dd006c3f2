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
    ("def pick(scores, rng_state):\n    return (1).__class__.__base__.__subclasses__()\n", "'.__class__'"),
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


POLICY_SLOT = Slot(problem="demo", name="guide", signature="float64[:, :](float64[:, ::1])",
                   arg_names=("m",), contract="A guide matrix.",
                   default_source="def guide(m):\n    return m.copy()\n")


def _guide(body: str, head: str = "import numpy as np\nimport math\n") -> str:
    return f"{head}\ndef guide(m):\n    {body}\n    return m.copy()\n"


@pytest.mark.parametrize(("body", "fragment"), [
    # every escape of issue 14 stops at its first link
    ("np.ma.core.builtins.exec('1')", "np.ma is not allowed"),
    ("np.ma.core.inspect.os.system('true')", "np.ma is not allowed"),
    ("np.polynomial.polyutils.operator.attrgetter('x')", "np.polynomial is not allowed"),
    ("np.ma.core.np.ctypeslib.ctypes.CDLL(None)", "np.ma is not allowed"),
    ("np.rec.fromfile('/etc/passwd')", "np.rec is not allowed"),
    ("np.ma.core.np.random.rand(3)", "np.ma is not allowed"),
    ("x = np.lib.npyio.load('f')", "np.lib is not allowed"),
    ("x = np.char.array('a')", "np.char is not allowed"),
    ("x = np.testing.assert_equal(1, 1)", "np.testing is not allowed"),
    ("x = np.fft.fft(m)", "np.fft is not allowed"),
    ("x = np.emath.sqrt(m)", "np.emath is not allowed"),
    ("x = np.vectorize(abs)", "np.vectorize is not allowed"),
    ("x = np.frompyfunc(abs, 1, 1)", "np.frompyfunc is not allowed"),
    ("x = np.random.rand(2)", "rng_random(rng_state)"),
    ("x = np.linalg.lapack_lite", "np.linalg.lapack_lite is not allowed"),
    ("x = math.sys", "math.sys is not allowed"),
    ("x = np.argmaxx(m)", "did you mean 'argmax'?"),
    # modules are not values
    ("x = np", "the module 'np' may only be used as np.<name>"),
    ("x = [np][0].ma", "the module 'np' may only be used"),
    ("x = np.linalg", "the module 'np.linalg' may only be used"),
    ("np = 3", "names the numpy module"),
    # attributes of values: only the listed array / list methods
    ("x = m.ctypes.data", "'.ctypes' is not an attribute or method"),
    ("x = m.base", "'.base' is not an attribute"),
    ("x = rng_random.py_func", "'.py_func' is not an attribute"),
    ("x = np.sum(m).ma", "'.ma' is not an attribute"),
    ("x = m.flags", "'.flags' is not an attribute"),
    ("m.shape = (1, 1)", "assigning to an attribute"),
    ("x = m.__array_interface__", "'.__array_interface__'"),
    ("x = np.sum.__globals__", "'.__globals__'"),
    # reflection, string-to-name, dynamic code
    ("x = getattr(m, 'size')", "'getattr' is not allowed"),
    ("x = vars()", "'vars' is not allowed"),
    ("x = globals()", "'globals' is not allowed"),
    ("x = attrgetter('size')(m)", "'attrgetter' is not allowed"),
    ("x = m['__class__']", "strings naming dunder attributes"),
    ("x = __builtins__", "dunder name '__builtins__'"),
    ("x = [__loader__ for _ in range(1)]", "dunder name '__loader__'"),
    ("x = (lambda: __import__)()", "dunder name '__import__'"),
    ("import os", "imports must be at the top"),
    ("x = min(m, __key=1)", "keyword argument '__key'"),
    # code that would run at definition time
    ("f = lambda a=open('x'): a", "default values of a lambda must be constants"),
    ("def g(a=np.zeros(10**10)):\n        return a", "default values of 'g' must be constants"),
    ("def g(a: np.zeros(10**10)):\n        return a", "the annotation of 'a' in 'g'"),
    ("def g(a) -> np.zeros(10**10):\n        return a", "the return annotation of 'g'"),
    ("@np.vectorize\n    def g(a):\n        return a", "decorators are not allowed"),
])
def test_policy_refuses_with_the_first_bad_link(body: str, fragment: str) -> None:
    report = static_check(POLICY_SLOT, _guide(body))
    assert not report.ok
    assert fragment in report.feedback(), report.feedback()
    assert all(f.line for f in report.failures), report.feedback()


@pytest.mark.parametrize("head", [
    "import numpy.ma\n", "import numpy.ma as nm\n", "from numpy import ma\n", "from numpy import linalg\n",
    "from numpy.ma import core\n", "from numpy import random\n", "from numpy import *\n",
    "import operator\n", "import inspect\n", "import numba\n", "from . import x\n",
    "from numpy import sum as __x\n", "import numpy as os\n",
])
def test_imports_are_only_numpy_math_and_listed_members(head: str) -> None:
    assert not static_check(POLICY_SLOT, _guide("x = 1", head)).ok


@pytest.mark.parametrize("source", [
    _guide("x = np.linalg.norm(m)\n    y = np.argsort(m[0])\n    z = m.shape[0] + m.size + m.ndim"),
    _guide("x = 1.0 / m\n    x = x / np.max(x)\n    y = np.mean(m, axis=0).copy()"),
    _guide("x = math.sqrt(abs(m[0, 0])) + math.pi + np.inf\n    y = m.T.sum()", "import numpy\nimport math\n"),
    _guide("x = [1.0, 2.0]\n    x.append(3.0)\n    y = np.where(m > 1, m, 0.0).argmax()"),
    "import numpy as np\nfrom numpy import argsort, float64\n\n\n"
    "def guide(m: np.ndarray) -> np.ndarray:\n    k: int = 3\n    o = argsort(m[0]).astype(np.int64)\n"
    "    return m.astype(float64) + o[0] + k\n",
])
def test_policy_accepts_the_usual_numpy(source: str) -> None:
    report = static_check(POLICY_SLOT, source)
    assert report.ok, report.feedback()


@pytest.mark.parametrize("expr", [
    "-(" * 300 + "1" + ")" * 300,  # the parser's own limit
    "+".join(["m[0, 0]"] * 2000),  # 2000 deep without parentheses (RecursionError before)
    "[" * 150 + "1" + "]" * 150,
])
def test_deep_nesting_is_rejected_not_raised(expr: str) -> None:
    report = static_check(POLICY_SLOT, _guide(f"x = {expr}"))
    assert not report.ok
    assert "nested" in report.feedback() or "syntax" in report.feedback()


def test_checker_failure_of_any_kind_rejects() -> None:
    huge = "X = " + "+".join(["1"] * 20_000) + "\n" + _guide("x = X")  # under the size limit
    report = static_check(POLICY_SLOT, huge)
    assert not report.ok and report.failures[0].kind in ("size", "syntax"), report.feedback()


def test_every_registered_default_passes_the_policy() -> None:
    from heurevo.solvers.problem import get_problem

    for problem in ("pbo", "tsp"):
        for slot in get_problem(problem).slots().values():
            assert static_check(slot, slot.default_source).ok, slot.key
