"""Named instance suites and their train/validation split.

A suite is a list of instance files of one problem. Named suites are generated on demand
(seeded, so the same name always gives the same files) into a cache folder; a suite can also be
a folder of instance files. :func:`split_suite` makes the deterministic train/validation split.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heurevo.errors import ConfigError
from heurevo.registry import Registry


@dataclass(frozen=True)
class SplitInstance:
    """An instance file in a suite."""

    name: str
    path: str


@dataclass(frozen=True)
class Suite:
    """Instance files of one problem."""

    name: str
    problem: str
    instances: tuple[SplitInstance, ...]


SuiteBuilder = Callable[[Path], Suite]
SUITES: Registry[SuiteBuilder] = Registry("suite")

#: problem → instance file suffixes, for suites given as folders.
SUFFIXES = {"pbo": (".opb", ".wbo"), "tsp": (".tsp",)}


def suite_from_folder(folder: Path, problem: str) -> Suite:
    """Every instance file of ``problem`` in ``folder`` (sorted by name)."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES[problem])
    if not files:
        raise ConfigError(f"no {'/'.join(SUFFIXES[problem])} files in {folder}", key="suite.name")
    return Suite(folder.name, problem, tuple(SplitInstance(p.name, str(p.resolve())) for p in files))


def build_suite(name: str, problem: str, cache_dir: Path) -> Suite:
    """The named suite (generated into ``cache_dir`` if needed) or a folder of instances."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        return suite_from_folder(folder, problem)
    if name not in SUITES:
        raise ConfigError(f"unknown suite '{name}'; known: {', '.join(SUITES.names())} "
                          "(or give a folder of instance files)", key="suite.name")
    suite = SUITES.get(name)(cache_dir / name)
    if suite.problem != problem:
        raise ConfigError(f"suite '{name}' is for problem '{suite.problem}', not '{problem}'",
                          key="suite.name")
    return suite


def split_suite(suite: Suite, validation_fraction: float, seed: int) -> dict[str, list[SplitInstance]]:
    """Deterministic train/validation split (at least one instance in train)."""
    items = list(suite.instances)
    random.Random(seed).shuffle(items)
    n_val = min(round(validation_fraction * len(items)), len(items) - 1)
    val = sorted(items[:n_val], key=lambda i: i.name)
    train = sorted(items[n_val:], key=lambda i: i.name)
    return {"train": train, "validation": val or train}
