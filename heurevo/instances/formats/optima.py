"""``optima.csv`` beside benchmark instances: known optimal (or best-known) objective values.

Two layouts are in use: TSPLIB's ``name,...,optimal_length`` and the PBO set's
``file,...,reference_obj,reference_kind``. :func:`read_optima` reads either, given the key and
value columns (a table without them has no optima of that kind), and checks every value:
a blank cell or a word of :data:`NO_VALUE` means "no value", anything else must be an integer
written with ASCII digits, or the error names the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from heurevo.errors import InstanceFormatError
from heurevo.instances.formats.text import read_text

_INTEGER = re.compile(r"[+-]?[0-9]+")
#: Cells that say there is no optimum to compare with (the instance has no solution).
NO_VALUE = {"INFEASIBLE", "UNSATISFIABLE", "UNSAT", "UNKNOWN", "-"}


def read_optima(path: Path, key: str, value: str, *, kind: str | None = None) -> dict[str, tuple[int, str]]:
    """``{row[key]: (int(row[value]), row[kind] or "")}`` for every row with a value."""
    text = read_text(path, strict=True)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        out: dict[str, tuple[int, str]] = {}
        if key not in header or value not in header:  # a table of another kind
            return out
        for row in reader:
            line = reader.line_num
            cell = (row.get(value) or "").strip()
            if not cell or cell.upper() in NO_VALUE:
                continue
            if not _INTEGER.fullmatch(cell):
                raise InstanceFormatError(path, line, f"column '{value}' must be an integer, "
                                          f"got {cell[:40]!r}")
            out[(row.get(key) or "").strip()] = (int(cell), (row.get(kind) or "") if kind else "")
    except csv.Error as exc:
        raise InstanceFormatError(path, reader.line_num, f"not a valid CSV file: {exc}") from None
    return out
