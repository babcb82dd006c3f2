"""Reading an instance file's text with errors that name the file."""

from __future__ import annotations

from pathlib import Path

from heurevo.errors import InstanceFormatError


def read_text(path: Path, *, strict: bool = False) -> str:
    """The file's text; ``strict`` refuses bytes that are not UTF-8 (else they are replaced)."""
    try:
        return path.read_text(encoding="utf-8", errors="strict" if strict else "replace")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(path, None, "expected ASCII text, got undecodable bytes "
                                  f"({exc.reason})") from None
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read the file: {exc.strerror}") from None
