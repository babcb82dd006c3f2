"""Turn slot source code into Numba functions that plug into the precompiled kernels.

The source is executed in a fresh namespace (never the caller's); every top-level function it
defines becomes an ``njit`` dispatcher so helpers can be called from the slot function, and the
slot function itself is compiled eagerly, in nopython mode, with the slot's exact signature.
Every slot is compiled this way (``tsp.heuristics`` too), so candidate code has no Python objects
to walk. The result is passed to a kernel whose argument type is ``slot.function_type``, so the
kernel is never recompiled.

This module does not check that source is safe: :mod:`heurevo.engine.checks` does that before
anything reaches it, and candidate code only ever runs in sandboxed workers.
"""

from __future__ import annotations

import functools
import math
import re
import types as pytypes
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from heurevo.errors import SlotError
from heurevo.solvers import rng
from heurevo.solvers.slots import Slot

#: Names every slot source can use without importing them.
SLOT_GLOBALS: dict[str, Any] = {
    "math": math,
    "np": np,
    "numpy": np,
    "rng_random": rng.rng_random,
    "rng_randint": rng.rng_randint,
    "rng_chance": rng.rng_chance,
    "rng_next": rng.rng_next,
}


#: Compiled functions by (slot, signature, source, flags), so one process never compiles the
#: same text twice (a PBO zygote's warm-up compiled its seven defaults twice: ~1.5 s).
_COMPILED: OrderedDict[tuple[str, str, str, bool, bool], Any] = OrderedDict()
_MAX_COMPILED = 256


@dataclass(frozen=True)
class CompiledSlot:
    """A slot implementation compiled for a kernel, with the source it came from."""

    slot: Slot
    source: str
    function: Any  # numba CPUDispatcher compiled for slot.signature


def load_python_function(slot: Slot, source: str, *, filename: str = "<slot>") -> pytypes.FunctionType:
    """Execute ``source`` in a fresh namespace and return its (still Python) slot function."""
    namespace: dict[str, Any] = dict(SLOT_GLOBALS)
    namespace["__name__"] = f"heurevo_slot_{slot.problem}_{slot.name}"
    try:
        code = compile(source, filename, "exec")
        exec(code, namespace)
    except SyntaxError as exc:
        raise SlotError(f"{filename}:{exc.lineno}: syntax error in slot {slot.key}: {exc.msg}") from None
    except MemoryError:
        raise  # out of its memory limit: classified "memory" by the sandbox, not a broken slot
    except Exception as exc:
        raise SlotError(f"{filename}: executing the source of slot {slot.key} failed: "
                        f"{type(exc).__name__}: {exc}") from None
    fn = namespace.get(slot.name)
    if not isinstance(fn, pytypes.FunctionType):
        raise SlotError(f"{filename}: no function named '{slot.name}' (slot {slot.key}); "
                        f"expected `{slot.def_line()}`")
    # Helpers defined in the same source must be jitted for the slot to call them.
    for name, obj in list(namespace.items()):
        if isinstance(obj, pytypes.FunctionType) and obj.__module__ == namespace["__name__"] and name != slot.name:
            namespace[name] = numba.njit(cache=False)(obj)
    return fn


def compile_slot(slot: Slot, source: str, *, filename: str = "<slot>",
                 boundscheck: bool = False, python_callable: bool = True) -> CompiledSlot:
    """Compile ``source`` for ``slot`` in nopython mode with its exact signature.

    With ``python_callable=False`` Numba builds no CPython wrapper (~15% less compile time): the
    function can then only be passed to kernels, or called through :func:`kernel_caller`.
    Raises :class:`SlotError` with Numba's reason and a repair hint when it does not compile.
    """
    key = (slot.key, slot.signature, source, boundscheck, python_callable)
    if key in _COMPILED:  # the same text compiled again in this process (a zygote's warm-up)
        _COMPILED.move_to_end(key)
        return CompiledSlot(slot, source, _COMPILED[key])
    fn = load_python_function(slot, source, filename=filename)
    try:
        dispatcher = numba.njit(slot.numba_signature, cache=False, nogil=True, boundscheck=boundscheck,
                                no_cpython_wrapper=not python_callable)(fn)
    except Exception as exc:
        msg = str(exc).strip().splitlines()
        head = next((m for m in msg if m.strip()), type(exc).__name__)
        detail = "\n".join(msg[:30])
        raise SlotError(f"{filename}: slot {slot.key} does not compile in Numba nopython mode with "
                        f"signature {slot.signature}: {head}\n{nopython_hint(str(exc))}{detail}") from None
    _COMPILED[key] = dispatcher
    while len(_COMPILED) > _MAX_COMPILED:
        _COMPILED.popitem(last=False)
    return CompiledSlot(slot, source, dispatcher)


