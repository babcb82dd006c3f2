"""Normalise a PB formula into the numpy arrays the local-search kernel works on.

Normal form (as NuPBO): every hard constraint is ``sum a_i * l_i >= d`` with all ``a_i > 0``
(a negative coefficient moves to the negated literal and adds ``|a|`` to ``d``; ``=`` splits in
two; ``<=`` is multiplied by -1); constraints with ``d <= 0`` are dropped. Products of literals
become AND variables with their defining clauses. A WBO soft constraint of cost ``w`` gets a
relaxation variable ``r`` (``... + d*r >= d``) and the objective term ``w*r``. The objective
``min: sum c_j x_j`` becomes soft units of cost ``|c_j|``, *paid* when ``x_j = 1`` (``c_j > 0``)
or ``x_j = 0`` (``c_j < 0``): the minimised value is ``paid cost + obj_offset``. Everything must
fit in int64 or the formula is refused.

Orders and roundings follow NuPBO so that its search can be replayed flip for flip: each
constraint's literals are in the order libstdc++'s ``std::sort`` leaves them, by descending
coefficient, from file order (not stable: see :mod:`.cxxsort`); objective units are in file
order (first appearance of each variable), relaxation units after them; the average
coefficient of a constraint and the average objective cost use C ``round`` (half away from
zero), then at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.pbmodel import PBFormula, Term
from heurevo.solvers.pbo.cxxsort import cxx_sort_order
from heurevo.solvers.pbo.records import INDEX_LIMIT, PBOArrays, pack_instance

#: Largest magnitude any coefficient sum may reach (headroom below 2**63 for the kernel's sums).
INT_LIMIT = 2**62
#: Most variables (indices x1..xN) an instance may declare or use.
MAX_VARS = 50_000_000


@dataclass(frozen=True)
class PBOInstance:
    """CSR arrays of the normalised constraints, occurrence lists and objective soft units."""

    formula: PBFormula
    n_orig: int                 # variables of the formula (1-based x1..xN are 0..N-1)
    n_vars: int                 # plus AND and relaxation variables
    con_start: np.ndarray       # int64[m+1]: literals of constraint c are con_start[c]:con_start[c+1]
    lit_var: np.ndarray         # int32[L]: 0-based variable of each literal
    lit_sign: np.ndarray        # int8[L]: 1 for x, 0 for ~x (the literal is true iff value == sign)
    lit_coef: np.ndarray        # int64[L]: coefficient (> 0), sorted descending within a constraint
    con_degree: np.ndarray      # int64[m]: right-hand side d (> 0)
    con_avg: np.ndarray         # int64[m]: max(1, C round(mean coefficient)), half away from 0
    occ_start: np.ndarray       # int64[n+1]: occurrences of variable v are occ_start[v]:occ_start[v+1]
    occ_con: np.ndarray         # int32[K]: constraint of each occurrence
    occ_lit: np.ndarray         # int32[K]: literal position (index into lit_*) of each occurrence
    obj_var: np.ndarray         # int64[J]: variable of each objective soft unit, in file order
    obj_cost: np.ndarray        # int64[J]: its cost (> 0)
    obj_paid: np.ndarray        # int8[J]: the value of obj_var at which the cost is paid
    var_obj: np.ndarray         # int64[n]: objective unit of each variable, -1 if none
    obj_avg: int                # max(1, C round(total cost / J)), half away from 0
    obj_offset: int             # minimised value = paid cost + obj_offset
    obj_sign: int               # +1 (min:, WBO) or -1 (max:): formula objective = sign * minimised
    unsat_lines: tuple[int | None, ...]  # lines of constraints no assignment can satisfy

    @cached_property
    def arrays(self) -> PBOArrays:
        """The kernel's instance record (these arrays, packed by field name)."""
        return pack_instance(self)

    def __getstate__(self) -> dict:
        """Pickle without the cached record (an unpickled array is writeable again; the record
        is re-packed read-only on first use)."""
        return {k: v for k, v in self.__dict__.items() if k != "arrays"}

    @property
    def n_constraints(self) -> int:
        """Number of normalised hard constraints."""
        return int(self.con_degree.size)

    @property
    def has_objective(self) -> bool:
        """Whether there is anything to minimise."""
        return bool(self.obj_var.size) or self.formula.objective is not None or self.formula.is_wbo


