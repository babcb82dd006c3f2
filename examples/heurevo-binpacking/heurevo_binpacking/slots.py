"""The plug-in's one slot: FunSearch's ``priority(item, bins_remaining_capacity) -> scores``.

Online packing calls it once per arriving item with the remaining capacities of the bins the
item fits in: the open bins that fit, in the order they were opened, then one empty bin (the
option of opening a new one). The item goes to the bin with the highest score (the first one on
a tie). The default is Best Fit: the tightest bin wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heurevo.solvers.slots import GPHole, ProbeCase, Slot, register_slot

BEST_FIT_SOURCE = '''\
def priority(item, bins_remaining_capacity):
    return -(bins_remaining_capacity - item)
'''

CONTRACT = """Score each bin the arriving item could go to; the item goes to the highest score.
item: the item's size (> 0). bins_remaining_capacity: the remaining capacity of every bin the
item fits in (all >= item): the open bins in opening order, then one empty bin, whose score
decides whether a new bin is opened. Return a new float64 array of the same length (no NaN).
Fewer bins in total is better. Do not modify bins_remaining_capacity."""


def _probes() -> list[ProbeCase]:
    bins = np.array([30.0, 12.0, 55.0, 100.0])

    def check(args: tuple[Any, ...], result: Any) -> str | None:
        scores = np.asarray(result)
        if scores.shape != bins.shape:
            return f"returned {scores.shape[0] if scores.ndim == 1 else scores.shape} scores for 4 bins"
        if not np.all(np.isfinite(scores)):
            return f"returned non-finite scores {scores.tolist()}"
        if not np.array_equal(args[1], bins):
            return "modified bins_remaining_capacity"
        return None

    return [ProbeCase("four bins, item 10", (10.0, bins.copy()), check)]


#: The GP hole: two expressions over the item size ``s``, a bin's remaining capacity ``b``, the
#: space left after packing ``r = b - s`` and the capacity ``c`` (the empty bin's ``b``): the
#: score of an open bin (``GP_OPEN``) and the score of opening a new one (``GP_NEW``, where
#: ``b = c``). An exact fit (``r == 0``) always wins, as it does under Best Fit, so GP's
#: expressions decide only the bins that leave a gap; Best Fit is ``join(neg(r), neg(r))``.
#: Opening a bin is the decision FunSearch's heuristic changed most (it opens a new bin rather
#: than leave a small gap), and a one-bin expression can express it only when the new bin has
#: an expression of its own.
PRIORITY_HOLE = GPHole(
    template='''def priority(item, bins_remaining_capacity):
    n = bins_remaining_capacity.shape[0]
    out = np.empty(n)
    s = item
    c = bins_remaining_capacity[n - 1]
    for i in range(n - 1):
        b = bins_remaining_capacity[i]
        r = b - s
        if r == 0.0:
            out[i] = np.inf
        else:
            out[i] = GP_OPEN
    b = c
    r = b - s
    out[n - 1] = GP_NEW
    return out
''',
    inputs=("s", "b", "r", "c"),
    default="join(neg(r), neg(r))",
    markers=("GP_OPEN", "GP_NEW"),
)

PRIORITY = register_slot(Slot(
    problem="binpacking",
    name="priority",
    signature="float64[::1](float64, float64[::1])",
    arg_names=("item", "bins_remaining_capacity"),
    contract=CONTRACT,
    default_source=BEST_FIT_SOURCE,
    probes="heurevo_binpacking.slots:_probes",
    kernel_only=True,
    extra={"gp_hole": PRIORITY_HOLE},
))

SLOTS = {"priority": PRIORITY}
