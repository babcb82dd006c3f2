"""Result tables as plain data, rendered for a terminal (rich), a pipe (aligned text), Markdown,
CSV or HTML.

A cell is a string that may carry rich markup (``[green]better[/]``); every rendering but the
rich one prints its plain text. Rich tables fold long cells onto several lines when the output is
narrower than the table, which splits numbers when piped; :func:`print_table` therefore prints
aligned plain text, one row per line, whenever the console is not a terminal.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from typing import Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

Align = Literal["left", "right", "center"]


@dataclass(frozen=True)
class Column:
    """A column heading and how its cells are aligned."""

    name: str
    align: Align = "right"


@dataclass(frozen=True)
class TableData:
    """A titled table of string cells (rich markup allowed) with an optional caption."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    sections: tuple[int, ...] = field(default=())  # row indices that start a new section

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"row {i} has {len(row)} cells, the table {len(self.columns)} columns")


def plain(cell: str) -> str:
    """The text of a cell without its rich markup."""
    return Text.from_markup(cell).plain


def to_rich(table: TableData) -> Table:
    """A rich table; cells never wrap (a number stays on one line)."""
    out = Table(title=table.title, caption=table.caption or None)
    for col in table.columns:
        out.add_column(col.name, justify=col.align, no_wrap=True)
    for i, row in enumerate(table.rows):
        if i in table.sections and i:
            out.add_section()
        out.add_row(*row)
    return out


def to_text(table: TableData) -> str:
    """Aligned plain text: a title line, the header, a rule, one line per row, the caption."""
    cells = [[c.name for c in table.columns]] + [[plain(c) for c in row] for row in table.rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(table.columns))]

    def line(row: list[str]) -> str:
        parts = []
        for cell, width, col in zip(row, widths, table.columns, strict=True):
            parts.append(cell.ljust(width) if col.align == "left" else
                         cell.center(width) if col.align == "center" else cell.rjust(width))
        return "  ".join(parts).rstrip()

    lines = [table.title] if table.title else []
    lines += [line(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells[1:]]
    if table.caption:
        lines.append(plain(table.caption))
    return "\n".join(lines) + "\n"


def to_markdown(table: TableData) -> str:
    """A GitHub Markdown table (pipes in cells escaped), with the title in bold above it."""
    def esc(s: str) -> str:
        return plain(s).replace("|", "\\|")

    marks = {"left": ":---", "right": "---:", "center": ":---:"}
    lines = [f"**{esc(table.title)}**", ""] if table.title else []
    lines.append("| " + " | ".join(esc(c.name) for c in table.columns) + " |")
    lines.append("| " + " | ".join(marks[c.align] for c in table.columns) + " |")
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in table.rows]
    if table.caption:
        lines += ["", esc(table.caption)]
    return "\n".join(lines) + "\n"


def to_csv(table: TableData) -> str:
    """CSV: a header row, then one row per table row (plain text, no title or caption)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    writer.writerows([[plain(c) for c in row] for row in table.rows])
    return buf.getvalue()


def to_html(table: TableData) -> str:
    """An HTML ``<table>`` (every cell escaped) with its title as the caption."""
    def cell(tag: str, text: str, col: Column) -> str:
        return f'<{tag} class="{col.align}">{html.escape(plain(text))}</{tag}>'

    head = "".join(cell("th", c.name, c) for c in table.columns)
    body = "".join("<tr>" + "".join(cell("td", v, c) for v, c in zip(row, table.columns, strict=True))
                   + "</tr>" for row in table.rows)
    caption = f"<caption>{html.escape(plain(table.title))}</caption>" if table.title else ""
    foot = f'<p class="note">{html.escape(plain(table.caption))}</p>' if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}"


def print_table(console: Console, table: TableData) -> None:
    """A rich table on a terminal; aligned plain text (numbers never split) anywhere else."""
    if console.is_terminal:
        console.print(to_rich(table))
    else:
        console.file.write(to_text(table))
        console.file.flush()