class _Builder:
    """Accumulates normalised constraints and AND/relaxation variables."""

    def __init__(self, formula: PBFormula, path: str) -> None:
        self.formula = formula
        self.path = path
        self.n_vars = formula.n_vars
        self.ands: dict[tuple[int, ...], int] = {}
        self.cons: list[tuple[list[int], list[int], list[int], int]] = []
        self.unsat_lines: list[int | None] = []

    def refuse(self, line: int | None, what: str) -> InstanceFormatError:
        return InstanceFormatError(self.path, line, f"{what} does not fit in int64 "
                                   f"(|value| must stay below 2**62); this solver cannot hold it")

    def linear(self, terms: tuple[Term, ...], line: int | None) -> tuple[dict[int, int], int]:
        """``terms`` as {0-based var: coefficient on x} plus a constant (products → AND vars)."""
        coefs: dict[int, int] = {}
        const = 0
        for coef, lits in terms:
            if coef == 0:
                continue
            lit = self.product_literal(lits, line) if len(lits) > 1 else lits[0]
            if lit == 0:
                continue
            v = abs(lit) - 1
            if lit > 0:
                coefs[v] = coefs.get(v, 0) + coef
            else:
                const += coef
                coefs[v] = coefs.get(v, 0) - coef
        return coefs, const

    def product_literal(self, lits: tuple[int, ...], line: int | None) -> int:
        """A literal equal to the conjunction of ``lits``; 0 when it is always false."""
        key = tuple(sorted(set(lits)))
        if any(-lit in key for lit in key):
            return 0
        if len(key) == 1:
            return key[0]
        if key not in self.ands:
            self.n_vars += 1
            y = self.n_vars
            self.ands[key] = y
            for lit in key:  # y -> lit
                self.add_ge(*self.linear(((1, (-y,)), (1, (lit,))), line), 1, line)
            self.add_ge(*self.linear(((1, (y,)), *((1, (-lit,)) for lit in key)), line), 1, line)
        return self.ands[key]

    def add_ge(self, coefs: dict[int, int], const: int, rhs: int, line: int | None,
               relax_cost: int | None = None) -> bool:
        """Add ``sum coefs*x + const >= rhs``; with ``relax_cost`` it may be relaxed by a new var.

        Returns whether a constraint was added (False when it always holds)."""
        d = rhs - const
        vars_, signs, cs = [], [], []
        for v, c in coefs.items():
            if c > 0:
                vars_.append(v)
                signs.append(1)
                cs.append(c)
            elif c < 0:
                vars_.append(v)
                signs.append(0)
                cs.append(-c)
                d -= c
        if d <= 0:
            return False
        total = sum(cs)
        if total + d >= INT_LIMIT:
            raise self.refuse(line, "the coefficient sum of the constraint")
        if relax_cost is not None:
            vars_.append(self.relax_var)
            signs.append(1)
            cs.append(d)
        elif total < d:
            self.unsat_lines.append(line)
        order = cxx_sort_order(cs)
        self.cons.append(([vars_[i] for i in order], [signs[i] for i in order],
                          [cs[i] for i in order], d))
        return True

    def add(self, coefs: dict[int, int], const: int, relop: str, rhs: int, line: int | None,
            relax_cost: int | None = None) -> bool:
        """Add a constraint with any relational operator as one or two ``>=`` constraints."""
        neg = {v: -c for v, c in coefs.items()}
        added = False
        if relop in (">=", "=", ">"):
            added |= self.add_ge(coefs, const, rhs + (relop == ">"), line, relax_cost)
        if relop in ("<=", "=", "<"):
            added |= self.add_ge(neg, -const, -(rhs - (relop == "<")), line, relax_cost)
        return added

    @property
    def relax_var(self) -> int:
        return self.n_vars - 1


