"""Named registries for plug-in points (problems, proposers, suites, slots, executors).

A registry maps names to objects, refuses a name registered twice and explains an unknown one.
An entry may be given as a ``"module:attribute"`` reference, imported the first time it is
looked up, so listing names stays cheap. A registry with an entry-point ``group`` also holds
what installed packages declare under that group (e.g. ``heurevo.problems``): a package adds a
problem, a proposer or a suite without any change to heurevo.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from heurevo.errors import DuplicateNameError, RegistryError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered object with its name and a one-line description."""

    name: str
    obj: T
    description: str


def resolve(reference: str) -> Any:
    """The object a ``"module:attribute"`` reference names (the attribute may be dotted)."""
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        raise RegistryError(f"'{reference}' is not a 'module:attribute' reference")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """A name → object mapping that refuses duplicate names and explains unknown ones."""

    def __init__(self, kind: str, group: str | None = None):
        self.kind = kind
        self.group = group
        self._entries: dict[str, Entry[Any]] = {}
        self._origins: dict[str, str] = {}
        self._discovered = group is None

    def register(self, name: str, obj: T, description: str = "") -> T:
        """Add ``obj`` under ``name``; raises :class:`DuplicateNameError` if the name is taken."""
        self._add(name, obj, description, "registered in code")
        return obj

    def register_lazy(self, name: str, reference: str, description: str = "") -> None:
        """Add the object ``"module:attribute"`` names, imported when first looked up."""
        if ":" not in reference:
            raise RegistryError(f"{self.kind} '{name}': '{reference}' is not 'module:attribute'")
        self._add(name, _Lazy(reference), description, reference)

    def _add(self, name: str, obj: Any, description: str, origin: str) -> None:
        if not name or not isinstance(name, str):
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")
        if name in self._entries:
            raise DuplicateNameError(f"{self.kind} '{name}' is already registered "
                                     f"({self._origins[name]}); refusing {origin}")
        if not description and not isinstance(obj, _Lazy):
            doc = getattr(obj, "__doc__", None) or ""
            description = doc.strip().splitlines()[0] if doc.strip() else ""
        self._entries[name] = Entry(name, obj, description)
        self._origins[name] = origin

    def decorator(self, name: str, description: str = "") -> Callable[[T], T]:
        """Register the decorated object under ``name``."""

        def wrap(obj: T) -> T:
            return self.register(name, obj, description)

        return wrap

    def discover(self) -> None:
        """Add the entry points of this registry's group (once; later calls do nothing).

        Two installed packages declaring the same name is an error; the same declaration seen
        twice (a package found on two paths) is not.
        """
        if self._discovered:
            return
        self._discovered = True
        seen: dict[str, str] = {}
        for ep in entry_points(group=self.group or ""):
            if seen.get(ep.name) == ep.value:
                continue
            seen[ep.name] = ep.value
            dist = getattr(ep.dist, "name", None) or "an installed package"
            self._add(ep.name, _Lazy(ep.value), "", f"entry point of {dist}: {ep.value}")

    def get(self, name: str) -> T:
        """Return the object registered as ``name`` or raise :class:`UnknownNameError`."""
        self.discover()
        try:
            entry = self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} '{name}'; known: {known}") from None
        if isinstance(entry.obj, _Lazy):
            obj = resolve(entry.obj.reference)
            doc = (getattr(obj, "__doc__", None) or "").strip()
            description = entry.description or (doc.splitlines()[0] if doc else "")
            entry = Entry(name, obj, description)
            self._entries[name] = entry
        return entry.obj

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self.discover()
        return len(self._entries)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self.discover()
        return sorted(self._entries)

    def entries(self) -> list[Entry[T]]:
        """Registered entries (references imported), sorted by name."""
        return [Entry(n, self.get(n), self._entries[n].description) for n in self.names()]

    def in_order(self) -> list[T]:
        """Registered objects (references imported) in registration order."""
        self.discover()
        return [self.get(n) for n in list(self._entries)]

    def describe(self) -> str:
        """A ``name: description`` line per entry, for ``--help`` texts."""
        return "\n".join(f"{e.name}: {e.description}" for e in self.entries())


@dataclass(frozen=True)
class _Lazy:
    """A ``"module:attribute"`` reference not imported yet."""

    reference: str
