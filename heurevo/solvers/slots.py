"""Slots: the decision points of a solver that evolution may rewrite.

A :class:`Slot` is a typed function signature (a Numba signature string plus argument names),
a contract (the docstring a proposer and a checker read), a default implementation as Python
source, and the imports the source may use. Solvers own their slots and register them in
:data:`SLOTS` under ``"<problem>.<name>"``.

Kernels take each slot as a first-class function argument typed
``numba.types.FunctionType(slot.signature)``: the kernel is compiled once (and cached on disk)
and every candidate only compiles its own small functions (see :mod:`heurevo.solvers.compile`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from heurevo.registry import Registry


@dataclass(frozen=True)
class ProbeCase:
    """A tiny hand-built state with a known answer or invariant, for a slot's quick checks.

    ``check(args_after_call, result)`` returns None when the result is acceptable, otherwise a
    complaint written for whoever must repair the code, e.g. "returned index 57 for a state
    with 40 variables".
    """

    name: str
    args: tuple[Any, ...]
    check: Callable[[tuple[Any, ...], Any], str | None]


@dataclass(frozen=True)
class GPHole:
    """A typed expression hole in a slot's default source, for genetic programming.

    ``template`` is a complete slot source with the marker ``GP_EXPR`` where a float expression
    goes; ``inputs`` are the float-valued names in scope there; ``default`` is the expression of
    the default implementation in prefix form (e.g. ``"add(hscore, oscore)"``), so GP starts
    from the default's behaviour. A hole with several ``markers`` (each with the same inputs in
    scope) is evolved as one tree whose root ``join`` has one subtree per marker, e.g.
    ``"join(pdiv(g, add(1.0, p)), 1.0)"``.
    """

    template: str
    inputs: tuple[str, ...]
    default: str
    markers: tuple[str, ...] = ("GP_EXPR",)


@dataclass(frozen=True)
class Slot:
    """A replaceable decision function of a solver kernel (frozen: ``extra`` is read-only too).

    ``extra`` carries optional facts for particular consumers, e.g. ``"gp_hole"`` (a
    :class:`GPHole` for the GP proposer); a variant with other extras is made with
    ``slot.with_extra(...)``, never by changing a registered slot. ``kernel_only`` says the
    solver only ever passes implementations to Numba kernels (through :attr:`function_type`) and
    never calls one from Python: the sandbox then compiles candidates without a CPython wrapper
    (about 15% less compile time per candidate). Leave it False for a slot your adapter calls
    from Python: calling a function compiled without the wrapper from Python crashes.
    """

    problem: str
    name: str
    signature: str
    arg_names: tuple[str, ...]
    contract: str
    default_source: str
    allowed_imports: tuple[str, ...] = ("math", "numpy")
    mutable_args: tuple[str, ...] = ()
    probes: str | None = None  # "module:function" returning list[ProbeCase] for quick checks
    kernel_only: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def __reduce__(self) -> Any:  # a mapping proxy does not pickle: rebuild from a plain dict
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values["extra"] = dict(self.extra)
        return (_rebuild_slot, (values,))

    def with_extra(self, **extra: Any) -> Slot:
        """A copy of this slot with ``extra`` entries added (the registered slot is unchanged)."""
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values["extra"] = {**self.extra, **extra}
        return Slot(**values)

    @property
    def key(self) -> str:
        """Registry key ``problem.name``."""
        return f"{self.problem}.{self.name}"

    @cached_property
    def numba_signature(self) -> Any:
        """The parsed Numba signature (``numba.core.typing.Signature``)."""
        return _parse(self.signature)

    @cached_property
    def function_type(self) -> Any:
        """``numba.types.FunctionType`` of this slot, for kernel signatures."""
        from numba import types

        return types.FunctionType(self.numba_signature)

    def def_line(self) -> str:
        """The ``def`` line a replacement must have, e.g. ``def f(a, b):``."""
        return f"def {self.name}({', '.join(self.arg_names)}):"

    def describe(self) -> str:
        """Signature, argument types and contract, as a prompt or ``heurevo slots`` shows them."""
        sig = self.numba_signature
        lines = [self.def_line(), f"    # numba signature: {self.signature}"]
        for arg, tp in zip(self.arg_names, sig.args, strict=True):
            mut = " (may be modified)" if arg in self.mutable_args else " (read-only)"
            lines.append(f"    #   {arg}: {tp}{mut if hasattr(tp, 'dtype') else ''}")
        lines.append(f"    #   returns: {sig.return_type}")
        lines.append(textwrap.indent(self.contract.strip(), "    # "))
        return "\n".join(lines)


def _rebuild_slot(values: dict[str, Any]) -> Slot:
    return Slot(**values)


def _parse(signature: str) -> Any:
    """Parse a Numba signature string such as ``"int64(float64[::1], int64)"``."""
    import numba
    from numba import types

    namespace = {name: getattr(types, name) for name in dir(types) if not name.startswith("_")}
    namespace["numba"] = numba
    try:
        sig = eval(signature, {"__builtins__": {}}, namespace)  # trusted, package-defined strings
    except Exception as exc:
        raise ValueError(f"cannot parse slot signature {signature!r}: {exc}") from exc
    return sig


SLOTS: Registry[Slot] = Registry("slot")


def register_slot(slot: Slot) -> Slot:
    """Register ``slot`` under ``problem.name``; raises on a duplicate."""
    return SLOTS.register(slot.key, slot, slot.contract.strip().splitlines()[0])


def slots_for(problem: str) -> list[Slot]:
    """All registered slots of ``problem``, in registration order."""
    return [s for s in SLOTS.in_order() if s.problem == problem]
