"""Result tables: piped output keeps every number on one line; CSV, Markdown and HTML renderings."""

from __future__ import annotations

import csv
import io

from rich.console import Console

from heurevo.benchmarks.tables import Column, TableData, print_table, to_csv, to_html, to_markdown

NUMBERS = ["9,432,479", "1,234,567,890", "0.000123", "-2282822"]


def _table() -> TableData:
    cols = (Column("instance", "left"), Column("flips/s"), Column("objective"), Column("vs", "center"))
    rows = (("miplib_p6000_with_a_long_name", NUMBERS[0], NUMBERS[3], "[green]better[/]"),
            ("air01", NUMBERS[1], NUMBERS[2], "[dim]—[/]"))
    return TableData("a wide table", cols, rows, caption="every solution verified")


def test_piped_table_keeps_each_number_and_row_on_one_line() -> None:
    out = io.StringIO()
    console = Console(file=out, width=30)  # narrower than the table, and not a terminal
    assert not console.is_terminal
    print_table(console, _table())
    lines = out.getvalue().splitlines()
    for number in NUMBERS:
        assert sum(number in line for line in lines) == 1, (number, lines)
    row = next(line for line in lines if line.startswith("miplib_p6000"))
    assert NUMBERS[0] in row and NUMBERS[3] in row and "better" in row
    assert "[green]" not in out.getvalue()  # markup is not printed
    other = next(line for line in lines if line.startswith("air01"))
    end = row.index(NUMBERS[0]) + len(NUMBERS[0])
    assert other.index(NUMBERS[1]) + len(NUMBERS[1]) == end  # right-aligned in one column


def test_csv_markdown_and_html_renderings() -> None:
    t = _table()
    rows = list(csv.reader(io.StringIO(to_csv(t))))
    assert rows[0] == ["instance", "flips/s", "objective", "vs"]
    assert rows[1] == ["miplib_p6000_with_a_long_name", NUMBERS[0], NUMBERS[3], "better"]
    md = to_markdown(t)
    assert "| :--- | ---: | ---: | :---: |" in md and f"| air01 | {NUMBERS[1]} |" in md
    hostile = TableData("t", (Column("x"),), (("<script>alert(1)</script>",),))
    assert "<script>" not in to_html(hostile) and "&lt;script&gt;" in to_html(hostile)
