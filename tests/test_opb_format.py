"""OPB/WBO reading and writing: round trips, lenient forms, precise errors, fuzzing."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.opb import format_pb, parse_pb, read_pb, write_pb
from heurevo.instances.formats.pbmodel import RELOPS, PBConstraint, PBFormula
from heurevo.solvers.pbo.instance import build_instance

N = 6
literal = st.integers(1, N).flatmap(lambda v: st.sampled_from([v, -v]))
term = st.tuples(st.integers(-10**30, 10**30).filter(bool),
                 st.lists(literal, min_size=1, max_size=3).map(tuple))
terms = st.lists(term, min_size=0, max_size=5).map(tuple)


@st.composite
def formulas(draw: st.DrawFn) -> PBFormula:
    wbo = draw(st.booleans())
    cons = tuple(PBConstraint(draw(terms), draw(st.sampled_from(RELOPS)), draw(st.integers(-10**20, 10**20)),
                              draw(st.none() | st.integers(1, 10**6)) if wbo else None)
                 for _ in range(draw(st.integers(0, 5))))
    obj = None if wbo else draw(st.none() | terms)
    return PBFormula(n_vars=N, constraints=cons, objective=obj, sense=draw(st.sampled_from(["min", "max"])) if obj else "min",
                     is_wbo=wbo, soft_top=draw(st.none() | st.integers(1, 10**9)) if wbo else None)


@settings(max_examples=150, deadline=None)
@given(formulas())
def test_write_then_read_is_the_same_formula(f: PBFormula) -> None:
    g = parse_pb(format_pb(f), wbo=f.is_wbo)
    assert (g.n_vars, g.constraints, g.objective, g.is_wbo, g.soft_top) == \
        (f.n_vars, f.constraints, f.objective, f.is_wbo, f.soft_top)
    if f.objective:
        assert g.sense == f.sense


def test_file_round_trip(tmp_path: Path) -> None:
    f = parse_pb("* #variable= 3 #constraint= 1\nmin: +2 x1 -3 ~x2 +1 x1 x3 ;\n+1 x1 +1 x2 >= 1 ;\n")
    g = read_pb(write_pb(f, tmp_path / "a.opb"))
    assert g.constraints == f.constraints and g.objective == f.objective and g.n_vars == 3
    assert g.is_nonlinear and "#product= 1" in (tmp_path / "a.opb").read_text()


def test_lenient_forms() -> None:
    text = ("* #variable= 3 #constraint= 4\n* a comment\nmax: +1 x1\n +2 x2 ;\n"
            "+1x1+1x2>=1;-1 x3 <= 0 ; +3 x1 > 1 ;\n+1 x2 +1 ~x3 < 2\n;\n")
    f = parse_pb(text)
    assert f.sense == "max" and f.objective == ((1, (1,)), (2, (2,)))
    assert [c.relop for c in f.constraints] == [">=", "<=", ">", "<"]
    assert f.constraints[3].terms == ((1, (2,)), (1, (-3,))) and f.constraints[3].line == 6


def test_big_integers_are_exact_and_refused_by_the_solver() -> None:
    big = 2**70 + 1
    f = parse_pb(f"min: +{big} x1 ;\n+{big} x1 +1 x2 >= {big} ;\n", "big.opb")
    assert f.objective == ((big, (1,)),) and f.constraints[0].rhs == big
    with pytest.raises(InstanceFormatError, match=r"big.opb:2: .*int64"):
        build_instance(f, "big.opb")


def test_wbo() -> None:
    f = parse_pb("* #variable= 2 #constraint= 2 #soft= 1\nsoft: 10 ;\n[3] +1 x1 >= 1 ;\n+1 x1 +1 x2 = 1 ;\n", wbo=True)
    assert f.soft_top == 10 and f.constraints[0].weight == 3 and f.constraints[1].weight is None


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("min: +1 x1 ;\n+1 x1 >= ;\n", 2, "right-hand side"),
    ("+1 x1 >= 1\n", 1, "expected ';'"),
    ("+1 x1 +2 >= 1 ;\n", 1, "expected a literal after coefficient 2"),
    ("x1 >= 1 ;\n", 1, "integer coefficient before literal"),
    ("+1 x1 >= 1 ;\n+1 y2 >= 1 ;\n", 2, "got 'y2'"),
    ("+1 x0 >= 1 ;\n", 1, "start at 1"),
    ("+1 x1 >= 1 >= 2 ;\n", 1, "second '>='"),
    ("min: +1 x1 ;\nmin: +1 x2 ;\n", 2, "second objective"),
    ("+1 x1 ;\n", 1, "relational operator"),
    ("[2] +1 x1 >= 1 ;\n", 1, "only valid in WBO"),
])
def test_errors_name_file_line_and_expectation(text: str, line: int, expected: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        parse_pb(text, "bad.opb")
    assert info.value.path == "bad.opb" and info.value.line == line
    assert expected in info.value.reason


def test_wbo_needs_soft_header(tmp_path: Path) -> None:
    p = tmp_path / "x.wbo"
    p.write_text("[2] +1 x1 >= 1 ;\n")
    with pytest.raises(InstanceFormatError, match="soft:"):
        read_pb(p)


def test_binary_file_is_a_format_error(tmp_path: Path) -> None:
    p = tmp_path / "x.opb"
    p.write_bytes(b"\xff\xfe+1 x1 >= 1 ;")
    with pytest.raises(InstanceFormatError, match=r"x\.opb"):
        read_pb(p)


ALPHABET = "x~+-0123456789 ;:=<>[]\n*minaxsoft"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80) | st.text(max_size=40), st.booleans())
def test_random_text_only_raises_format_errors(text: str, wbo: bool) -> None:
    try:
        f = parse_pb(text, "fuzz.opb", wbo=wbo)
    except InstanceFormatError as exc:
        assert exc.path == "fuzz.opb" and exc.line is not None
        return
    try:
        build_instance(f, "fuzz.opb")
    except InstanceFormatError as exc:
        assert "fuzz.opb" in str(exc)


@settings(max_examples=100, deadline=None)
@given(formulas(), st.data())
def test_mutated_valid_text_only_raises_format_errors(f: PBFormula, data: st.DataObject) -> None:
    text = format_pb(f)
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 5)))
    mutated = text[:i] + data.draw(st.text(alphabet=ALPHABET, max_size=3)) + text[j:]
    with contextlib.suppress(InstanceFormatError):
        parse_pb(mutated, "m.opb", wbo=f.is_wbo)


def test_constraint_literals_are_in_std_sort_order() -> None:
    # std::sort (libstdc++) leaves these equal coefficients out of file order (checked with g++)
    ones = " ".join(f"+1 x{i}" for i in range(1, 21))
    mixed = " ".join(f"+{(3, 1, 2, 1)[i % 4]} x{i + 1}" for i in range(20))
    inst = build_instance(parse_pb(f"{ones} >= 1 ;\n{mixed} >= 1 ;\n"))
    assert inst.lit_var[:20].tolist() == [10, 19, 18, 17, 16, 15, 14, 13, 12, 11,
                                          0, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert inst.lit_var[20:].tolist() == [0, 4, 16, 8, 12, 2, 18, 6, 10, 14,
                                          19, 17, 15, 13, 11, 9, 7, 5, 3, 1]
    assert inst.lit_coef[20:].tolist() == [3] * 5 + [2] * 5 + [1] * 10


def test_averages_round_half_away_from_zero() -> None:
    f = parse_pb("min: +2 x1 +3 x2 ;\n+2 x1 +3 x2 >= 1 ;\n+4 x1 +5 x2 >= 1 ;\n"
                 "+1 x1 +1 x2 +1 x3 +2 x4 >= 1 ;\n")
    inst = build_instance(f)
    assert inst.con_avg.tolist() == [3, 5, 1]  # 2.5, 4.5, 1.25 (C round, not round-half-even)
    assert inst.obj_avg == 3  # 5 / 2
    assert build_instance(parse_pb("min: +4 x1 +5 x2 ;\n")).obj_avg == 5


def test_objective_units_keep_file_order() -> None:
    f = parse_pb("min: +5 x3 -2 x1 +4 ~x2 +1 x3 ;\n+1 x1 +1 x2 +1 x3 >= 1 ;\n")
    inst = build_instance(f)
    assert inst.obj_var.tolist() == [2, 0, 1]
    assert inst.obj_cost.tolist() == [6, 2, 4] and inst.obj_paid.tolist() == [1, 0, 0]
    assert inst.var_obj.tolist() == [1, 2, 0] and inst.obj_offset == 4 - 2 - 4
