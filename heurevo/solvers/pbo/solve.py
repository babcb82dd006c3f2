"""``heurevo solve FILE.opb|.wbo``: read, search, verify, and render PB competition output.

Default budget when neither ``--steps`` nor ``--time`` is given: :data:`DEFAULT_TIME_S` seconds.
``SolveOutcome.solution`` lists one literal per original variable, as the ``v`` line does:
``i`` when x_i is true, ``-i`` when it is false (1-based). ``objective`` is the real objective of
the formula (the ``min:``/``max:`` value, or the WBO cost of violated soft constraints).
Status: ``OPTIMUM FOUND`` only when the objective reached a lower bound (the trivial one: every
objective term at its cheapest; ``--lower-bound``; or an optimum that ``optima.csv`` beside the
file marks as proved), where the search also stops; ``UNSATISFIABLE`` only when a single
constraint can never hold; ``SATISFIABLE`` for any other verified solution; ``UNKNOWN`` when none
was found. A ``c`` line sums the run up as TSP's does: objective, status, verified, flips, time.
A file with no constraint and no objective (an empty file) is refused as bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.opb import read_pb
from heurevo.instances.formats.optima import read_optima
from heurevo.solvers.compile import load_heuristics_file
from heurevo.solvers.pbo.instance import PBOInstance, build_instance
from heurevo.solvers.pbo.search import SearchResult, functions_for, search
from heurevo.solvers.pbo.slots import pbo_slots
from heurevo.solvers.pbo.verify import check
from heurevo.solvers.solve import SolveOptions, SolveOutcome

#: Seconds of search when the user gives no budget.
DEFAULT_TIME_S = 10.0


def formula_objective(inst: PBOInstance, paid_cost: int) -> int:
    """The formula's objective for a kernel paid cost (undoes offset and max: negation)."""
    return inst.obj_sign * (paid_cost + inst.obj_offset)


def paid_cost_of(inst: PBOInstance, objective: int) -> int:
    """The kernel's paid cost at which the formula's objective equals ``objective``."""
    return inst.obj_sign * objective - inst.obj_offset


def known_optimum(path: Path) -> int | None:
    """The proved optimum of ``path`` from ``optima.csv`` beside it (kind "optimal ..."), if any."""
    table = path.parent / "optima.csv"
    if not table.is_file():
        return None
    row = read_optima(table, "file", "reference_obj", kind="reference_kind").get(path.name)
    return row[0] if row is not None and row[1].strip().lower().startswith("optimal") else None


def solve_instance(inst: PBOInstance, options: SolveOptions,
                   functions: tuple[Any, ...] | None = None,
                   bound: Bound | None = None) -> SolveOutcome:
    """Search ``inst`` under ``options`` and return a verified :class:`SolveOutcome`.

    ``bound`` (or ``options.lower_bound``) is a value the objective cannot pass; the search
    stops when it gets there and reports the optimum."""
    formula = inst.formula
    if bound is None and options.lower_bound is not None:
        bound = Bound(options.lower_bound, "--lower-bound")
    steps, time_s = options.steps, options.time_s
    if steps is None and time_s is None:
        time_s = DEFAULT_TIME_S
    if inst.unsat_lines:
        lines = ", ".join(str(x) for x in inst.unsat_lines[:5])
        return SolveOutcome(problem="pbo", instance=formula.name, objective=None, verified=True,
                            status="UNSATISFIABLE", steps=0, seconds=0.0, solution=[],
                            text=f"c constraint(s) at line(s) {lines} can never hold\n"
                                 "s UNSATISFIABLE\n",
                            extra={"unsat_lines": list(inst.unsat_lines)})
    stop = paid_cost_of(inst, bound.value) if bound is not None and inst.has_objective else None
    result = search(inst, steps=steps, time_s=time_s, seed=options.seed, functions=functions,
                    stop_cost=stop)
    return _outcome(inst, result, bound if stop is not None else None)


@dataclass(frozen=True)
class Bound:
    """A known bound on the objective and where it came from (for the summary line)."""

    value: int
    source: str


def _outcome(inst: PBOInstance, result: SearchResult, bound: Bound | None) -> SolveOutcome:
    formula = inst.formula
    trace = [(step, secs, float(formula_objective(inst, cost))) for step, secs, cost in result.trace]
    objective: int | None = None
    solution: list[int] = []
    status = "UNKNOWN"
    verified = False
    if result.best_values is not None:
        values = result.best_values[: inst.n_orig]
        claimed = formula_objective(inst, result.best_cost or 0) if inst.has_objective else None
        top = formula.soft_top
        if not (formula.is_wbo and top is not None and claimed is not None and claimed >= top):
            check(formula, values, claimed)
            verified = True
            objective = claimed
            solution = [i + 1 if values[i] else -(i + 1) for i in range(inst.n_orig)]
            has_obj = formula.objective is not None or formula.is_wbo
            at_bound = bound is not None and objective == bound.value
            status = "OPTIMUM FOUND" if (result.optimum or at_bound) and has_obj else "SATISFIABLE"
    lines = [f"o {int(obj)}" for _, _, obj in trace] if inst.has_objective and verified else []
    lines.append("c " + _summary(inst, result, objective, status, verified, bound))
    lines.append(f"s {status}")
    if solution:
        lines.append("v " + " ".join(f"x{lit}" if lit > 0 else f"-x{-lit}" for lit in solution))
    extra = {
        "flips_per_s": result.flips_per_s, "restarts": result.restarts,
        "n_vars": inst.n_orig, "n_kernel_vars": inst.n_vars,
        "n_constraints": len(formula.constraints), "n_kernel_constraints": inst.n_constraints,
    }
    return SolveOutcome(problem="pbo", instance=formula.name, objective=objective,
                        verified=verified, status=status, steps=result.steps,
                        seconds=result.seconds, solution=solution, text="\n".join(lines) + "\n",
                        trace=trace, extra=extra)


def _summary(inst: PBOInstance, result: SearchResult, objective: int | None, status: str,
             verified: bool, bound: Bound | None) -> str:
    """One line like TSP's: size, objective, status, verified, flips and time."""
    formula = inst.formula
    head = f"{formula.name}: {inst.n_orig} variables, {len(formula.constraints)} constraints"
    if not verified:
        found = "no feasible solution found"
    elif objective is None:
        found = "a satisfying assignment (verified)"
    else:
        found = f"objective {objective} ({status.lower()}, verified)"
    why = ""
    if bound is not None and objective is not None and objective == bound.value:
        why = f"; stopped at the known bound {bound.value} ({bound.source})"
    return (f"{head}, {found}; {result.steps} flips in {result.seconds:.2f} s "
            f"({result.flips_per_s:,.0f} flips/s){why}")


def solve_file(path: Path, options: SolveOptions) -> SolveOutcome:
    """Solve an ``.opb``/``.wbo`` file (entry point of ``heurevo solve``)."""
    formula = read_pb(path)
    if not formula.constraints and formula.objective is None and not formula.is_wbo:
        raise InstanceFormatError(path, None, "no constraints and no objective: nothing to "
                                  "solve (an empty file?)")
    inst = build_instance(formula, str(path))
    functions = None
    if options.heuristics is not None:
        functions = functions_for(load_heuristics_file(str(options.heuristics), pbo_slots()))
    bound = None
    if options.lower_bound is None:
        optimum = known_optimum(path)
        bound = Bound(optimum, "optima.csv") if optimum is not None else None
    return solve_instance(inst, options, functions, bound)
