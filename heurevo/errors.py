"""The error tree: every error heurevo raises on purpose derives from :class:`HeurevoError`.

User-facing errors say what was wrong, where (file, line, key, slot, candidate) and, where it
helps, what to do. The CLI prints them without a traceback and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path


class HeurevoError(Exception):
    """Root of every error heurevo raises deliberately."""


class ConfigError(HeurevoError, ValueError):
    """A configuration file or value is wrong; carries where (file, key) and what, separately.

    ``message`` says what is wrong, ``key`` names the field (dotted for nested tables, or a
    command-line flag) and ``path`` the file; ``str()`` joins them into the one line the CLI
    prints. A ``validate()`` method raises it with the field's own name; :meth:`within` places
    it inside an enclosing table and file. It is also a ``ValueError``, as validation errors are.
    """

    def __init__(self, message: str, *, key: str | None = None, path: str | Path | None = None):
        self.message = message
        self.key = key
        self.path = str(path) if path is not None else None
        super().__init__(message)

    def within(self, prefix: str = "", path: str | Path | None = None) -> ConfigError:
        """This error seen from the table ``prefix`` of the file ``path`` (kept when already set)."""
        key = f"{prefix}.{self.key}" if prefix and self.key else (self.key or prefix or None)
        return ConfigError(self.message, key=key, path=self.path or path)

    def __str__(self) -> str:
        key = None if not self.key else self.key if self.key.startswith("-") else f"key '{self.key}'"
        where = ", ".join(w for w in (self.path, key) if w)  # a flag is named as it is typed
        text = f"{where}: {self.message}" if where else self.message
        return text.replace("\n", " ")


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


class WorkerError(HeurevoError):
    """A sandbox worker's trusted warm-up (kernels, instances) failed: no candidate can run there."""
