"""Tasks that run inside sandboxed workers (they execute candidate code).

Each takes one typed request (a ``msgspec`` struct: :class:`WarmRequest`,
:class:`CandidateRequest`, :class:`RunRequest`, :class:`SolveRequest`; the worker converts the
plain data it receives into the type the task's ``payload`` annotation names, refusing unknown
fields) and returns a typed record (:class:`Prepared`, a list of :class:`RunReply`) that the
engine validates on decoding. A :class:`RunReply` carries the raw solution: the engine's
:class:`~heurevo.engine.referee.Referee` judges it again, outside this process.
:func:`warmup` runs in the zygote and loads the problem's kernels and instances there; every
child forked from it inherits them, and keeps the candidate's compiled slots for its stages.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from heurevo.engine.isolation import instance_alarm
from heurevo.engine.quick_checks import run_quick_checks
from heurevo.errors import SlotError
from heurevo.populations.records import InstanceResult
from heurevo.solvers.compile import compile_slot, python_caller
from heurevo.solvers.problem import ProblemAdapter, get_problem

_ADAPTERS: dict[str, ProblemAdapter] = {}
_INSTANCES: OrderedDict[str, Any] = OrderedDict()
_MAX_INSTANCES = 64


class WarmRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Load a problem's kernels and instances in the zygote (no candidate code)."""

    problem: str
    smoke_dir: str
    instances: list[str] = []


class CandidateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """One candidate: its slot sources (slots at their default may be left out or equal)."""

    problem: str
    candidate_id: str
    sources: dict[str, str]
    boundscheck: bool = False


class RunItem(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """One solver run: instance file, seed, the reference objective for the score, step budget."""

    path: str
    seed: int
    reference: float | None
    budget_steps: int


class RunRequest(CandidateRequest, forbid_unknown_fields=True):
    """Run a candidate on a list of instances, each under its own time limit (0 = none)."""

    instances: list[RunItem] = []
    instance_timeout_s: float = 0.0


class SolveRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A sandboxed ``heurevo solve --heuristics`` of one instance file."""

    path: str
    heuristics: str
    seed: int
    steps: int | None = None
    time_s: float | None = None


class RunReply(msgspec.Struct, forbid_unknown_fields=True):
    """What a child says of one run; the engine re-judges ``solution`` before it counts.

    ``run`` is the child's own verdict (its ``score`` is used only for problems that cannot be
    checked outside :meth:`~heurevo.solvers.problem.ProblemAdapter.run`); ``solution`` is the
    raw solution's bytes in ``solution_dtype`` (``uint8`` or ``int32``), empty when the run
    found none.
    """

    run: InstanceResult
    solution: bytes = b""
    solution_dtype: str = ""


def adapter(problem: str) -> ProblemAdapter:
    """The worker's adapter for ``problem`` (created once)."""
    if problem not in _ADAPTERS:
        _ADAPTERS[problem] = get_problem(problem)
    return _ADAPTERS[problem]


def _instance(ad: ProblemAdapter, path: str) -> Any:
    if path in _INSTANCES:
        _INSTANCES.move_to_end(path)
        return _INSTANCES[path]
    inst = ad.load(Path(path))
    _INSTANCES[path] = inst
    while len(_INSTANCES) > _MAX_INSTANCES:
        _INSTANCES.popitem(last=False)
    return inst


def _functions(req: CandidateRequest, quick: bool) -> tuple[dict[str, Any], list[str], float]:
    """Compiled functions of the slots the candidate changes; complaints from quick checks if asked.

    Slots left at their default are absent: adapters use their own compiled defaults. A second
    call for the same candidate (its runs after its checks) gets the same functions from
    :func:`~heurevo.solvers.compile.compile_slot`'s per-process memo, not a new compile.
    """
    t0 = time.perf_counter()
    functions: dict[str, Any] = {}
    complaints: list[str] = []
    for name, slot in adapter(req.problem).slots().items():
        src = req.sources.get(name, slot.default_source)
        if src == slot.default_source:
            continue  # the adapter runs its own precompiled default
        compiled = compile_slot(slot, src, filename=f"<{slot.key}>", boundscheck=req.boundscheck,
                                python_callable=not slot.kernel_only)
        functions[name] = compiled.function
        if quick:
            complaints += [f"Slot {slot.key} {c}"
                           for c in run_quick_checks(slot, python_caller(slot, compiled.function))]
    return functions, complaints, time.perf_counter() - t0


