"""TSPLIB distances inside Numba kernels, from coordinates or from a precomputed matrix.

A kernel sees an instance as three values: ``kind`` (one of the constants below), ``xy``
(float64[n, 3]; for GEO the latitude and longitude already converted to radians) and ``mat``
(float64[n, n], or 0 x 0 when distances are computed on the fly). Lengths are float64; for
TSPLIB kinds they are exact integers, so sums stay exact far beyond any tour length.
"""

from __future__ import annotations

import math

import numpy as np
from numba import float64, int64, njit, void

EXPLICIT = 0
EUC_2D = 1
CEIL_2D = 2
ATT = 3
GEO = 4
MAN_2D = 5
MAX_2D = 6
EUC_3D = 7
FLOAT_EUC = 8  # plain Euclidean float distance (the literature's random uniform instances)

KIND_OF = {"EXPLICIT": EXPLICIT, "EUC_2D": EUC_2D, "CEIL_2D": CEIL_2D, "ATT": ATT, "GEO": GEO,
           "MAN_2D": MAN_2D, "MAX_2D": MAX_2D, "EUC_3D": EUC_3D, "FLOAT": FLOAT_EUC}

_RRR = 6378.388


@njit(cache=True)
def coord_scalar(kind, xi, yi, zi, xj, yj, zj):
    """Distance between two points given as scalars, by TSPLIB rules (GEO: radians).

    Hot loops call this rather than a function taking the ``xy`` array: an array argument
    costs reference-count updates on every call, which made each distance ~30 times dearer.
    """
    dx = xi - xj
    dy = yi - yj
    if kind == EUC_2D:
        return float(math.floor(math.sqrt(dx * dx + dy * dy) + 0.5))
    if kind == FLOAT_EUC:
        return math.sqrt(dx * dx + dy * dy)
    if kind == CEIL_2D:
        return float(math.ceil(math.sqrt(dx * dx + dy * dy)))
    if kind == ATT:
        r = math.sqrt((dx * dx + dy * dy) / 10.0)
        t = float(math.floor(r + 0.5))
        return t + 1.0 if t < r else t
    if kind == GEO:
        q1 = math.cos(yi - yj)
        q2 = math.cos(xi - xj)
        q3 = math.cos(xi + xj)
        return float(int(_RRR * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0))
    if kind == MAN_2D:
        return float(math.floor(abs(dx) + abs(dy) + 0.5))
    if kind == MAX_2D:
        return float(max(math.floor(abs(dx) + 0.5), math.floor(abs(dy) + 0.5)))
    dz = zi - zj
    return float(math.floor(math.sqrt(dx * dx + dy * dy + dz * dz) + 0.5))


@njit(inline="always", cache=True)
def coord_dist(kind, xy, i, j):
    """Distance between cities ``i`` and ``j`` computed from coordinates by TSPLIB rules."""
    return coord_scalar(kind, xy[i, 0], xy[i, 1], xy[i, 2], xy[j, 0], xy[j, 1], xy[j, 2])


@njit(inline="always", cache=True)
def dist(kind, xy, mat, i, j):
    """Distance between ``i`` and ``j``: the matrix entry when there is one, else computed."""
    if mat.shape[0] != 0:
        return mat[i, j]
    return coord_scalar(kind, xy[i, 0], xy[i, 1], xy[i, 2], xy[j, 0], xy[j, 1], xy[j, 2])


@njit(void(int64, float64[:, ::1], float64[:, ::1]), cache=True)
def fill_matrix(kind, xy, out):
    """Write every pairwise distance of a coordinate instance into ``out`` (n x n)."""
    n = xy.shape[0]
    for i in range(n):
        out[i, i] = 0.0
        for j in range(i + 1, n):
            d = coord_dist(kind, xy, i, j)
            out[i, j] = d
            out[j, i] = d


@njit(float64(int64, float64[:, ::1], float64[:, ::1], int64[::1]), cache=True)
def tour_cost(kind, xy, mat, tour):
    """Length of the closed tour ``tour`` (city indices in visiting order)."""
    n = tour.shape[0]
    total = 0.0
    for k in range(n):
        total += dist(kind, xy, mat, tour[k - 1] if k > 0 else tour[n - 1], tour[k])
    return total


def empty_matrix() -> np.ndarray:
    """The 0 x 0 matrix that tells kernels to compute distances from coordinates."""
    return np.zeros((0, 0), dtype=np.float64)
