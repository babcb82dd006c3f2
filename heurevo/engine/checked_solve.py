"""``heurevo solve --heuristics FILE`` as hostile code: static checks, then a sandboxed worker.

The heuristics file gets the same static checks as a candidate, and the solve itself (compile,
search, verification) runs in a :class:`~heurevo.engine.sandbox.SandboxPool` worker with real
limits; the engine's process only reads the returned data, re-judges the solution from the
instance file (:meth:`~heurevo.solvers.problem.ProblemAdapter.check_solved`) and writes it. With
``trust=True`` (``--trust``) both are skipped and the file runs in this process.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from heurevo import limits
from heurevo.engine.tasks import SolveRequest, WarmRequest
from heurevo.errors import SlotError, SolverError, VerificationError
from heurevo.solvers.compile import load_heuristics_file
from heurevo.solvers.problem import get_problem, problem_for_suffix
from heurevo.solvers.slots import Slot
from heurevo.solvers.solve import SolveOptions, SolveOutcome, solve_file, write_solution
from heurevo.text import clip_text

TASK = "heurevo.engine.tasks:solve_instance_file"

#: Seconds a sandboxed solve gets on top of its time budget (compiling, loading, verifying);
#: a steps-only budget gets ``STEPS_ONLY_TIMEOUT_S``.
COMPILE_MARGIN_S = 300.0
STEPS_ONLY_TIMEOUT_S = 3600.0


def slots_for_file(path: Path) -> dict[str, Slot]:
    """The slots of the problem that solves files with ``path``'s suffix."""
    info = problem_for_suffix(path.suffix)
    if info is None:
        raise SolverError(f"{path}: unknown instance type '{path.suffix.lower()}'")
    return get_problem(info.name).slots()


def check_heuristics_file(heuristics: Path, slots: dict[str, Slot]) -> dict[str, str]:
    """The file's per-slot sources after the static checks; raises :class:`SlotError` if refused."""
    from heurevo.engine.checks import static_check  # not imported by a plain solve (start-up)

    sources = load_heuristics_file(str(heuristics), slots)
    problems = [static_check(slots[name], src, filename=str(heuristics)) for name, src in sources.items()]
    refused = [r for r in problems if not r.ok]
    if refused:
        text = " ".join(f.render() for r in refused for f in r.failures)
        raise SlotError(clip_text(f"{heuristics}: refused by the static checks: {text}", 2000))
    return sources


def sandbox_timeout(options: SolveOptions) -> float:
    """The wall-clock limit of a sandboxed solve with these options."""
    if options.time_s is not None:
        return options.time_s + COMPILE_MARGIN_S
    if options.steps is not None:
        return STEPS_ONLY_TIMEOUT_S
    return 60.0 + COMPILE_MARGIN_S  # the solvers' own default budgets are at most 60 s


