"""An independent check of a packing: every item in one bin, no bin over capacity."""

from __future__ import annotations

import numpy as np

from heurevo_binpacking.instance import BinPackingInstance


def bins_used(instance: BinPackingInstance, assignment: np.ndarray) -> int | None:
    """The number of bins of a valid packing, None when ``assignment`` is not one.

    Valid: one bin index >= 0 per item, and the sizes in each bin sum to at most the capacity.
    Bins are counted as distinct indices used, whatever their numbering.
    """
    a = np.asarray(assignment)
    if a.shape != instance.items.shape or a.size == 0 or a.min() < 0:
        return None
    used, compact = np.unique(a, return_inverse=True)
    loads = np.bincount(compact, weights=instance.items)
    if np.any(loads > instance.capacity + 1e-9):
        return None
    return int(used.size)
