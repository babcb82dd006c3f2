"""Independent tour check: a permutation of all cities, length recomputed with TSPLIB rules.

Plain Python on purpose (``math`` only, one edge at a time): it shares no code with the Numba
kernels in :mod:`heurevo.solvers.tsp.distance`, so a bug in one is caught by the other. It is
also the slow reference the distance tests compare against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from heurevo.errors import VerificationError
from heurevo.instances.formats.tsplib import TsplibInstance

_PI = 3.141592
_RRR = 6378.388


def _nint(x: float) -> int:
    return math.floor(x + 0.5)


def _geo_rad(x: float) -> float:
    deg = int(x)  # truncation, as TSPLIB's C code does
    minutes = x - deg
    return _PI * (deg + 5.0 * minutes / 3.0) / 180.0


def tsplib_distance(wtype: str, a: Sequence[float], b: Sequence[float]) -> int:
    """The TSPLIB integer distance between points ``a`` and ``b`` for ``wtype``."""
    dx = float(a[0]) - float(b[0])
    dy = float(a[1]) - float(b[1])
    if wtype == "EUC_2D":
        return _nint(math.sqrt(dx * dx + dy * dy))
    if wtype == "CEIL_2D":
        return math.ceil(math.sqrt(dx * dx + dy * dy))
    if wtype == "ATT":
        r = math.sqrt((dx * dx + dy * dy) / 10.0)
        t = _nint(r)
        return t + 1 if t < r else t
    if wtype == "MAN_2D":
        return _nint(abs(dx) + abs(dy))
    if wtype == "MAX_2D":
        return max(_nint(abs(dx)), _nint(abs(dy)))
    if wtype == "EUC_3D":
        dz = float(a[2]) - float(b[2])
        return _nint(math.sqrt(dx * dx + dy * dy + dz * dz))
    if wtype == "GEO":
        lat_i, lon_i = _geo_rad(float(a[0])), _geo_rad(float(a[1]))
        lat_j, lon_j = _geo_rad(float(b[0])), _geo_rad(float(b[1]))
        q1 = math.cos(lon_i - lon_j)
        q2 = math.cos(lat_i - lat_j)
        q3 = math.cos(lat_i + lat_j)
        return int(_RRR * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0)
    raise ValueError(f"no coordinate distance for EDGE_WEIGHT_TYPE {wtype}")


def edge_length_function(instance: TsplibInstance) -> Callable[[int, int], int]:
    """``d(i, j)`` over 0-based city indices of ``instance``, by TSPLIB rules."""
    if instance.edge_weight_type == "EXPLICIT":
        m = instance.matrix
        assert m is not None
        return lambda i, j: int(m[i, j])
    pts = instance.coords
    assert pts is not None
    rows = [tuple(float(v) for v in p) for p in pts]
    wtype = instance.edge_weight_type
    return lambda i, j: tsplib_distance(wtype, rows[i], rows[j])


def check_permutation(tour: Sequence[int] | np.ndarray, n: int) -> list[int]:
    """The tour as a list of ints; raises :class:`VerificationError` unless it is a permutation."""
    order = [int(v) for v in tour]
    if len(order) != n:
        raise VerificationError(f"tour has {len(order)} cities, the instance has {n}")
    seen = [False] * n
    for v in order:
        if not 0 <= v < n:
            raise VerificationError(f"tour contains city index {v}, outside 0..{n - 1}")
        if seen[v]:
            raise VerificationError(f"tour visits city index {v} twice")
        seen[v] = True
    return order


def tour_length(instance: TsplibInstance, tour: Sequence[int] | np.ndarray) -> int:
    """Length of the closed tour (0-based indices), recomputed with TSPLIB rules; verified."""
    order = check_permutation(tour, instance.n)
    d = edge_length_function(instance)
    return sum(d(order[k - 1], order[k]) for k in range(len(order))) if len(order) > 1 else 0


def euclidean_tour_length(points: np.ndarray, tour: Sequence[int] | np.ndarray) -> float:
    """Length of a closed tour over float points (the literature's protocol); verified."""
    order = check_permutation(tour, len(points))
    total = 0.0
    for k in range(len(order)):
        a, b = points[order[k - 1]], points[order[k]]
        total += math.sqrt(sum((float(a[t]) - float(b[t])) ** 2 for t in range(len(a))))
    return total
