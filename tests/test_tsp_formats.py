"""TSPLIB parsing, distance conventions, tour files and malformed input."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.tsplib import (
    format_tour,
    parse_tour,
    parse_tsp,
    read_tour,
    read_tsp,
    tour_to_indices,
    write_tour,
)
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.instance import arrays_from_tsplib


def _coord_file(wtype: str, rows: list[tuple], ids: list[int] | None = None) -> str:
    ids = ids or list(range(1, len(rows) + 1))
    body = "\n".join(f"{i} " + " ".join(str(v) for v in r) for i, r in zip(ids, rows, strict=True))
    return (f"NAME : t\nTYPE : TSP\nDIMENSION : {len(rows)}\nEDGE_WEIGHT_TYPE : {wtype}\n"
            f"NODE_COORD_SECTION\n{body}\nEOF\n")


def _both(text: str, i: int = 0, j: int = 1) -> tuple[int, float]:
    inst = parse_tsp(text)
    return verify.edge_length_function(inst)(i, j), arrays_from_tsplib(inst).distance(i, j)


@pytest.mark.parametrize(("wtype", "rows", "expected"), [
    ("EUC_2D", [(0, 0), (1, 1)], 1),           # nint(1.414)
    ("EUC_2D", [(0, 0), (3, 4)], 5),
    ("CEIL_2D", [(0, 0), (1, 1)], 2),          # ceil(1.414)
    ("CEIL_2D", [(0, 0), (3, 4)], 5),
    ("ATT", [(0, 0), (10, 0)], 4),             # r = 3.162, t = 3 < r
    ("ATT", [(0, 0), (10, 30)], 10),           # r = 10 exactly
    ("MAN_2D", [(0, 0), (1.4, 2.4)], 4),       # nint(3.8)
    ("MAX_2D", [(0, 0), (1.4, 2.4)], 2),       # max(nint 1.4, nint 2.4)
    ("EUC_3D", [(0, 0, 0), (1, 2, 2)], 3),
    ("GEO", [(0.0, 0.0), (0.0, 1.0)], 112),    # 6378.388 * 3.141592/180 = 111.32 -> +1 -> 112
    ("GEO", [(0.0, 0.0), (0.0, 1.30)], 167),   # 1 deg 30 min = 1.5 deg: 166.98 -> 167
    ("GEO", [(0.0, 0.0), (0.0, -1.30)], 167),  # truncation toward zero for negative DDD.MM
])
def test_hand_computed_distances(wtype: str, rows: list[tuple], expected: int) -> None:
    ref, kernel = _both(_coord_file(wtype, rows))
    assert ref == expected
    assert kernel == expected


def test_tsplib_check_values(shared_tsplib) -> None:
    for name, expected in (("pcb442", 221440), ("att532", 309636)):
        inst = read_tsp(shared_tsplib / f"{name}.tsp")
        ident = np.arange(inst.n)
        assert verify.tour_length(inst, ident) == expected
        assert arrays_from_tsplib(inst).length(ident) == expected
        big = arrays_from_tsplib(inst, matrix_limit=0)  # distances computed on the fly
        assert big.mat.shape == (0, 0) and big.length(ident) == expected


def test_opt_tours_give_listed_optima(shared_tsplib) -> None:
    with (shared_tsplib / "optima.csv").open() as fh:
        optima = {r["name"]: int(r["optimal_length"]) for r in csv.DictReader(fh)}
    tours = sorted(shared_tsplib.glob("*.opt.tour"))
    assert tours
    for tf in tours:
        name = tf.name.removesuffix(".opt.tour")
        inst = read_tsp(shared_tsplib / f"{name}.tsp")
        order = tour_to_indices(inst, read_tour(tf))
        assert verify.tour_length(inst, order) == optima[name], name
        assert arrays_from_tsplib(inst).length(order) == optima[name], name


FULL = np.array([[0, 3, 5, 9], [3, 0, 4, 7], [5, 4, 0, 2], [9, 7, 2, 0]])


def _explicit(fmt: str) -> str:
    n = FULL.shape[0]
    row_fmt = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW",
               "UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}.get(fmt, fmt)
    cols = {"FULL_MATRIX": lambda i: range(n), "UPPER_ROW": lambda i: range(i + 1, n),
            "LOWER_ROW": lambda i: range(i), "UPPER_DIAG_ROW": lambda i: range(i, n),
            "LOWER_DIAG_ROW": lambda i: range(i + 1)}[row_fmt]
    values = [str(FULL[i, j]) for i in range(n) for j in cols(i)]
    # spread the numbers over lines of three, unrelated to matrix rows, as real files do
    lines = [" ".join(values[k:k + 3]) for k in range(0, len(values), 3)]
    return ("NAME: m\nTYPE: TSP\nDIMENSION: 4\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
            f"EDGE_WEIGHT_FORMAT: {fmt}\nEDGE_WEIGHT_SECTION\n" + "\n".join(lines) + "\nEOF\n")


@pytest.mark.parametrize("fmt", ["FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW",
                                 "LOWER_DIAG_ROW", "UPPER_COL", "LOWER_COL", "UPPER_DIAG_COL",
                                 "LOWER_DIAG_COL"])
def test_explicit_formats(fmt: str) -> None:
    inst = parse_tsp(_explicit(fmt))
    assert np.array_equal(inst.matrix, FULL)
    arrays = arrays_from_tsplib(inst)
    assert arrays.length(np.array([0, 1, 2, 3])) == 3 + 4 + 2 + 9
    assert verify.tour_length(inst, [0, 2, 1, 3]) == 5 + 4 + 7 + 9
    assert arrays.neighbours[0].tolist()[:2] == [1, 2]


def test_node_ids_not_one_to_n_and_tour_roundtrip(tmp_path) -> None:
    inst = parse_tsp(_coord_file("EUC_2D", [(0, 0), (0, 10), (10, 10), (10, 0)], ids=[40, 7, 12, 3]))
    assert inst.node_ids.tolist() == [40, 7, 12, 3]
    order = tour_to_indices(inst, [40, 3, 12, 7])
    assert order.tolist() == [0, 3, 2, 1]
    assert verify.tour_length(inst, order) == 40
    path = tmp_path / "t.tour"
    write_tour(path, "t", [40, 3, 12, 7], comment="length 40")
    assert read_tour(path) == [40, 3, 12, 7]
    with pytest.raises(InstanceFormatError, match="not a node"):
        tour_to_indices(inst, [40, 3, 12, 99])


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("NAME: a\nTYPE: TSP\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n", 4, "before DIMENSION"),
    ("NAME: a\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nEOF\n", 7, "has 2 node lines"),
    ("NAME: a\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n1 1 1\n", 6, "appears twice"),
    ("NAME: a\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 x 1\n", 6, "expected a number"),
    ("NAME: a\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1\n", 6, "needs a node id and 2"),
    ("NAME: a\nDIMENSION: 2\nFOO: 1\n", 3, "unknown keyword"),
    ("NAME: a\nDIMENSION: two\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n", 4, "must be an integer"),
    ("NAME: a\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\nEDGE_WEIGHT_SECTION\n1 2\n", 6, "more than"),
    ("NAME: a\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: FUNKY\nEDGE_WEIGHT_SECTION\n1\n", 5, "unsupported EDGE_WEIGHT_FORMAT"),
])
def test_malformed_files_name_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        parse_tsp(text, "bad.tsp")
    assert info.value.path == "bad.tsp"
    assert info.value.line == line
    assert reason in info.value.reason


def test_unsupported_type_and_weight_type() -> None:
    with pytest.raises(InstanceFormatError, match="ATSP"):
        parse_tsp("NAME: a\nTYPE: ATSP\nDIMENSION: 1\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n")
    with pytest.raises(InstanceFormatError, match="unsupported EDGE_WEIGHT_TYPE"):
        parse_tsp("NAME: a\nTYPE: TSP\nDIMENSION: 1\nEDGE_WEIGHT_TYPE: XRAY1\n")


def test_malformed_tours() -> None:
    with pytest.raises(InstanceFormatError, match="no TOUR_SECTION"):
        parse_tour("NAME: x\nTYPE: TOUR\n")
    with pytest.raises(InstanceFormatError, match="DIMENSION says 3"):
        parse_tour("DIMENSION: 3\nTOUR_SECTION\n1\n2\n-1\n")
    with pytest.raises(InstanceFormatError) as info:
        parse_tour("TOUR_SECTION\n1\nzz\n-1\n", "x.tour")
    assert info.value.line == 3
    assert parse_tour(format_tour("x", [3, 1, 2])) == [3, 1, 2]


VALID = _coord_file("EUC_2D", [(0, 0), (0, 10), (10, 10), (10, 0), (5, 5)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(VALID)), junk=st.text(max_size=12), at=st.integers(0, len(VALID)))
def test_corrupted_files_parse_or_raise_format_error(cut: int, junk: str, at: int) -> None:
    text = VALID[:at] + junk + VALID[at:cut] if at < cut else VALID[:cut] + junk
    try:
        inst = parse_tsp(text, "fuzz.tsp")
    except InstanceFormatError as exc:
        assert exc.path == "fuzz.tsp" and exc.reason
        return
    assert inst.n == len(inst.node_ids)
    assert inst.coords is not None and inst.coords.shape[0] == inst.n