class Prepared(msgspec.Struct, forbid_unknown_fields=True):
    """What compiling a candidate's slots and running their quick checks found."""

    ok: bool
    feedback: str
    seconds: float


def warmup(payload: WarmRequest) -> float:
    """Load the problem's kernels (compiled or from the disk cache) and the listed instances.

    Runs in the zygote (default code only), so its children start warm; returns seconds taken.
    """
    t0 = time.perf_counter()
    ad = adapter(payload.problem)
    functions, _, _ = _functions(CandidateRequest(payload.problem, "__default__", {}), quick=False)
    smoke = _instance(ad, str(ad.smoke_instance(Path(payload.smoke_dir))))
    ad.run(smoke, functions, 1, 100)
    # the candidate path once with the defaults' own sources: Numba's compiler and the quick
    # checks initialise here, not again in every child
    compiled = {}
    for name, slot in ad.slots().items():
        compiled[name] = compile_slot(slot, slot.default_source, filename=f"<{slot.key}>",
                                      python_callable=not slot.kernel_only).function
        run_quick_checks(slot, python_caller(slot, compiled[name]))
    ad.run(smoke, compiled, 1, 100)
    for path in payload.instances[:_MAX_INSTANCES - 1]:
        _instance(ad, path)
    return time.perf_counter() - t0


def warmup_solve(payload: WarmRequest) -> float:
    """:func:`warmup`, and the problem's own solve function imported: a sandboxed child cannot
    import a module with cached kernels (it may not write Numba's cache), so the zygote does."""
    from heurevo.registry import resolve
    from heurevo.solvers.problem import problem_info

    seconds = warmup(payload)
    info = problem_info(payload.problem)
    if info.solve:
        resolve(info.solve)
    return seconds


def prepare(payload: CandidateRequest) -> Prepared:
    """Compile the candidate's slots and run their quick checks."""
    try:
        _, complaints, seconds = _functions(payload, quick=True)
    except SlotError as exc:
        return Prepared(False, str(exc), 0.0)
    return Prepared(not complaints, "\n".join(complaints), seconds)


def run_instances(payload: RunRequest) -> list[RunReply]:
    """Run the candidate on each item; the verdict of this process and the raw solution."""
    ad = adapter(payload.problem)
    functions, _, _ = _functions(payload, quick=False)
    out = []
    for item in payload.instances:
        inst = _instance(ad, item.path)
        with instance_alarm(payload.instance_timeout_s):
            res = ad.run(inst, functions, item.seed, item.budget_steps)
        score = ad.score(inst, res.objective, res.feasible, item.reference) if res.verified else 0.0
        solution = b"" if res.solution is None else np.ascontiguousarray(res.solution)
        run = InstanceResult(instance=Path(item.path).name, seed=item.seed, objective=res.objective,
                             verified=res.verified, feasible=res.feasible, steps=res.steps,
                             seconds=res.seconds, trace=res.trace, score=score)
        out.append(RunReply(run, solution if isinstance(solution, bytes) else solution.tobytes(),
                            "" if isinstance(solution, bytes) else solution.dtype.name))
    return out


def solve_instance_file(payload: SolveRequest) -> dict[str, Any]:
    """A sandboxed ``heurevo solve --heuristics``: the verified outcome as plain data (with text)."""
    from heurevo.solvers.solve import SolveOptions, solve_file

    options = SolveOptions(steps=payload.steps, time_s=payload.time_s, seed=payload.seed,
                           heuristics=Path(payload.heuristics))
    outcome = solve_file(payload.path, options)
    return {**outcome.to_json(), "text": outcome.text}
