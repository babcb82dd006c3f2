"""Behavioural quick checks of a compiled slot on tiny hand-built states (the AutoToS idea).

Runs inside a sandboxed worker (it executes candidate code). For every :class:`ProbeCase` of
the slot it checks, on fresh copies of the inputs: the call returns without raising; arguments
the slot may not modify are unchanged; a float result is finite; a second call on identical
inputs gives the identical result (determinism for a fixed RNG state); and the case's own
expectation holds. Complaints name the case and what was wrong.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

import numpy as np

from heurevo.solvers.slots import ProbeCase, Slot
from heurevo.text import clip_text

#: Characters of a candidate's exception message kept in a complaint.
MAX_EXCEPTION_CHARS = 600


def probe_cases(slot: Slot) -> list[ProbeCase]:
    """The slot's probe cases (empty when the slot declares none)."""
    if not slot.probes:
        return []
    module, _, func = slot.probes.partition(":")
    return list(getattr(importlib.import_module(module), func)())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _short(value: Any) -> str:
    text = np.array2string(value, threshold=12) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) < 160 else text[:157] + "..."


def _message(exc: BaseException) -> str:
    return clip_text(str(exc), MAX_EXCEPTION_CHARS)


def run_quick_checks(slot: Slot, function: Any, cases: list[ProbeCase] | None = None) -> list[str]:
    """Complaints about ``function`` (a compiled slot) on the slot's probe cases; empty = passed."""
    complaints: list[str] = []
    for case in probe_cases(slot) if cases is None else cases:
        where = f"on quick check '{case.name}'"
        first = copy.deepcopy(case.args)
        try:
            result = function(*first)
        except MemoryError:
            raise  # the worker reports it as a memory failure, not as wrong code
        except Exception as exc:
            complaints.append(f"raised {type(exc).__name__}: {_message(exc)} {where}")
            continue
        for name, before, after in zip(slot.arg_names, case.args, first, strict=True):
            if name not in slot.mutable_args and isinstance(before, np.ndarray) \
                    and not _same(before, after):
                complaints.append(f"modified the read-only argument '{name}' {where}; "
                                  "copy it first or leave it unchanged")
        if isinstance(result, float) and not np.isfinite(result):
            complaints.append(f"returned {result} {where}; results must be finite")
            continue
        second = copy.deepcopy(case.args)
        try:
            again = function(*second)
        except MemoryError:
            raise
        except Exception as exc:
            complaints.append(f"raised {type(exc).__name__}: {_message(exc)} on a repeated call {where}")
            continue
        if not _same(result, again) or not all(_same(x, y) for x, y in zip(first, second, strict=True)):
            complaints.append(f"is not deterministic {where}: returned {_short(result)} then "
                              f"{_short(again)} on identical inputs; use only the given rng state "
                              "for randomness")
            continue
        message = case.check(first, result)
        if message:
            complaints.append(f"{message} ({where})")
    return complaints
