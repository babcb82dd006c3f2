"""Instance arrays for the TSP kernels: coordinates or matrix, and k-nearest candidate lists.

Coordinate instances up to :data:`MATRIX_LIMIT` cities get a precomputed float64 distance
matrix (a lookup is cheaper than a square root); larger ones are served on the fly from the
coordinates, so 10^5 cities need O(n k) memory, not O(n^2). Candidate lists come from
scikit-learn's KD-tree (Euclidean order for EUC/CEIL/ATT/float, Manhattan and Chebyshev for
MAN_2D and MAX_2D, chord length on the sphere for GEO) or from the rows of an explicit matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KDTree

from heurevo.benchmarks.formats.tsplib import TsplibInstance
from heurevo.solvers.tsp import distance as D

MATRIX_LIMIT = 2500
DEFAULT_NEIGHBOURS = 8

_PI = 3.141592


@dataclass(frozen=True)
class TspArrays:
    """What a kernel needs: distance kind, coordinates, optional matrix, candidate lists."""

    name: str
    kind: int
    xy: np.ndarray  # float64[n, 3], C-contiguous
    mat: np.ndarray  # float64[n, n] or float64[0, 0]
    neighbours: np.ndarray  # int64[n, k], nearest first, never the city itself
    integer: bool  # TSPLIB integer lengths (True) or float lengths (literature instances)

    @property
    def n(self) -> int:
        """Number of cities."""
        return int(self.xy.shape[0])

    def distance(self, i: int, j: int) -> float:
        """Distance between two cities (through the kernel function)."""
        if self.mat.shape[0]:
            return float(self.mat[i, j])
        return float(D.coord_dist(self.kind, self.xy, i, j))

    def length(self, tour: np.ndarray) -> float:
        """Length of a closed tour, computed by the kernel."""
        return float(D.tour_cost(self.kind, self.xy, self.mat, np.ascontiguousarray(tour, dtype=np.int64)))


def geo_radians(coords: np.ndarray) -> np.ndarray:
    """TSPLIB GEO DDD.MM coordinates to radians (degrees truncated, PI = 3.141592)."""
    deg = np.trunc(coords)
    minutes = coords - deg
    return _PI * (deg + 5.0 * minutes / 3.0) / 180.0


def candidate_lists(kind: int, xy: np.ndarray, mat: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` nearest other cities of every city (int64[n, min(k, n-1)]), nearest first."""
    n = xy.shape[0]
    k = max(0, min(k, n - 1))
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64)
    if kind == D.EXPLICIT:
        work = mat.copy()
        np.fill_diagonal(work, np.inf)
        idx = np.argsort(work, axis=1, kind="stable")[:, :k]
        return np.ascontiguousarray(idx, dtype=np.int64)
    if kind == D.GEO:
        lat, lon = xy[:, 0], xy[:, 1]
        pts = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        metric = "euclidean"
    else:
        dims = 3 if kind == D.EUC_3D else 2
        pts = xy[:, :dims]
        metric = {D.MAN_2D: "manhattan", D.MAX_2D: "chebyshev"}.get(kind, "euclidean")
    tree = KDTree(pts, metric=metric)
    _, idx = tree.query(pts, k=k + 1)
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        row = idx[i][idx[i] != i]  # duplicates of a point may come before the point itself
        out[i] = row[:k]
    return out


def _make(name: str, kind: int, xy: np.ndarray, k: int, integer: bool,
          mat: np.ndarray | None = None, matrix_limit: int = MATRIX_LIMIT) -> TspArrays:
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    if mat is None:
        if xy.shape[0] <= matrix_limit:
            mat = np.empty((xy.shape[0], xy.shape[0]), dtype=np.float64)
            D.fill_matrix(kind, xy, mat)
        else:
            mat = D.empty_matrix()
    mat = np.ascontiguousarray(mat, dtype=np.float64)
    nbrs = candidate_lists(kind, xy, mat, k)
    return TspArrays(name=name, kind=kind, xy=xy, mat=mat, neighbours=nbrs, integer=integer)


def arrays_from_tsplib(inst: TsplibInstance, k: int = DEFAULT_NEIGHBOURS,
                       matrix_limit: int = MATRIX_LIMIT) -> TspArrays:
    """Kernel arrays for a parsed TSPLIB instance."""
    kind = D.KIND_OF[inst.edge_weight_type]
    n = inst.n
    xy = np.zeros((n, 3), dtype=np.float64)
    if kind == D.EXPLICIT:
        assert inst.matrix is not None
        return _make(inst.name, kind, xy, k, True, mat=inst.matrix.astype(np.float64))
    assert inst.coords is not None
    pts = geo_radians(inst.coords) if kind == D.GEO else inst.coords
    xy[:, : pts.shape[1]] = pts
    return _make(inst.name, kind, xy, k, True, matrix_limit=matrix_limit)


def arrays_from_points(points: np.ndarray, k: int = DEFAULT_NEIGHBOURS, name: str = "points",
                       matrix_limit: int = MATRIX_LIMIT) -> TspArrays:
    """Kernel arrays for float 2-D points with plain Euclidean distances (literature protocol)."""
    pts = np.asarray(points, dtype=np.float64)
    xy = np.zeros((pts.shape[0], 3), dtype=np.float64)
    xy[:, :2] = pts[:, :2]
    return _make(name, D.FLOAT_EUC, xy, k, False, matrix_limit=matrix_limit)
