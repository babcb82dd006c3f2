"""One entry point to solve an instance file, dispatched on its suffix to the problem's solver."""

from __future__ import annotations

import errno
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from heurevo.errors import SolverError
from heurevo.registry import Registry


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

#: suffix → "module:function" of the solver for that file type (imported only when used).
SOLVERS: Registry[str] = Registry("solver")
SOLVERS.register(".opb", "heurevo.solvers.pbo.solve:solve_file", "pseudo-Boolean optimisation (OPB)")
SOLVERS.register(".wbo", "heurevo.solvers.pbo.solve:solve_file", "weighted Boolean optimisation (WBO)")
SOLVERS.register(".tsp", "heurevo.solvers.tsp.solve:solve_file", "travelling salesman (TSPLIB)")


def solver_for(path: Path) -> SolveFunction:
    """The solve function for ``path``'s suffix; raises :class:`SolverError` for an unknown one."""
    suffix = path.suffix.lower()
    if suffix not in SOLVERS:
        raise SolverError(f"{path}: unknown instance type '{suffix}'; "
                          f"heurevo solves {', '.join(SOLVERS.names())}")
    module_name, _, func_name = SOLVERS.get(suffix).partition(":")
    return getattr(importlib.import_module(module_name), func_name)


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
