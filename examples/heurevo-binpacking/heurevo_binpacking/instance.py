"""Bin-packing instances: the BPPLIB text format and the literature's generators.

A ``.bpp`` file holds the number of items on the first line, the bin capacity on the second and
one integer item size per line after that (BPPLIB's format). Generators:

* :func:`weibull_items` — FunSearch's Weibull protocol: sizes drawn from Weibull(scale 45,
  shape 3), floored to integers and clipped to [1, 100]; bin capacity 100.
* :func:`uniform_items` — OR-Library's ``u`` classes (binpack1-4, Falkenauer): sizes uniform in
  [20, 100]; bin capacity 150.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heurevo.errors import InstanceFormatError

WEIBULL_CAPACITY = 100
OR_CAPACITY = 150


@dataclass(frozen=True)
class BinPackingInstance:
    """Item sizes (in arrival order) and the bin capacity."""

    name: str
    capacity: float
    items: np.ndarray  # float64[::1]

    @property
    def lower_bound(self) -> int:
        """The L1 bound: ceil(sum of sizes / capacity) bins."""
        return math.ceil(float(self.items.sum()) / self.capacity - 1e-9)


def weibull_items(n: int, seed: int) -> np.ndarray:
    """``n`` Weibull(45, 3) item sizes floored and clipped to [1, 100] (capacity 100)."""
    rng = np.random.default_rng(seed)
    return np.clip(np.floor(45.0 * rng.weibull(3.0, n)), 1, 100).astype(np.float64)


def uniform_items(n: int, seed: int) -> np.ndarray:
    """``n`` integer item sizes uniform in [20, 100] (OR-Library's u classes, capacity 150)."""
    return np.random.default_rng(seed).integers(20, 101, n).astype(np.float64)


def write_bpp(path: Path, capacity: float, items: np.ndarray) -> Path:
    """Write an instance in BPPLIB's format."""
    lines = [str(len(items)), f"{capacity:g}", *(f"{x:g}" for x in items)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_bpp(path: Path) -> BinPackingInstance:
    """Read a BPPLIB file; a malformed one raises :class:`InstanceFormatError` naming the line."""
    values: list[tuple[int, float]] = []
    for lineno, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        try:
            values.append((lineno, float(text)))
        except ValueError:
            raise InstanceFormatError(path, lineno, f"expected a number, got {text!r}") from None
    if len(values) < 2:
        raise InstanceFormatError(path, None, "expected the item count and the capacity")
    (_, count), (cap_line, capacity) = values[0], values[1]
    items = np.array([v for _, v in values[2:]], dtype=np.float64)
    if count != len(items):
        raise InstanceFormatError(path, 1, f"says {count:g} items, the file has {len(items)}")
    if capacity <= 0:
        raise InstanceFormatError(path, cap_line, f"capacity must be positive, got {capacity:g}")
    for (lineno, size) in values[2:]:
        if not 0 < size <= capacity:
            raise InstanceFormatError(path, lineno,
                                      f"item size {size:g} is not in (0, capacity {capacity:g}]")
    return BinPackingInstance(Path(path).stem, capacity, items)