_CALLERS: dict[str, Any] = {}


def kernel_caller(slot: Slot) -> Any:
    """A compiled ``call(f, *args) -> f(*args)`` for ``slot``: calls any implementation of the
    slot from Python the way a kernel does (through ``slot.function_type``), so implementations
    compiled with ``python_callable=False`` can be probed; their exceptions propagate.

    Compiled once per slot and process (a worker's zygote does it in its warm-up).
    """
    if slot.key not in _CALLERS:
        names = ", ".join(f"a{i}" for i in range(len(slot.arg_names)))
        namespace: dict[str, Any] = {}
        exec(f"def call(f, {names}):\n    return f({names})\n", namespace)  # trusted, generated here
        sig = slot.numba_signature
        _CALLERS[slot.key] = numba.njit(sig.return_type(slot.function_type, *sig.args),
                                        cache=False)(namespace["call"])
    return _CALLERS[slot.key]


def python_caller(slot: Slot, function: Any) -> Any:
    """``function`` (an implementation of ``slot`` from :func:`compile_slot`) callable from
    Python: through :func:`kernel_caller` for a kernel-only slot (no CPython wrapper), else as is."""
    return functools.partial(kernel_caller(slot), function) if slot.kernel_only else function


_FUNCTION_NAME = re.compile(r"No implementation of function Function\(<(?:built-in )?function (\w+)")
_CONVERSION = re.compile(r"No conversion from (.+?) to (.+?) for")


def nopython_hint(error: str) -> str:
    """A repair hint for the usual Numba nopython errors (empty when none applies)."""
    if "Cannot modify readonly array" in error or "from readonly array" in error:
        return ("hint: the slot writes (or returns) a read-only argument; the contract names the "
                "arguments it may write: work on a copy (x = arr.copy()).\n")
    m = _FUNCTION_NAME.search(error)
    if m:
        return (f"hint: Numba does not support {m.group(1)}(...) with these arguments in nopython "
                "mode (most numpy reductions take no axis=, np.array takes no copy=; keyword "
                "options are often missing): use the plain form or write the loop.\n")
    m = _CONVERSION.search(error)
    if m:
        return (f"hint: the function returns {m.group(1)} but the slot requires {m.group(2)}: "
                "convert the result (e.g. .astype(np.float64), np.ascontiguousarray(...)).\n")
    if "Untyped global name" in error or "Unknown attribute" in error:
        return ("hint: only numpy/math functions that Numba compiles, the rng_* helpers and your "
                "own functions can be called from slot code.\n")
    return ""


def compile_slots(slots: Mapping[str, Slot], sources: Mapping[str, str] | None = None,
                  *, boundscheck: bool = False, kernel: bool = False) -> dict[str, CompiledSlot]:
    """Compile every slot, using ``sources[name]`` where given and the default otherwise.

    ``kernel=True``: the results only go to kernels, so ``kernel_only`` slots get no CPython wrapper.
    """
    sources = sources or {}
    unknown = set(sources) - set(slots)
    if unknown:
        raise SlotError(f"unknown slot(s) {sorted(unknown)}; known: {sorted(slots)}")
    return {
        name: compile_slot(slot, sources.get(name, slot.default_source),
                           filename=f"<{slot.key}{'' if name in sources else ' default'}>",
                           boundscheck=boundscheck, python_callable=not (kernel and slot.kernel_only))
        for name, slot in slots.items()
    }


def load_heuristics_file(path: str, slots: Mapping[str, Slot]) -> dict[str, str]:
    """Split a heuristics file (as ``heurevo export`` writes) into per-slot sources.

    The file is plain Python; every slot whose function name it defines gets the whole file as
    its source (helpers included), so one file can override several slots at once.
    """
    import ast
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise SlotError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    chosen = {name: text for name, slot in slots.items() if slot.name in defined}
    if not chosen:
        names = ", ".join(s.name for s in slots.values())
        raise SlotError(f"{path}: defines none of this solver's slot functions ({names})")
    return chosen
