"""The pseudo-Boolean formula as written in an OPB or WBO file (exact Python integers).

A *literal* is a signed 1-based variable index: ``+v`` is ``x<v>``, ``-v`` is ``~x<v>``. A *term*
is ``(coefficient, literals)``; several literals form a product (their conjunction). Coefficients
are Python integers, so arbitrarily large values are held exactly; the solver's instance arrays
refuse what does not fit in int64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A term: (coefficient, literals as signed 1-based variable indices).
Term = tuple[int, tuple[int, ...]]

RELOPS = (">=", "<=", "=", ">", "<")


@dataclass(frozen=True)
class PBConstraint:
    """``sum(terms) relop rhs``; ``weight`` is the WBO cost of violating it (None: hard)."""

    terms: tuple[Term, ...]
    relop: str
    rhs: int
    weight: int | None = None
    line: int | None = field(default=None, compare=False)

    def holds(self, lhs: int) -> bool:
        """Whether a left-hand side value ``lhs`` satisfies this constraint."""
        if self.relop == ">=":
            return lhs >= self.rhs
        if self.relop == "<=":
            return lhs <= self.rhs
        if self.relop == "=":
            return lhs == self.rhs
        if self.relop == ">":
            return lhs > self.rhs
        return lhs < self.rhs


@dataclass(frozen=True)
class PBFormula:
    """A whole OPB/WBO instance: objective (min or max), constraints, WBO top cost."""

    n_vars: int
    constraints: tuple[PBConstraint, ...]
    objective: tuple[Term, ...] | None = None
    sense: str = "min"
    is_wbo: bool = False
    soft_top: int | None = None
    name: str = ""
    header: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def n_soft(self) -> int:
        """Number of soft (weighted) constraints."""
        return sum(1 for c in self.constraints if c.weight is not None)

    @property
    def objective_sign(self) -> int:
        """The factor from the file's objective to the minimised one: -1 for ``max:``, else 1
        (a WBO's cost of violated soft constraints is always minimised)."""
        return -1 if self.sense == "max" and not self.is_wbo else 1

    @property
    def is_nonlinear(self) -> bool:
        """Whether any term is a product of two or more literals."""
        terms = [t for c in self.constraints for t in c.terms]
        terms += list(self.objective or ())
        return any(len(lits) > 1 for _, lits in terms)

