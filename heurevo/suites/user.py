"""User suites: a folder of instance files added by name, with reference values and a fixed split.

``heurevo suite add NAME DIR [--refs refs.csv] [--split 1:1 --by family]`` records the folder's
instance files (with their content hashes), the reference values read from the CSV (or from an
``optima.csv`` beside the files) and a split into train / validation / test in the user's
settings folder (``$HEUREVO_CONFIG_DIR`` or ``~/.config/heurevo``), file ``suites.json``. The
split is stable: within each group (a family, or all files) instances are ordered by a hash of
their name and cut by the ratio, so it depends on nothing but the names.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from heurevo.errors import ConfigError
from heurevo.suites.catalog import SplitInstance, Suite

SPLITS = ("train", "validation", "test")
#: CSV columns naming the instance, and holding its reference objective, in the order tried.
NAME_COLUMNS = ("file", "name", "instance")
VALUE_COLUMNS = ("reference", "reference_obj", "optimal_length", "optimum", "objective", "value")
#: Cells that say an instance has no reference objective.
NO_VALUE = ("", "-", "—", "none", "unknown", "infeasible", "unsat", "unsatisfiable")
GroupBy = Literal["family", "none"]


@dataclass(frozen=True)
class UserSuite:
    """A stored user suite."""

    name: str
    problem: str
    folder: str
    instances: tuple[SplitInstance, ...]
    splits: dict[str, tuple[str, ...]]  # split → instance names
    references: dict[str, float]
    reference_source: str  # the CSV the values came from ("" when none)

    def suite(self, split: str | None = None) -> Suite:
        """The suite's instances (of one split, or all)."""
        names = set(self.splits.get(split, ())) if split else None
        if split and split not in self.splits:
            raise ConfigError(f"suite '{self.name}' has no split '{split}'; it has "
                              f"{', '.join(self.splits)}", key="--split")
        items = tuple(i for i in self.instances if names is None or i.name in names)
        return Suite(self.name, self.problem, items)


def settings_dir() -> Path:
    """The user's heurevo settings folder."""
    base = os.environ.get("HEUREVO_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".config", "heurevo")
    return Path(base)


def _store_path() -> Path:
    return settings_dir() / "suites.json"


def _load_all() -> dict[str, dict[str, object]]:
    path = _store_path()
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"line {exc.lineno}: not valid JSON ({exc.msg})", path=path) from None


def problem_of(folder: Path) -> str:
    """The problem whose instance files the folder holds (exactly one kind)."""
    from heurevo.solvers.problem import problem_for_suffix

    found = {info.name for p in folder.iterdir() if (info := problem_for_suffix(p.suffix))}
    if len(found) != 1:
        what = "no instance files" if not found else f"files of several problems ({sorted(found)})"
        raise ConfigError(f"{folder}: {what}", key="DIR")
    return found.pop()


def read_references(path: Path) -> dict[str, float]:
    """Reference objectives by instance file name and stem from a CSV (empty cells skipped)."""
    if not path.is_file():
        raise ConfigError("no such file", path=path, key="--refs")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        name_col = next((c for c in NAME_COLUMNS if c in fields), None)
        value_col = next((c for c in VALUE_COLUMNS if c in fields), None)
        if name_col is None or value_col is None:
            raise ConfigError(f"line 1: needs a name column ({'/'.join(NAME_COLUMNS)}) and a value "
                              f"column ({'/'.join(VALUE_COLUMNS)}), has {fields}", path=path)
        out: dict[str, float] = {}
        for lineno, row in enumerate(reader, start=2):
            text = (row.get(value_col) or "").strip()
            if text.lower() in NO_VALUE:
                continue
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(f"line {lineno}: {value_col} '{text}' is not a number",
                                  path=path) from None
            key = (row.get(name_col) or "").strip()
            out[key] = value
            out.setdefault(Path(key).stem, value)
    return out


def match_references(instances: tuple[SplitInstance, ...], table: dict[str, float]) -> dict[str, float]:
    """``table``'s values for the instances, by file name or stem."""
    out = {}
    for inst in instances:
        value = table.get(inst.name, table.get(Path(inst.name).stem))
        if value is not None:
            out[inst.name] = value
    return out


def folder_references(instances: tuple[SplitInstance, ...]) -> dict[str, float]:
    """References from an ``optima.csv`` beside the instance files (empty if there is none)."""
    folders = {Path(i.path).parent for i in instances}
    table: dict[str, float] = {}
    for folder in sorted(folders):
        if (folder / "optima.csv").is_file():
            table.update(read_references(folder / "optima.csv"))
    return match_references(instances, table)


def family(name: str) -> str:
    """An instance's family: the leading letters of its name (``setcover-60x...`` → ``setcover``)."""
    m = re.match(r"[A-Za-z]+", Path(name).stem)
    return m.group(0).lower() if m else ""


def parse_ratio(text: str) -> tuple[int, ...]:
    """``1:1`` (train:validation) or ``2:1:1`` (train:validation:test)."""
    try:
        parts = tuple(int(p) for p in text.split(":"))
    except ValueError:
        parts = ()
    if len(parts) not in (2, 3) or any(p < 0 for p in parts) or not parts[0]:
        raise ConfigError(f"'{text}' is not a ratio like 1:1 or 2:1:1 (train:validation[:test])",
                          key="--split")
    return parts


