"""Named instance suites and their train/validation split.

A suite is a list of instance files of one problem. Named suites are generated on demand
(seeded, so the same name always gives the same files) into a cache folder; a suite can also be
a folder of instance files. :func:`split_suite` makes the deterministic train/validation split.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heurevo.errors import ConfigError
from heurevo.registry import Registry
from heurevo.solvers.problem import problem_info


def suite_cache_dir() -> Path:
    """Where generated suites are written (``$HEUREVO_CACHE`` or ~/.cache/heurevo)."""
    base = os.environ.get("HEUREVO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "heurevo")
    return Path(base) / "suites"


@dataclass(frozen=True)
class SplitInstance:
    """An instance file in a suite; ``budget_steps`` > 0 overrides the run's steps for it."""

    name: str
    path: str
    budget_steps: int = 0


@dataclass(frozen=True)
class Suite:
    """Instance files of one problem."""

    name: str
    problem: str
    instances: tuple[SplitInstance, ...]


SuiteBuilder = Callable[[Path], Suite]
#: Named suites; installed packages add theirs under the ``heurevo.suites`` entry-point group.
SUITES: Registry[SuiteBuilder] = Registry("suite", group="heurevo.suites")


def suite_from_folder(folder: Path, problem: str) -> Suite:
    """Every instance file of ``problem`` in ``folder`` (sorted by name; suffixes from the registry)."""
    suffixes = problem_info(problem).suffixes
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    if not files:
        raise ConfigError(f"no {'/'.join(suffixes)} files in {folder}", key="suite.name")
    return Suite(folder.name, problem, tuple(SplitInstance(p.name, str(p.resolve())) for p in files))


