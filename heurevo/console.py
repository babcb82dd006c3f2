"""Where the CLI writes: rich on a terminal, plain unwrapped text when piped or redirected.

On a terminal, output is rich (colour, tables sized to the window). When stdout is not a
terminal (``| less``, ``> file``, a script), nothing is wrapped or folded: long lines stay one
line, table cells are never split, and colour codes are left out, so what is printed can be
parsed, grepped or (for ``heurevo slots``) compiled. Errors are always one line.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console

#: Width given to rich when the stream is not a terminal: wide enough that no table folds.
PIPED_WIDTH = 10_000


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _PipedConsole(Console):
    """A console that never wraps: rules and panels keep a sane width, tables their natural one."""

    def rule(self, title: object = "", *args: object, **kwargs: object) -> None:
        """A plain ``-- title --`` line instead of a rule as wide as :data:`PIPED_WIDTH`."""
        self.print(f"-- {title} --" if title else "--", markup=True, highlight=False,
                   soft_wrap=True)


def make_console(stderr: bool = False) -> Console:
    """A console for stdout (or stderr) that is rich on a terminal and plain when piped."""
    stream = sys.stderr if stderr else sys.stdout
    if is_terminal(stream):
        return Console(stderr=stderr)
    return _PipedConsole(stderr=stderr, width=PIPED_WIDTH, soft_wrap=True, no_color=True,
                         color_system=None, highlight=False, emoji=False)


def one_line(message: object) -> str:
    """``message`` with its line breaks folded, so an error is exactly one line."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def print_error(message: object, stream: TextIO | None = None) -> None:
    """Write ``error: message`` as one unwrapped line to stderr."""
    out = stream or sys.stderr
    out.write(f"error: {one_line(message)}\n")
    out.flush()