def split_names(names: list[str], ratio: tuple[int, ...], by: GroupBy) -> dict[str, tuple[str, ...]]:
    """A stable split of ``names`` by ``ratio``, within each family when ``by`` is ``family``."""
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(family(n) if by == "family" else "", []).append(n)
    out: dict[str, list[str]] = {s: [] for s in SPLITS[: len(ratio)]}
    total = sum(ratio)
    for group in groups.values():
        ordered = sorted(group, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        start = cumulative = 0
        for k, split in enumerate(out):
            cumulative += ratio[k]
            end = round(len(ordered) * cumulative / total)
            out[split] += ordered[start:end]
            start = end
    return {s: tuple(sorted(v)) for s, v in out.items()}


def add_user_suite(name: str, folder: Path, refs: Path | None = None, ratio: str = "1:1",
                   by: GroupBy = "family") -> UserSuite:
    """Record ``folder`` as suite ``name`` (replacing an earlier one of that name)."""
    from heurevo.suites.catalog import SUITES, suite_from_folder

    if name in SUITES:
        raise ConfigError(f"'{name}' is a built-in suite; choose another name", key="NAME")
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder", key="DIR")
    problem = problem_of(folder)
    base = suite_from_folder(folder, problem)
    if refs is not None:
        references, source = match_references(base.instances, read_references(refs)), str(refs.resolve())
    else:
        references = folder_references(base.instances)
        source = str((folder / "optima.csv").resolve()) if references else ""
    splits = split_names([i.name for i in base.instances], parse_ratio(ratio), by)
    suite = UserSuite(name, problem, str(folder.resolve()), base.instances, splits, references, source)
    data = _load_all()
    data[name] = {"problem": problem, "folder": suite.folder,
                  "instances": [[i.name, i.path] for i in suite.instances],
                  "splits": {k: list(v) for k, v in splits.items()},
                  "references": references, "reference_source": source}
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return suite


def user_suites() -> dict[str, UserSuite]:
    """Every stored user suite by name."""
    out = {}
    for name, d in _load_all().items():
        out[name] = UserSuite(name, str(d["problem"]), str(d["folder"]),
                              tuple(SplitInstance(n, p) for n, p in d["instances"]),  # type: ignore[attr-defined]
                              {k: tuple(v) for k, v in d["splits"].items()},  # type: ignore[attr-defined]
                              dict(d["references"]), str(d.get("reference_source", "")))  # type: ignore[call-overload]
    return out


def find_user_suite(name: str) -> UserSuite | None:
    """The user suite called ``name``, if one is stored."""
    return user_suites().get(name)


@dataclass(frozen=True)
class BoardSuite:
    """A suite resolved for a leaderboard: its instances and their known references."""

    suite: Suite
    references: dict[str, float]
    reference_kind: str


def board_suite(name: str, split: str | None = None) -> BoardSuite:
    """A user suite, a folder of instance files, or a built-in suite (generated if needed)."""
    from heurevo.suites.catalog import SUITES, suite_cache_dir, suite_from_folder

    user = find_user_suite(name)
    if user is not None:
        suite = user.suite(split)
        return BoardSuite(suite, match_references(suite.instances, user.references),
                          Path(user.reference_source).name or "none")
    if split:
        raise ConfigError(f"only user suites (`heurevo suite add`) have splits; '{name}' is not one",
                          key="--split")
    folder = Path(name).expanduser()
    if folder.is_dir():
        suite = suite_from_folder(folder, problem_of(folder))
    elif name in SUITES:
        suite = SUITES.get(name)(suite_cache_dir() / name)
    else:
        raise ConfigError(f"unknown suite '{name}'; known: {', '.join(SUITES.names() + sorted(user_suites()))} "
                          "(or give a folder of instance files)", key="--suite")
    return BoardSuite(suite, folder_references(suite.instances), "optima.csv")


@dataclass(frozen=True)
class SuiteRow:
    """One line of ``heurevo suites``."""

    name: str
    problem: str
    instances: int
    splits: str
    references: str
    description: str


def list_suites() -> list[SuiteRow]:
    """Built-in suites (from the registry; generated into the cache if needed), then user suites."""
    from heurevo.suites.catalog import SUITES, suite_cache_dir

    rows = []
    for entry in SUITES.entries():
        suite = entry.obj(suite_cache_dir() / entry.name)
        refs = folder_references(suite.instances)
        rows.append(SuiteRow(entry.name, suite.problem, len(suite.instances), "all",
                             f"optima.csv ({len(refs)})" if refs else "best found",
                             entry.description))
    for user in user_suites().values():
        splits = ", ".join(f"{k} {len(v)}" for k, v in user.splits.items())
        refs = (f"{Path(user.reference_source).name} ({len(user.references)})"
                if user.references else "best found")
        rows.append(SuiteRow(user.name, user.problem, len(user.instances), splits, refs,
                             f"user suite: {user.folder}"))
    return rows
