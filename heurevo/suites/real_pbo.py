"""Real-instance PBO suites: a folder of OPB files split 1:1 into train and test by family.

The folder is ``$HEUREVO_PBO_REAL`` when set, else the shared data's ``pbo/`` folder (e.g.
the MIPLIB and PB-competition files beside the checkout). An instance's family is its file-name
prefix up to the first ``_`` or ``-`` (``miplib_p0548`` → ``miplib``, ``normalized-ws97-5`` →
``normalized``); families with a single file are pooled as ``other``. The split is 1:1 as in
AutoPBO, stratified by family and size (see :func:`split_by_family`), so both halves hold every
family and similar sizes. Files that ``optima.csv`` marks infeasible are left out (nothing to
optimise). Each instance carries a step budget scaled to its size: ``STEPS_PER_VARIABLE`` flips
per variable (from the PB-competition header ``#variable=``, else from parsing the file),
clamped to [``MIN_STEPS``, ``MAX_STEPS``]. The cap is low because a flip on the largest files
(air03: 10757 variables, constraints of hundreds of literals) costs about 0.2 ms on a loaded
2-core machine, so 50k flips there already take about 10 s per run.
"""

from __future__ import annotations

import csv
import os
import random
import re
from pathlib import Path

from heurevo.errors import ConfigError
from heurevo.solvers.problem import problem_info
from heurevo.suites.catalog import SplitInstance, Suite
from heurevo.suites.shared_data import shared_data_dir

ENV_VAR = "HEUREVO_PBO_REAL"
STEPS_PER_VARIABLE = 20
MIN_STEPS = 10_000
MAX_STEPS = 50_000
SPLIT_SEED = 15
_HEADER = re.compile(rb"#variable=\s*(\d+)")


def real_pbo_folder() -> Path:
    """The folder of real OPB instances; a ConfigError naming the variable when there is none."""
    env = os.environ.get(ENV_VAR)
    folder = Path(env).expanduser() if env else shared_data_dir("pbo")
    if folder is None or not folder.is_dir():
        raise ConfigError(f"no real PBO folder: set {ENV_VAR} to a folder of .opb files"
                          f"{f' ({env} is not a folder)' if env else ''}", key="suite.name")
    return folder


def family_of(name: str) -> str:
    """The family of an instance file: its name up to the first '_' or '-'."""
    return re.split(r"[_-]", Path(name).name, maxsplit=1)[0]


def n_variables(path: Path) -> int:
    """The variable count from the OPB header, else by parsing the file."""
    with path.open("rb") as fh:
        m = _HEADER.search(fh.readline())
    if m:
        return int(m.group(1))
    from heurevo.instances.formats.opb import read_pb

    return read_pb(path).n_vars


def scaled_budget(n_vars: int) -> int:
    """Flips for an instance of ``n_vars`` variables."""
    return int(min(MAX_STEPS, max(MIN_STEPS, STEPS_PER_VARIABLE * n_vars)))


def _infeasible(folder: Path) -> set[str]:
    table = folder / "optima.csv"
    if not table.is_file():
        return set()
    with table.open(newline="") as fh:
        return {row.get("file", "") for row in csv.DictReader(fh)
                if (row.get("reference_obj") or "").strip().upper() == "INFEASIBLE"}


def split_by_family(sizes: dict[str, int], seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """Split names 1:1 stratified by family and size: each family's files, sorted by size, are
    taken in pairs and a seeded coin sends one of each pair to train, the other to test; the
    odd files left over alternate between the halves."""
    groups: dict[str, list[str]] = {}
    for name in sorted(sizes):
        groups.setdefault(family_of(name), []).append(name)
    pooled: dict[str, list[str]] = {}
    for fam, members in groups.items():
        pooled.setdefault(fam if len(members) > 1 else "other", []).extend(members)
    halves: dict[str, list[str]] = {"train": [], "test": []}
    rng = random.Random(seed)
    odd = 0
    for fam in sorted(pooled):
        members = sorted(pooled[fam], key=lambda n: (sizes[n], n))
        for k in range(0, len(members) - 1, 2):
            pair = members[k:k + 2]
            rng.shuffle(pair)
            halves["train"].append(pair[0])
            halves["test"].append(pair[1])
        if len(members) % 2:
            halves["train" if odd % 2 == 0 else "test"].append(members[-1])
            odd += 1
    return {k: sorted(v) for k, v in halves.items()}


def real_pbo_suite(half: str, folder: Path | None = None) -> Suite:
    """The ``train`` or ``test`` half of the real instances, with per-instance budgets."""
    folder = folder or real_pbo_folder()
    skip = _infeasible(folder)
    files = {p.name: p for p in folder.iterdir()
             if p.suffix.lower() in problem_info("pbo").suffixes and p.name not in skip}
    if len(files) < 2:
        raise ConfigError(f"{folder}: need at least 2 instance files for a train/test split",
                          key="suite.name")
    sizes = {n: n_variables(p) for n, p in files.items()}
    items = tuple(SplitInstance(n, str(files[n].resolve()), scaled_budget(sizes[n]))
                  for n in split_by_family(sizes)[half])
    return Suite(f"pbo-real-{half}", "pbo", items)
