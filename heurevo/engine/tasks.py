"""Tasks that run inside sandboxed workers (they execute candidate code).

Each takes and returns plain data. A worker keeps problem adapters, loaded instances and the
last few compiled candidates in memory, so a candidate's stages reuse its compiled functions
and a warm worker never re-reads an instance file.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from heurevo.engine.quick_checks import run_quick_checks
from heurevo.errors import SlotError
from heurevo.populations.records import InstanceResult
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.problem import ProblemAdapter, get_problem

_ADAPTERS: dict[str, ProblemAdapter] = {}
_INSTANCES: OrderedDict[str, Any] = OrderedDict()
_COMPILED: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_MAX_INSTANCES = 64
_MAX_COMPILED = 8


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


def _functions(payload: dict[str, Any], quick: bool) -> tuple[dict[str, Any], list[str], float]:
    """Compiled functions of the slots the candidate changes; complaints from quick checks if asked.

    Slots left at their default are absent: adapters use their own compiled defaults.
    """
    ad = adapter(payload["problem"])
    key = (payload["problem"], payload["candidate_id"])
    slots = ad.slots()
    if key in _COMPILED and not quick:
        _COMPILED.move_to_end(key)
        return _COMPILED[key], [], 0.0
    t0 = time.perf_counter()
    functions: dict[str, Any] = {}
    complaints: list[str] = []
    sources = payload["sources"]
    for name, slot in slots.items():
        src = sources.get(name, slot.default_source)
        if src == slot.default_source:
            continue  # the adapter runs its own precompiled default
        compiled = compile_slot(slot, src, filename=f"<{slot.key}>",
                                boundscheck=bool(payload.get("boundscheck", False)))
        functions[name] = compiled.function
        if quick:
            complaints += [f"Slot {slot.key} {c}" for c in run_quick_checks(slot, compiled.function)]
    _COMPILED[key] = functions
    while len(_COMPILED) > _MAX_COMPILED:
        _COMPILED.popitem(last=False)
    return functions, complaints, time.perf_counter() - t0


def warmup(payload: dict[str, Any]) -> float:
    """Load the problem's kernels (compiled or from the disk cache); returns seconds taken."""
    t0 = time.perf_counter()
    ad = adapter(payload["problem"])
    functions, _, _ = _functions({"problem": payload["problem"], "candidate_id": "__default__",
                                  "sources": {}}, quick=False)
    smoke = ad.smoke_instance(Path(payload["smoke_dir"]))
    ad.run(_instance(ad, str(smoke)), functions, 1, 100)
    return time.perf_counter() - t0


def prepare(payload: dict[str, Any]) -> dict[str, Any]:
    """Compile the candidate's slots and run their quick checks."""
    try:
        _, complaints, seconds = _functions(payload, quick=True)
    except SlotError as exc:
        return {"ok": False, "feedback": str(exc), "seconds": 0.0}
    return {"ok": not complaints, "feedback": "\n".join(complaints), "seconds": seconds}


def run_instances(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the candidate on each ``(path, seed, reference, budget_steps)``; verified, scored results."""
    ad = adapter(payload["problem"])
    functions, _, _ = _functions(payload, quick=False)
    out = []
    for path, seed, reference, budget_steps in payload["instances"]:
        inst = _instance(ad, path)
        res = ad.run(inst, functions, int(seed), int(budget_steps))
        score = ad.score(inst, res.objective, res.feasible, reference) if res.verified else 0.0
        out.append(InstanceResult(
            instance=Path(path).name, seed=int(seed), objective=res.objective, verified=res.verified,
            feasible=res.feasible, steps=res.steps, seconds=res.seconds, trace=res.trace,
            score=score).to_json())
    return out