def solve_checked(path: str | Path, options: SolveOptions, *, trust: bool = False,
                  memory_mb: int = 4096) -> SolveOutcome:
    """Solve ``path``; a heuristics file is statically checked and run in a sandboxed worker.

    ``options.heuristics`` may be a portfolio (``.toml``): the instance's family picks the member.
    """
    if options.heuristics is not None and Path(options.heuristics).suffix.lower() == ".toml":
        return _portfolio_solve(Path(path), options, trust, memory_mb)
    p = Path(path)
    if options.time_s is not None:
        _limit(limits.check_timeout, "--time", options.time_s)
    if options.steps is not None:
        _limit(limits.check_budget_steps, "--steps", options.steps)
    if trust or options.heuristics is None:
        return solve_file(p, options)
    for f in (p, Path(options.heuristics)):
        if not f.is_file():
            raise SolverError(f"{f}: no such file")
    text = Path(options.heuristics).read_bytes()
    check_heuristics_file(options.heuristics, slots_for_file(p))
    if Path(options.heuristics).read_bytes() != text:
        raise SolverError(f"{options.heuristics}: the file changed while it was being checked")
    from heurevo.engine.sandbox import SandboxLimits, SandboxPool  # the plain solve needs none

    timeout = sandbox_timeout(options)
    problem = problem_for_suffix(p.suffix)
    assert problem is not None  # slots_for_file found it
    with tempfile.TemporaryDirectory(prefix="heurevo-solve-") as work:
        # the child runs a copy of the checked bytes (the file may change after the checks) and
        # may read only that copy and the instance's folder, not the heuristics file's folder
        checked = Path(work) / "heuristics.py"
        checked.write_bytes(text)
        payload = SolveRequest(path=str(p.resolve()), heuristics=str(checked), seed=options.seed,
                               steps=options.steps, time_s=options.time_s)
        warm = ("heurevo.engine.tasks:warmup_solve", WarmRequest(problem.name, work))
        with SandboxPool(1, SandboxLimits(timeout_s=timeout, memory_mb=memory_mb), warmup=warm,
                         read_paths=(work, str(p.resolve().parent))) as pool:
            out = pool.run(TASK, payload, timeout)
    if not out.ok:  # the last line of a worker's traceback is the exception itself
        reason = out.error.strip().splitlines()[-1] if out.error.strip() else "no reason given"
        raise SolverError(clip_text(f"{options.heuristics}: the sandboxed solve ended "
                                    f"{out.status.value}: {reason}", 2000))
    outcome = _judged(get_problem(problem.name), p, _outcome(out.value), options.heuristics)
    if options.tour_out is not None:
        write_solution(options.tour_out, outcome)
    return outcome


def _portfolio_solve(path: Path, options: SolveOptions, trust: bool, memory_mb: int) -> SolveOutcome:
    """Solve with the portfolio member of ``path``'s family; the outcome says which one."""
    from heurevo.engine.portfolio import load_portfolio  # not imported by a plain solve

    assert options.heuristics is not None
    portfolio = load_portfolio(Path(options.heuristics))
    info = problem_for_suffix(path.suffix)
    if portfolio.problem and info is not None and portfolio.problem != info.name:
        raise SolverError(f"{options.heuristics}: a {portfolio.problem} portfolio cannot solve "
                          f"{path.name} ({info.name})")
    family, member = portfolio.member(path)
    outcome = solve_checked(path, dataclasses.replace(options, heuristics=member), trust=trust,
                            memory_mb=memory_mb)
    name = member.name if member is not None else "the default heuristics"
    note = f"portfolio {options.heuristics}: family '{family}' -> {name}\n"
    return dataclasses.replace(outcome, text=note + outcome.text, extra={
        **outcome.extra, "portfolio": str(options.heuristics), "family": family,
        "member": str(member) if member is not None else "default"})


def _judged(adapter: Any, path: Path, outcome: SolveOutcome, heuristics: Path) -> SolveOutcome:
    """The child's outcome, its solution re-judged here from the instance file (the child ran the
    heuristics, so its own "verified" is not believed); ``extra["verified_by"]`` says who judged."""
    judged = (adapter.check_solved(path, list(outcome.solution), outcome.objective)
              if outcome.verified and outcome.solution else None)
    if judged is False:
        raise VerificationError(f"{heuristics}: the sandboxed solve's {outcome.problem} solution "
                                f"with objective {outcome.objective} failed independent verification")
    by = "engine" if judged else "sandboxed child" if outcome.verified else "nobody"
    return dataclasses.replace(outcome, extra={**outcome.extra, "verified_by": by})


def _limit(check: Any, key: str, value: Any) -> None:
    try:
        check(key, value)
    except ValueError as exc:
        raise SolverError(str(exc)) from None


def _outcome(data: Any) -> SolveOutcome:
    """A :class:`SolveOutcome` from the worker's plain data (fields checked, nothing executed)."""
    names = {f.name for f in dataclasses.fields(SolveOutcome)}
    if not isinstance(data, dict) or not names >= set(data) or "problem" not in data:
        raise SolverError("the sandboxed solve returned a malformed reply")
    fields = dict(data)
    fields["trace"] = [tuple(t) for t in fields.get("trace", [])]
    return SolveOutcome(**fields)
