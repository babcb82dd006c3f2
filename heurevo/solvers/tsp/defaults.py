"""Default slot implementations of the TSP solver as module functions, so Numba can cache them.

The slot specs' ``default_source`` is read from here (:func:`slot_source`), so what a candidate
sees as the default and what the solver runs when the slot is left alone are the same text; the
solver compiles these with ``cache=True`` instead of compiling the source in every process.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any


def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = 0
    best_util = -1.0
    for e in range(edge_guide.shape[0]):
        util = edge_guide[e] / (1.0 + edge_penalty[e])
        if util > best_util:
            best_util = util
            best = e
    increments[best] = 1.0


def slot_source(fn: Any) -> str:
    """The source text of ``fn`` as a slot's default (its ``def`` and body)."""
    return textwrap.dedent(inspect.getsource(fn))
