"""The error tree: every error heurevo raises on purpose derives from :class:`HeurevoError`.

User-facing errors say what was wrong, where (file, line, key, slot, candidate) and, where it
helps, what to do. The CLI prints them without a traceback and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path


class HeurevoError(Exception):
    """Root of every error heurevo raises deliberately."""


class ConfigError(HeurevoError):
    """A configuration file or value is wrong: names the key and the file."""

    def __init__(self, message: str, *, key: str | None = None, path: str | Path | None = None):
        self.key = key
        self.path = str(path) if path is not None else None
        where = []
        if self.path:
            where.append(self.path)
        if key:
            where.append(f"key '{key}'")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        super().__init__(prefix + message)


class InstanceFormatError(HeurevoError):
    """An instance or solution file is malformed: names the file, the line and what was expected."""

    def __init__(self, path: str | Path | None, line: int | None, message: str):
        self.path = str(path) if path is not None else "<string>"
        self.line = line
        self.reason = message
        loc = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{loc}: {message}")


class RegistryError(HeurevoError):
    """A registry lookup or registration failed."""


class DuplicateNameError(RegistryError):
    """A name was registered twice in the same registry."""


class UnknownNameError(RegistryError, KeyError):
    """A name is not in the registry; the message lists the names that are."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class SlotError(HeurevoError):
    """A slot implementation is unusable (missing function, wrong signature, failed compile)."""


class VerificationError(HeurevoError):
    """A solver reported a solution that the independent verifier disagrees with."""


class SolverError(HeurevoError):
    """A solver could not run on the given input (bad options, unsupported instance)."""


class BaselineError(HeurevoError):
    """The default heuristic itself could not be evaluated: the run's limits or suite are wrong."""
