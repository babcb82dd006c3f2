"""TSPLIB ``.tsp`` and ``.tour`` files: read instances, read and write tours.

Supported: ``TYPE: TSP`` with ``EDGE_WEIGHT_TYPE`` EUC_2D, CEIL_2D, ATT, GEO, MAN_2D, MAX_2D,
EUC_3D and EXPLICIT (FULL_MATRIX and the row/column, with or without diagonal, triangle
variants). Node ids need not be 1..n: they are mapped to 0..n-1 in file order and kept in
:attr:`TsplibInstance.node_ids` for tours. Distances are computed elsewhere
(:mod:`heurevo.solvers.tsp.distance` for kernels, :mod:`heurevo.solvers.tsp.verify` for the
independent check); this module only turns text into arrays. Every malformed input raises
:class:`~heurevo.errors.InstanceFormatError` naming the file, the line and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.text import read_text

COORD_TYPES = {"EUC_2D": 2, "CEIL_2D": 2, "ATT": 2, "GEO": 2, "MAN_2D": 2, "MAX_2D": 2, "EUC_3D": 3}
EXPLICIT_FORMATS = (
    "FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW",
    "UPPER_COL", "LOWER_COL", "UPPER_DIAG_COL", "LOWER_DIAG_COL",
)
#: Column-wise triangles read exactly like the opposite row-wise triangle of a symmetric matrix.
_COL_AS_ROW = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW",
               "UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}
_KNOWN_KEYS = {"NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "EDGE_WEIGHT_TYPE",
               "EDGE_WEIGHT_FORMAT", "EDGE_DATA_FORMAT", "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE"}
#: Largest |coordinate| and edge weight accepted: distances and tour lengths of up to 10^6
#: cities then fit in 64-bit integers with room to spare.
MAX_ABS_COORD = 1e9
MAX_WEIGHT = 10**12
#: Longest NAME (it becomes a file name: tours, caches).
MAX_NAME = 200
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|nan)", re.I)
_SECTIONS = {"NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "DISPLAY_DATA_SECTION", "TOUR_SECTION",
             "DEPOT_SECTION", "DEMAND_SECTION", "FIXED_EDGES_SECTION", "EDGE_DATA_SECTION"}


@dataclass(frozen=True)
class TsplibInstance:
    """A parsed symmetric TSP: coordinates (n x 2 or n x 3) or an explicit n x n matrix."""

    name: str
    dimension: int
    edge_weight_type: str
    node_ids: np.ndarray  # int64[n], the ids the file uses, in file order
    coords: np.ndarray | None = None  # float64[n, 2|3] for coordinate types
    matrix: np.ndarray | None = None  # int64[n, n] for EXPLICIT
    comments: tuple[str, ...] = ()
    path: str = "<string>"
    display: np.ndarray | None = field(default=None, compare=False)

    @property
    def n(self) -> int:
        """Number of cities."""
        return self.dimension

    def index_of(self) -> dict[int, int]:
        """Map from file node id to 0-based index."""
        return {int(v): i for i, v in enumerate(self.node_ids)}


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line:
            yield no, line


class _Reader:
    """Line cursor with peek, for the section parsers."""

    def __init__(self, text: str, path: str):
        self.items = list(_lines(text))
        self.i = 0
        self.path = path

    def error(self, line: int | None, message: str) -> InstanceFormatError:
        return InstanceFormatError(self.path, line, message)

    def done(self) -> bool:
        return self.i >= len(self.items)

    def peek(self) -> tuple[int, str]:
        return self.items[self.i]

    def take(self) -> tuple[int, str]:
        item = self.items[self.i]
        self.i += 1
        return item

    def last_line(self) -> int | None:
        return self.items[-1][0] if self.items else None


def _keyword(line: str) -> tuple[str, str | None]:
    """``KEY : value`` → (KEY, value); a bare section name → (NAME, None)."""
    if ":" in line:
        key, _, value = line.partition(":")
        return key.strip().upper(), value.strip()
    head = line.split()[0].upper()
    return head, None


def _is_header(line: str) -> bool:
    key, _ = _keyword(line)
    return key in _KNOWN_KEYS or key in _SECTIONS or key == "EOF"


def _number(token: str, line: int, rd: _Reader, what: str) -> float:
    if not _NUMBER.fullmatch(token):  # float() also takes "1_0" and other scripts' digits
        raise rd.error(line, f"expected a number for {what}, got {token!r}")
    try:
        value = float(token)
    except ValueError:
        raise rd.error(line, f"expected a number for {what}, got {token!r}") from None
    if not np.isfinite(value):
        raise rd.error(line, f"{what} must be finite, got {token!r}")
    return value


def _node_id(token: str, line: int, rd: _Reader) -> int:
    if not _INTEGER.fullmatch(token):
        raise rd.error(line, f"expected an integer node id, got {token!r}")
    try:
        return int(token)
    except ValueError:
        raise rd.error(line, f"expected an integer node id, got {token!r}") from None


def _read_coords(rd: _Reader, n: int, dims: int, section: str) -> tuple[np.ndarray, np.ndarray]:
    left = len(rd.items) - rd.i
    if left < n:  # before allocating: DIMENSION may be absurd
        raise rd.error(rd.last_line(), f"{section} can have at most {left} node lines, "
                                       f"DIMENSION says {n}")
    ids = np.empty(n, dtype=np.int64)
    xy = np.empty((n, dims), dtype=np.float64)
    seen: dict[int, int] = {}
    for k in range(n):
        if rd.done() or _is_header(rd.peek()[1]):
            line = rd.peek()[0] if not rd.done() else rd.last_line()
            raise rd.error(line, f"{section} has {k} node lines, DIMENSION says {n}")
        no, text = rd.take()
        parts = text.split()
        if len(parts) != dims + 1:
            raise rd.error(no, f"{section} line needs a node id and {dims} coordinates, "
                               f"got {len(parts)} fields")
        node = _node_id(parts[0], no, rd)
        if node in seen:
            raise rd.error(no, f"node id {node} appears twice in {section}")
        seen[node] = k
        ids[k] = node
        for d in range(dims):
            x = _number(parts[d + 1], no, rd, f"coordinate {d + 1} of node {node}")
            if abs(x) > MAX_ABS_COORD:
                raise rd.error(no, f"coordinate {d + 1} of node {node} is {parts[d + 1]!r}; "
                                   f"coordinates must be within ±{MAX_ABS_COORD:g}")
            xy[k, d] = x
    if not rd.done() and not _is_header(rd.peek()[1]):
        no, _ = rd.peek()
        raise rd.error(no, f"{section} has more than DIMENSION={n} node lines")
    return ids, xy


def _read_weights(rd: _Reader, n: int, fmt: str) -> np.ndarray:
    fmt = _COL_AS_ROW.get(fmt, fmt)
    counts = {"FULL_MATRIX": n * n, "UPPER_ROW": n * (n - 1) // 2, "LOWER_ROW": n * (n - 1) // 2,
              "UPPER_DIAG_ROW": n * (n + 1) // 2, "LOWER_DIAG_ROW": n * (n + 1) // 2}
    need = counts[fmt]
    values: list[float] = []
    while len(values) < need:
        if rd.done() or _is_header(rd.peek()[1]):
            line = rd.peek()[0] if not rd.done() else rd.last_line()
            raise rd.error(line, f"EDGE_WEIGHT_SECTION has {len(values)} numbers, "
                                 f"{fmt} with DIMENSION={n} needs {need}")
        no, text = rd.take()
        for tok in text.split():
            w = _number(tok, no, rd, "an edge weight")
            if not 0 <= w <= MAX_WEIGHT:
                raise rd.error(no, f"edge weight {tok!r} is out of range: weights must be "
                                   f"integers from 0 to {MAX_WEIGHT:.0e}")
            values.append(w)
        if len(values) > need:
            raise rd.error(no, f"EDGE_WEIGHT_SECTION has more than the {need} numbers "
                               f"{fmt} with DIMENSION={n} needs")
    w = np.asarray(values, dtype=np.float64)
    if np.any(w != np.round(w)):
        raise InstanceFormatError(rd.path, None, "EDGE_WEIGHT_SECTION weights must be integers")
    m = np.zeros((n, n), dtype=np.int64)
    if fmt == "FULL_MATRIX":
        m[:, :] = w.reshape(n, n)
        if not np.array_equal(m, m.T):
            raise InstanceFormatError(rd.path, None, "FULL_MATRIX is not symmetric; "
                                                     "only symmetric TSP is supported")
        return m
    it = iter(w.astype(np.int64))
    for i in range(n):
        if fmt == "UPPER_ROW":
            cols: Sequence[int] = range(i + 1, n)
        elif fmt == "LOWER_ROW":
            cols = range(i)
        elif fmt == "UPPER_DIAG_ROW":
            cols = range(i, n)
        else:
            cols = range(i + 1)
        for j in cols:
            m[i, j] = m[j, i] = next(it)
    return m


def parse_tsp(text: str, path: str | Path = "<string>") -> TsplibInstance:
    """Parse the text of a TSPLIB ``.tsp`` file; raises :class:`InstanceFormatError`."""
    rd = _Reader(text, str(path))
    spec: dict[str, str] = {}
    comments: list[str] = []
    coords = ids = matrix = display = None
    while not rd.done():
        no, line = rd.take()
        key, value = _keyword(line)
        if key == "EOF":
            break
        if value is not None and key in _KNOWN_KEYS:
            if key == "COMMENT":
                comments.append(value)
            elif key in spec:
                raise rd.error(no, f"{key} is given twice")
            else:
                spec[key] = value
            continue
        if key not in _SECTIONS:
            raise rd.error(no, f"unknown keyword or stray data {line[:40]!r}")
        n = _dimension(spec, rd, no)
        wtype = spec.get("EDGE_WEIGHT_TYPE", "").upper()
        if key == "NODE_COORD_SECTION":
            if wtype not in COORD_TYPES:
                raise rd.error(no, f"NODE_COORD_SECTION needs a coordinate EDGE_WEIGHT_TYPE, "
                                   f"got {wtype or 'none'}")
            ids, coords = _read_coords(rd, n, COORD_TYPES[wtype], key)
        elif key == "DISPLAY_DATA_SECTION":
            _, display = _read_coords(rd, n, 2, key)
        elif key == "EDGE_WEIGHT_SECTION":
            fmt = spec.get("EDGE_WEIGHT_FORMAT", "").upper()
            if wtype != "EXPLICIT":
                raise rd.error(no, f"EDGE_WEIGHT_SECTION needs EDGE_WEIGHT_TYPE: EXPLICIT, got {wtype}")
            if fmt not in EXPLICIT_FORMATS:
                raise rd.error(no, f"unsupported EDGE_WEIGHT_FORMAT {fmt or 'none'}; "
                                   f"supported: {', '.join(EXPLICIT_FORMATS)}")
            matrix = _read_weights(rd, n, fmt)
        else:
            raise rd.error(no, f"{key} is not supported for TYPE: TSP")
    return _finish(rd, spec, comments, ids, coords, matrix, display)


def _dimension(spec: dict[str, str], rd: _Reader, line: int) -> int:
    if "DIMENSION" not in spec:
        raise rd.error(line, "a section starts before DIMENSION is given")
    try:
        if not _INTEGER.fullmatch(spec["DIMENSION"]):
            raise ValueError
        n = int(spec["DIMENSION"])
    except ValueError:
        raise rd.error(line, f"DIMENSION must be an integer, got {spec['DIMENSION']!r}") from None
    if n < 1:
        raise rd.error(line, f"DIMENSION must be at least 1, got {n}")
    return n


def _finish(rd: _Reader, spec: dict[str, str], comments: list[str], ids: np.ndarray | None,
            coords: np.ndarray | None, matrix: np.ndarray | None,
            display: np.ndarray | None) -> TsplibInstance:
    ptype = spec.get("TYPE", "TSP").split()[0].upper() if spec.get("TYPE") else "TSP"
    if ptype != "TSP":
        raise rd.error(None, f"TYPE {ptype} is not supported (only symmetric TSP)")
    wtype = spec.get("EDGE_WEIGHT_TYPE", "").upper()
    if wtype not in COORD_TYPES and wtype != "EXPLICIT":
        raise rd.error(None, f"unsupported EDGE_WEIGHT_TYPE {wtype or 'none'}; supported: "
                             f"{', '.join([*COORD_TYPES, 'EXPLICIT'])}")
    n = _dimension(spec, rd, rd.last_line() or 1)
    if wtype == "EXPLICIT":
        if matrix is None:
            raise rd.error(None, "EDGE_WEIGHT_TYPE EXPLICIT but no EDGE_WEIGHT_SECTION")
        ids = np.arange(1, n + 1, dtype=np.int64)
    elif coords is None or ids is None:
        raise rd.error(None, f"EDGE_WEIGHT_TYPE {wtype} but no NODE_COORD_SECTION")
    name = spec.get("NAME") or Path(rd.path).stem
    if len(name) > MAX_NAME or any(c in name for c in "/\\\0") or name in (".", ".."):
        raise rd.error(None, f"NAME {name[:40]!r}{'...' if len(name) > 40 else ''} cannot be "
                             f"used: at most {MAX_NAME} characters, no '/', '\\' or NUL")
    return TsplibInstance(name=name, dimension=n, edge_weight_type=wtype, node_ids=ids,
                          coords=coords, matrix=matrix, comments=tuple(comments),
                          path=rd.path, display=display)


def read_tsp(path: str | Path) -> TsplibInstance:
    """Read a TSPLIB ``.tsp`` file."""
    p = Path(path)
    return parse_tsp(read_text(p), p)


def parse_tour(text: str, path: str | Path = "<string>") -> list[int]:
    """Parse a TSPLIB ``.tour`` text into the list of node ids in TOUR_SECTION order."""
    rd = _Reader(text, str(path))
    tour: list[int] = []
    dimension: int | None = None
    in_section = False
    while not rd.done():
        no, line = rd.take()
        if in_section:
            for tok in line.split():
                if tok.upper() == "EOF" or tok == "-1":
                    in_section = False
                    break
                tour.append(_node_id(tok, no, rd))
            continue
        key, value = _keyword(line)
        if key == "EOF":
            break
        if key == "TOUR_SECTION":
            in_section = True
        elif key == "DIMENSION" and value is not None:
            try:
                if not _INTEGER.fullmatch(value):
                    raise ValueError
                dimension = int(value)
            except ValueError:
                raise rd.error(no, f"DIMENSION must be an integer, got {value!r}") from None
        elif key == "TYPE" and value is not None and (value.split() or [""])[0].upper() != "TOUR":
            raise rd.error(no, f"TYPE {value} is not a tour")
        elif key not in _KNOWN_KEYS:
            raise rd.error(no, f"unknown keyword or stray data {line[:40]!r}")
    if not tour:
        raise rd.error(None, "no TOUR_SECTION with node ids")
    if dimension is not None and dimension != len(tour):
        raise rd.error(None, f"TOUR_SECTION lists {len(tour)} nodes, DIMENSION says {dimension}")
    return tour


def read_tour(path: str | Path) -> list[int]:
    """Read a TSPLIB ``.tour`` file: node ids as written in the file."""
    p = Path(path)
    return parse_tour(read_text(p), p)


def tour_to_indices(instance: TsplibInstance, node_ids: Sequence[int], path: str = "<tour>") -> np.ndarray:
    """Map a tour of file node ids to 0-based indices; raises on an unknown id."""
    index = instance.index_of()
    out = np.empty(len(node_ids), dtype=np.int64)
    for k, node in enumerate(node_ids):
        if node not in index:
            raise InstanceFormatError(path, None, f"tour node {node} is not a node of {instance.name}")
        out[k] = index[node]
    return out


def format_tour(name: str, node_ids: Sequence[int], comment: str | None = None) -> str:
    """The text of a TSPLIB ``.tour`` file for ``node_ids``."""
    head = [f"NAME : {name}", "TYPE : TOUR"]
    if comment:
        head.append(f"COMMENT : {comment}")
    head += [f"DIMENSION : {len(node_ids)}", "TOUR_SECTION"]
    return "\n".join([*head, *(str(int(v)) for v in node_ids), "-1", "EOF", ""])


def write_tour(path: str | Path, name: str, node_ids: Sequence[int], comment: str | None = None) -> None:
    """Write ``node_ids`` as a TSPLIB ``.tour`` file."""
    Path(path).write_text(format_tour(name, node_ids, comment), encoding="utf-8")