def build_suite(name: str, problem: str, cache_dir: Path) -> Suite:
    """The named suite (generated into ``cache_dir`` if needed) or a folder of instances."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        return suite_from_folder(folder, problem)
    from heurevo.suites.user import find_user_suite

    user = find_user_suite(name)  # suites added with `heurevo suite add` come first
    if user is None and name not in SUITES:
        raise ConfigError(f"unknown suite '{name}'; known: {', '.join(SUITES.names())} "
                          "(or give a folder of instance files)", key="suite.name")
    suite = user.suite() if user is not None else SUITES.get(name)(cache_dir / name)
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


def generated_suite(problem: str, make: Callable[[Path], object], spec: str) -> SuiteBuilder:
    """A suite builder that writes its instance files with ``make(folder)`` once and lists them.

    ``spec`` is the suite's definition (e.g. its generator parameters): a change regenerates
    the cached files. This is how a plug-in declares a generated suite.
    """
    def build(folder: Path) -> Suite:
        suite = _generated(problem, folder, make, spec)
        return Suite(folder.name, problem, suite.instances)
    return build


def _generated(problem: str, folder: Path, make: Callable[[Path], object], spec: str) -> Suite:
    """Generate the files once, then list them.

    The stamp file records ``spec`` (the suite's definition): a cache made from an older
    definition of the same name is regenerated, never reused. Files are made in a fresh sibling
    folder that replaces the old one only when complete.
    """
    stamp = folder / ".complete"
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != spec:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        make(fresh)
        (fresh / ".complete").write_text(spec, encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        try:
            fresh.rename(folder)
        except OSError:  # another process installed the suite first
            shutil.rmtree(fresh, ignore_errors=True)
    return suite_from_folder(folder, problem)


def _pbo_suite(families: list[str], sizes: list[int], seeds: list[int]) -> SuiteBuilder:
    def make(folder: Path) -> list[Path]:
        from heurevo.instances.generators.pbo import write_suite

        return write_suite(folder, families, sizes, seeds)

    return generated_suite("pbo", make, f"pbo families={families} sizes={sizes} seeds={seeds}\n")


SUITES.register("pbo-mixed-small", _pbo_suite(["setcover", "knapsack", "vertexcover", "assignment"],
                                              [60], [1, 2, 3]),
                "12 small generated PBO instances: set cover, knapsack, vertex cover, assignment")
SUITES.register("pbo-mixed-heldout", _pbo_suite(["setcover", "knapsack", "vertexcover", "assignment"],
                                                [60, 90], [101, 102]),
                "16 held-out PBO instances of pbo-mixed-small's families (other seeds, also larger)")
SUITES.register("pbo-setcover", _pbo_suite(["setcover"], [120, 200], [1, 2, 3, 4, 5]),
                "10 generated weighted set-cover instances (120 and 200 elements)")
SUITES.register("pbo-knapsack", _pbo_suite(["knapsack"], [100, 200], [1, 2, 3, 4, 5]),
                "10 generated multi-dimensional knapsack instances (as minimisation)")
SUITES.register("pbo-knapsack-heldout", _pbo_suite(["knapsack"], [100, 200], [101, 102, 103]),
                "6 held-out knapsack instances (other seeds than pbo-knapsack)")
SUITES.register("pbo-setcover-heldout", _pbo_suite(["setcover"], [120, 200], [101, 102, 103]),
                "6 held-out set-cover instances (other seeds than pbo-setcover)")
SUITES.register("pbo-tiny", _pbo_suite(["setcover", "vertexcover"], [20], [1, 2]),
                "4 tiny generated PBO instances, for tests")


def _tsp_suite(n: int, seeds: list[int], clustered: bool = False) -> SuiteBuilder:
    def make(f: Path) -> list[Path]:
        from heurevo.instances.generators.tsp import clustered_points, tsplib_text, uniform_points

        paths = []
        for seed in seeds:
            name = f"{'clustered' if clustered else 'uniform'}{n}-s{seed}"
            pts = clustered_points(n, seed) if clustered else uniform_points(n, seed)
            p = f / f"{name}.tsp"
            p.write_text(tsplib_text(pts, name))
            paths.append(p)
        return paths

    return generated_suite("tsp", make, f"tsp n={n} seeds={seeds} clustered={clustered}\n")


SUITES.register("tsp-uniform-small", _tsp_suite(100, list(range(1, 9))),
                "8 uniform random 100-city instances")
SUITES.register("tsp-uniform-heldout", _tsp_suite(100, list(range(101, 109))),
                "8 held-out uniform random 100-city instances (other seeds than tsp-uniform-small)")
SUITES.register("tsp-uniform-500", _tsp_suite(500, list(range(1, 31))),
                "30 uniform random 500-city instances")
SUITES.register("tsp-uniform-500-heldout", _tsp_suite(500, list(range(101, 121))),
                "20 held-out uniform random 500-city instances (other seeds than tsp-uniform-500)")
SUITES.register("tsp-clustered-200", _tsp_suite(200, list(range(1, 9)), clustered=True),
                "8 clustered 200-city instances")
SUITES.register("tsp-tiny", _tsp_suite(30, [1, 2, 3]), "3 uniform 30-city instances, for tests")


def _real_pbo(half: str) -> SuiteBuilder:
    def build(folder: Path) -> Suite:
        from heurevo.suites.real_pbo import real_pbo_suite

        return real_pbo_suite(half)
    return build


SUITES.register("pbo-real-train", _real_pbo("train"),
                "train half of the real OPB instances in $HEUREVO_PBO_REAL or the shared data "
                "(1:1 by family, steps scaled to size)")
SUITES.register("pbo-real-test", _real_pbo("test"),
                "test half of the real OPB instances (the other half of pbo-real-train)")


# Families where the default search does not reach the same value on every seed at the default
# step budget (the dense set-cover and assignment families do), so a heuristic can be better.
for _fam, _sizes, _what in (("vertexcover", [300, 500], "minimum weighted vertex cover"),
                            ("sparsecover", [300, 500], "sparse weighted set cover"),
                            ("maxsat", [900, 1200], "weighted MaxSAT (relaxation variables)")):
    SUITES.register(f"pbo-{_fam}", _pbo_suite([_fam], _sizes, [1, 2, 3, 4, 5]),
                    f"10 generated {_what} instances (sizes {_sizes[0]} and {_sizes[1]})")
    SUITES.register(f"pbo-{_fam}-heldout", _pbo_suite([_fam], _sizes, [101, 102, 103]),
                    f"6 held-out {_what} instances (other seeds than pbo-{_fam})")
HARD_FAMILIES = ["knapsack", "vertexcover", "sparsecover", "maxsat"]
SUITES.register("pbo-mixed-hard", _pbo_suite(HARD_FAMILIES, [150], [1, 2, 3]),
                "12 generated PBO instances where heuristics differ: knapsack, vertex cover, "
                "sparse set cover, MaxSAT")
SUITES.register("pbo-mixed-hard-heldout", _pbo_suite(HARD_FAMILIES, [150, 300], [101, 102]),
                "16 held-out instances of pbo-mixed-hard's families (other seeds, also larger)")
SUITES.register("tsp-clustered-500", _tsp_suite(500, list(range(1, 21)), clustered=True),
                "20 clustered 500-city instances")
SUITES.register("tsp-clustered-500-heldout", _tsp_suite(500, list(range(101, 111)), clustered=True),
                "10 held-out clustered 500-city instances (other seeds than tsp-clustered-500)")
