"""One entry point to solve an instance file, dispatched on its suffix to the problem's solver.

The suffix is looked up in the problem registry. A problem may name its own solve function
(``ProblemInfo.solve``, with time budgets and extra output); otherwise the file is solved
through its :class:`~heurevo.solvers.problem.ProblemAdapter`, which every plug-in has.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from heurevo.errors import SolverError
from heurevo.registry import Registry, resolve
from heurevo.solvers.problem import (
    PROBLEMS,
    ProblemInfo,
    get_problem,
    problem_for_suffix,
    problem_info,
)


@dataclass(frozen=True)
class SolveOptions:
    """What the user asked of one solve: budget (steps and/or seconds), seed, slot overrides."""

    steps: int | None = None
    time_s: float | None = None
    seed: int = 1
    heuristics: Path | None = None
    tour_out: Path | None = None
    quiet: bool = False
    lower_bound: int | None = None  # a bound the objective cannot pass: stop on reaching it


@dataclass(frozen=True)
class SolveOutcome:
    """A verified result of one solve, printable as text or JSON."""

    problem: str
    instance: str
    objective: float | int | None
    verified: bool
    status: str
    steps: int
    seconds: float
    solution: list[int]
    text: str = ""
    trace: list[tuple[int, float, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``text`` is left out: it is the human rendering of the rest)."""
        d = asdict(self)
        d.pop("text")
        d["trace"] = [list(t) for t in self.trace]
        return d


SolveFunction = Callable[[Path, SolveOptions], SolveOutcome]

#: problem → "module:function" writing an outcome's solution file (``--tour-out``).
SOLUTION_WRITERS: Registry[str] = Registry("solution writer")
SOLUTION_WRITERS.register("tsp", "heurevo.solvers.tsp.solve:write_outcome_tour", "TSPLIB .tour file")


def write_solution(path: Path, outcome: SolveOutcome) -> None:
    """Write ``outcome``'s solution to ``path`` with its problem's writer (if it has one)."""
    if outcome.problem in SOLUTION_WRITERS:
        resolve(SOLUTION_WRITERS.get(outcome.problem))(path, outcome)


def solver_for(path: Path) -> SolveFunction:
    """The solve function for ``path``'s suffix; raises :class:`SolverError` for an unknown one."""
    info = problem_for_suffix(path.suffix)
    if info is None:
        known = sorted(s for n in PROBLEMS.names() for s in problem_info(n).suffixes)
        raise SolverError(f"{path}: unknown instance type '{path.suffix.lower()}'; "
                          f"heurevo solves {', '.join(known)}")
    if info.solve:
        return resolve(info.solve)
    return lambda p, options: adapter_solve(info, p, options)


def adapter_solve(info: ProblemInfo, path: Path, options: SolveOptions) -> SolveOutcome:
    """Solve ``path`` through the problem's adapter (step budgets only), verified."""
    from heurevo.solvers.compile import compile_slot, load_heuristics_file

    if options.time_s is not None:
        raise SolverError(f"{info.name}: this solver takes step budgets only (--steps), not --time")
    adapter = get_problem(info.name)
    slots = adapter.slots()
    sources = load_heuristics_file(str(options.heuristics), slots) if options.heuristics else {}
    functions = {n: compile_slot(slots[n], src, filename=f"<{slots[n].key}>").function
                 for n, src in sources.items()}
    t0 = time.perf_counter()
    instance = adapter.load(path)
    steps = info.default_budget_steps if options.steps is None else options.steps
    out = adapter.run(instance, functions, options.seed, steps)
    status = "unverified" if not out.verified else "feasible" if out.feasible else "infeasible"
    text = (f"{path.name}: objective {out.objective} ({status}, {out.steps} steps, "
            f"{time.perf_counter() - t0:.3f} s)")
    return SolveOutcome(info.name, str(path), out.objective, out.verified, status, out.steps,
                        out.seconds, [], text, list(out.trace))


def solve_file(path: str | Path, options: SolveOptions) -> SolveOutcome:
    """Solve the instance at ``path`` with ``options``; the outcome is always verified."""
    p = Path(path)
    try:
        p.stat()
    except OSError as exc:
        raise SolverError(f"{p}: {'no such file' if exc.errno == errno.ENOENT else exc.strerror}") from None
    if not p.is_file():
        raise SolverError(f"{p}: not a file")
    if options.steps is not None and options.steps < 0:
        raise SolverError(f"--steps must be >= 0, got {options.steps}")
    if options.time_s is not None and not 0 < options.time_s < float("inf"):
        raise SolverError(f"--time must be > 0, got {options.time_s}")
    return solver_for(p)(p, options)
