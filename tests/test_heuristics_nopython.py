"""``tsp.heuristics`` is compiled by Numba in nopython mode like every other slot.

ReEvo-style guides (inverse distances, normalisations, numpy reductions, argsort loops) compile
and pass their quick checks; an unsupported numpy feature is refused with a hint; and the escapes
of issue 14 that went through the old plain-Python path fail to compile even when the static
checks are skipped (one layer disabled, the next one holds).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from heurevo.engine.checks import static_check
from heurevo.engine.quick_checks import run_quick_checks
from heurevo.errors import SlotError
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.tsp.slots import HEURISTICS

HEAD = "import numpy as np\n\n\ndef heuristics(distance_matrix: np.ndarray) -> np.ndarray:\n"

REEVO_STYLE = {
    "inverse": "    return 1 / distance_matrix\n",
    "normalised": "    return distance_matrix / np.max(distance_matrix)\n",
    "standardised": "    return (distance_matrix - np.mean(distance_matrix)) / np.std(distance_matrix)\n",
    "above_median": "    return distance_matrix * (1.0 + (distance_matrix > np.median(distance_matrix)))\n",
    "rank_loop": """    n = distance_matrix.shape[0]
    out = np.zeros_like(distance_matrix)
    for i in range(n):
        order = np.argsort(distance_matrix[i])
        for r in range(n):
            out[i, order[r]] = distance_matrix[i, order[r]] * (1.0 + r / n)
    return out
""",
    "row_mean": """    out = np.empty_like(distance_matrix)
    for i in range(distance_matrix.shape[0]):
        out[i] = distance_matrix[i] / distance_matrix[i].mean()
    return out
""",
    "transposed_sum": "    return (distance_matrix + distance_matrix.T) / 2.0\n",
}


@pytest.mark.parametrize("name", sorted(REEVO_STYLE))
def test_reevo_style_guides_compile_in_nopython(name: str) -> None:
    source = HEAD + REEVO_STYLE[name]
    assert static_check(HEURISTICS, source).ok, static_check(HEURISTICS, source).feedback()
    fn = compile_slot(HEURISTICS, source).function
    assert len(fn.nopython_signatures) == 1  # an eagerly compiled nopython dispatcher
    assert run_quick_checks(HEURISTICS, fn) == []


@pytest.mark.parametrize(("body", "hint"), [
    ("    return distance_matrix / distance_matrix.mean(axis=1)\n", "hint: Numba does not support"),
    ("    return np.array(distance_matrix, dtype=np.float64, copy=True)\n", "np.array takes no copy="),
    ("    return distance_matrix.astype(np.int64)\n", "convert the result"),
])
def test_unsupported_numpy_gets_a_hint(body: str, hint: str) -> None:
    source = HEAD + body
    assert static_check(HEURISTICS, source).ok
    with pytest.raises(SlotError, match="nopython") as err:
        compile_slot(HEURISTICS, source)
    assert hint in str(err.value)


ESCAPES = [
    "    np.ma.core.builtins.exec(\"open('{marker}', 'w').write('x')\")\n    return distance_matrix.copy()\n",
    "    np.ma.core.inspect.os.system('touch {marker}')\n    return distance_matrix.copy()\n",
    "    np.ma.core.np.ctypeslib.ctypes.CDLL(None).system(b'touch {marker}')\n"
    "    return distance_matrix.copy()\n",
    "    text = np.rec.fromfile('/etc/passwd')\n    return distance_matrix.copy()\n",
    "    np.lib.npyio.savetxt('{marker}', distance_matrix)\n    return distance_matrix.copy()\n",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_escapes_fail_to_compile_even_without_static_checks(tmp_path: Path, body: str) -> None:
    marker = tmp_path / "escaped"
    source = HEAD + body.format(marker=marker)
    assert not static_check(HEURISTICS, source).ok  # the first fence
    with pytest.raises(SlotError, match="does not compile in Numba nopython mode"):
        fn = compile_slot(HEURISTICS, source).function  # the second fence, checks skipped
        fn(np.ones((4, 4)))
    assert not marker.exists()


def test_the_exec_escape_is_real_without_both_layers(tmp_path: Path) -> None:
    """The first escape of issue 14, run the old way (plain Python, no checks), does escape."""
    import subprocess
    import sys

    marker = tmp_path / "escaped"
    source = HEAD + ESCAPES[0].format(marker=marker)
    script = ("import numpy as np\nfrom heurevo.solvers.compile import load_python_function\n"
              "from heurevo.solvers.tsp.slots import HEURISTICS\n"
              f"load_python_function(HEURISTICS, {source!r})(np.ones((4, 4)))\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert marker.exists()  # so the refusals above stop a working escape