def build_instance(formula: PBFormula, path: str = "<formula>") -> PBOInstance:
    """Normalise ``formula`` into a :class:`PBOInstance` (raises when int64 cannot hold it)."""
    if formula.n_vars > MAX_VARS:
        raise InstanceFormatError(path, None, f"{formula.n_vars} variables; this solver "
                                  f"handles at most {MAX_VARS}")
    b = _Builder(formula, path)
    obj_coefs: dict[int, int] = {}
    obj_const = 0
    if formula.objective is not None:
        obj_coefs, obj_const = b.linear(formula.objective, None)
    for con in formula.constraints:
        coefs, const = b.linear(con.terms, con.line)
        if con.weight is None:
            b.add(coefs, const, con.relop, con.rhs, con.line)
            continue
        b.n_vars += 1  # the relaxation variable; given back when the constraint always holds
        if b.add(coefs, const, con.relop, con.rhs, con.line, relax_cost=con.weight):
            obj_coefs[b.relax_var] = con.weight
        else:
            b.n_vars -= 1
    sign = -1 if formula.sense == "max" else 1
    obj_var, obj_cost, obj_paid = [], [], []
    offset = sign * obj_const
    for v, c in obj_coefs.items():
        c *= sign
        if c == 0:
            continue
        obj_var.append(v)
        obj_cost.append(abs(c))
        obj_paid.append(1 if c > 0 else 0)
        if c < 0:
            offset += c
    total_cost = sum(obj_cost)
    if total_cost + abs(offset) >= INT_LIMIT:
        raise b.refuse(None, "the objective's total cost")
    return _arrays(b, obj_var, obj_cost, obj_paid, total_cost, offset, sign)


def _round_ratio(num: int, den: int) -> int:
    """C ``round(num / den)`` (half away from zero) for ``num >= 0, den > 0``, computed exactly.

    Equal to C's rounding of the double quotient whenever ``num < 2**52``."""
    quot, rem = divmod(num, den)
    return quot + (2 * rem >= den)


def _arrays(b: _Builder, obj_var: list[int], obj_cost: list[int], obj_paid: list[int],
            total_cost: int, offset: int, sign: int) -> PBOInstance:
    n = b.n_vars
    lengths = np.array([len(c[0]) for c in b.cons], dtype=np.int64)
    con_start = np.zeros(len(b.cons) + 1, dtype=np.int64)
    np.cumsum(lengths, out=con_start[1:])
    if con_start[-1] >= INDEX_LIMIT or n >= INDEX_LIMIT:
        raise InstanceFormatError(b.path, None, f"{int(con_start[-1])} literals over {n} variables;"
                                  f" this solver indexes them with int32 (below {INDEX_LIMIT})")
    lit_var = np.fromiter((v for c in b.cons for v in c[0]), np.int64, int(con_start[-1]))
    lit_sign = np.fromiter((s for c in b.cons for s in c[1]), np.int8, int(con_start[-1]))
    lit_coef = np.fromiter((a for c in b.cons for a in c[2]), np.int64, int(con_start[-1]))
    degree = np.array([c[3] for c in b.cons], dtype=np.int64)
    csum = np.concatenate(([0], np.cumsum(lit_coef)))
    sums = csum[con_start[1:]] - csum[con_start[:-1]]
    quot, rem = np.divmod(sums, np.maximum(lengths, 1))
    con_avg = np.maximum(1, quot + (2 * rem >= lengths))
    order = np.argsort(lit_var, kind="stable")
    occ_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(lit_var, minlength=n), out=occ_start[1:])
    lit_con = np.repeat(np.arange(len(b.cons), dtype=np.int64), lengths)
    var_obj = np.full(n, -1, dtype=np.int64)
    var_obj[np.asarray(obj_var, dtype=np.int64)] = np.arange(len(obj_var), dtype=np.int64)
    obj_avg = max(1, _round_ratio(total_cost, len(obj_var))) if obj_var else 1
    return PBOInstance(
        formula=b.formula, n_orig=b.formula.n_vars, n_vars=n, con_start=con_start,
        lit_var=lit_var.astype(np.int32), lit_sign=lit_sign, lit_coef=lit_coef, con_degree=degree, con_avg=con_avg,
        occ_start=occ_start, occ_con=lit_con[order].astype(np.int32),
        occ_lit=order.astype(np.int32),
        obj_var=np.asarray(obj_var, dtype=np.int64), obj_cost=np.asarray(obj_cost, dtype=np.int64),
        obj_paid=np.asarray(obj_paid, dtype=np.int8), var_obj=var_obj, obj_avg=int(obj_avg),
        obj_offset=int(offset), obj_sign=sign, unsat_lines=tuple(b.unsat_lines),
    )
