"""Read OPB and WBO files (PB competition format, lenient) and write OPB/WBO.

Accepted beyond the strict format: ``<=``, ``>``, ``<`` and ``max:``; statements over several
lines; several statements on one line; missing spaces around operators (``+1x1>=1;``); a missing
or wrong ``* #variable=`` header (the largest index seen wins). Integers are exact Python ints.
Every malformed input raises :class:`~heurevo.errors.InstanceFormatError` naming the file, the
line and what was expected. Numbers use the ASCII digits 0-9 only; a formula with no statements
at all (an empty file) parses, and ``heurevo solve`` refuses it (exit 2) rather than report it
satisfiable.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.pbmodel import PBConstraint, PBFormula, Term
from heurevo.instances.formats.text import read_text

_TOKEN = re.compile(
    r"([+-]?\d+)"                      # 1 integer
    r"|(~?)x(\d+)"                     # 2, 3 literal
    r"|(>=|<=|=|>|<)"                  # 4 relational operator
    r"|(;)"                            # 5 end of statement
    r"|(min|max|soft)\s*:"             # 6 objective / WBO header
    r"|\[\s*([+-]?\d+)\s*\]"           # 7 WBO cost
    r"|(\S+?)(?=[\s;]|$)"              # 8 anything else, up to a separator
    , re.ASCII)  # digits are 0-9 only: "x１" or "+２" is an error, not x1 or +2
_HEADER = re.compile(r"#(\w+)\s*=\s*(\d+)", re.ASCII)


class _Statement:
    """One statement being assembled from tokens (possibly spread over several lines)."""

    __slots__ = ("coef", "cost", "kind", "line", "lits", "relop", "rhs", "terms")

    def __init__(self, line: int) -> None:
        self.line = line
        self.kind = ""           # "", "min", "max", "soft", "con"
        self.terms: list[Term] = []
        self.coef: int | None = None
        self.lits: list[int] = []
        self.relop = ""
        self.rhs: int | None = None
        self.cost: int | None = None

    def flush(self) -> bool:
        """Close the pending term; False when a coefficient has no literal."""
        if self.lits:
            self.terms.append((self.coef, tuple(self.lits)))  # type: ignore[arg-type]
            self.lits = []
            self.coef = None
            return True
        return self.coef is None


def parse_pb(text: str, path: str | Path | None = None, *, wbo: bool = False) -> PBFormula:
    """Parse OPB (``wbo=False``) or WBO text into a :class:`PBFormula`."""
    where = path if path is not None else "<string>"

    def fail(line: int, message: str) -> InstanceFormatError:
        return InstanceFormatError(where, line, message)

    header: dict[str, int] = {}
    constraints: list[PBConstraint] = []
    objective: tuple[Term, ...] | None = None
    sense = "min"
    top: int | None = None
    seen_top = False
    max_var = 0
    st: _Statement | None = None
    lineno = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = raw.lstrip()
        if not stripped:
            continue
        if stripped[0] == "*":
            if lineno == 1:
                header = {k: int(v) for k, v in _HEADER.findall(stripped)}
            continue
        for m in _TOKEN.finditer(raw):
            if st is None:
                st = _Statement(lineno)
            integer, neg, var, relop, semi, head, cost, junk = m.groups()
            if integer is not None:
                value = int(integer)
                if st.relop:
                    if st.rhs is not None:
                        raise fail(lineno, f"expected ';' after the right-hand side, got '{integer}'")
                    st.rhs = value
                elif st.kind == "soft":
                    if st.rhs is not None:
                        raise fail(lineno, f"expected ';' after the top cost, got '{integer}'")
                    st.rhs = value
                else:
                    if not st.flush():
                        raise fail(lineno, f"expected a literal after coefficient {st.coef}, got '{integer}'")
                    st.kind = st.kind or "con"
                    st.coef = value
            elif var is not None:
                index = int(var)
                if st.relop or st.kind == "soft":
                    raise fail(lineno, f"expected an integer, got literal '{m.group(0)}'")
                if st.coef is None:
                    raise fail(lineno, f"expected an integer coefficient before literal '{m.group(0)}'")
                if index < 1:
                    raise fail(lineno, f"variable indices start at 1, got '{m.group(0)}'")
                max_var = max(max_var, index)
                st.lits.append(-index if neg else index)
            elif relop is not None:
                if st.kind in ("min", "max", "soft"):
                    raise fail(lineno, f"unexpected '{relop}' in the {st.kind}: statement")
                if st.relop:
                    raise fail(lineno, f"expected an integer right-hand side, got a second '{relop}'")
                if not st.flush():
                    raise fail(lineno, f"expected a literal after coefficient {st.coef}, got '{relop}'")
                st.kind = "con"
                st.relop = relop
            elif semi is not None:
                if not st.flush():
                    raise fail(lineno, f"expected a literal after coefficient {st.coef}, got ';'")
                if st.kind in ("min", "max"):
                    if objective is not None:
                        raise fail(lineno, "a second objective function")
                    objective, sense = tuple(st.terms), st.kind
                elif st.kind == "soft":
                    if not wbo:
                        raise fail(lineno, "'soft:' is only valid in WBO files")
                    top, seen_top = st.rhs, True
                elif st.kind == "con":
                    if not st.relop:
                        raise fail(lineno, "expected a relational operator (>=, =, <=) before ';'")
                    if st.rhs is None:
                        raise fail(lineno, "expected an integer right-hand side before ';'")
                    if wbo and st.cost is None and not seen_top:
                        raise fail(st.line, "expected the 'soft:' header before the first constraint")
                    constraints.append(PBConstraint(tuple(st.terms), st.relop, st.rhs, st.cost, st.line))
                elif st.cost is not None:
                    raise fail(lineno, "expected a constraint after the soft cost, got ';'")
                st = None
            elif head is not None:
                if st.kind or st.coef is not None or st.lits or st.cost is not None:
                    raise fail(lineno, f"'{head}:' must start a statement")
                if head == "soft" and not wbo:
                    raise fail(lineno, "'soft:' is only valid in WBO files")
                st.kind = head
            elif cost is not None:
                if not wbo:
                    raise fail(lineno, f"soft cost '{m.group(0)}' is only valid in WBO files")
                if st.kind or st.coef is not None or st.cost is not None:
                    raise fail(lineno, f"a soft cost '{m.group(0)}' must start a constraint")
                st.cost = int(cost)
                if st.cost <= 0:
                    raise fail(lineno, f"soft costs must be positive, got {st.cost}")
            else:
                raise fail(lineno, f"expected a coefficient, literal x<n>, operator or ';', got '{junk}'")
    if st is not None:
        raise fail(lineno, "expected ';' at the end of the last statement")
    if wbo and not seen_top:
        raise fail(lineno or 1, "expected a 'soft:' header in a WBO file")
    if wbo and objective is not None:
        raise fail(lineno, "WBO files have no objective function (costs come from soft constraints)")
    n_vars = max(max_var, header.get("variable", 0))
    return PBFormula(n_vars=n_vars, constraints=tuple(constraints), objective=objective,
                     sense=sense, is_wbo=wbo, soft_top=top, name=Path(str(where)).name,
                     header=header)


def read_pb(path: str | Path) -> PBFormula:
    """Read an ``.opb`` or ``.wbo`` file (chosen by suffix)."""
    p = Path(path)
    return parse_pb(read_text(p, strict=True), p, wbo=p.suffix.lower() == ".wbo")


def _terms_text(terms: tuple[Term, ...]) -> str:
    parts = []
    for coef, lits in terms:
        names = " ".join(f"x{lit}" if lit > 0 else f"~x{-lit}" for lit in lits)
        parts.append(f"{coef:+d} {names}")
    return " ".join(parts)


def format_pb(formula: PBFormula) -> str:
    """The formula as OPB text (WBO text when ``formula.is_wbo``)."""
    out = io.StringIO()
    head = f"* #variable= {formula.n_vars} #constraint= {len(formula.constraints)}"
    products = [lits for c in formula.constraints for _, lits in c.terms if len(lits) > 1]
    products += [lits for _, lits in formula.objective or () if len(lits) > 1]
    if products:
        head += f" #product= {len(products)} sizeproduct= {sum(len(p) for p in products)}"
    if formula.is_wbo:
        head += f" #soft= {formula.n_soft}"
    out.write(head + "\n")
    if formula.is_wbo:
        out.write(f"soft: {'' if formula.soft_top is None else formula.soft_top} ;\n")
    elif formula.objective is not None:
        out.write(f"{formula.sense}: {_terms_text(formula.objective)} ;\n")
    for c in formula.constraints:
        cost = f"[{c.weight}] " if c.weight is not None else ""
        out.write(f"{cost}{_terms_text(c.terms)} {c.relop} {c.rhs} ;\n")
    return out.getvalue()


def write_pb(formula: PBFormula, path: str | Path) -> Path:
    """Write ``formula`` to ``path`` as OPB (or WBO) text; returns the path."""
    p = Path(path)
    p.write_text(format_pb(formula), encoding="utf-8")
    return p
