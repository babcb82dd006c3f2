"""The plug-in's named suites (registered through the ``heurevo.suites`` entry point)."""

from __future__ import annotations

from pathlib import Path

from heurevo.suites.catalog import SuiteBuilder, generated_suite
from heurevo_binpacking.instance import (
    OR_CAPACITY,
    WEIBULL_CAPACITY,
    uniform_items,
    weibull_items,
    write_bpp,
)


def write_weibull(folder: Path, n: int, seeds: list[int]) -> list[Path]:
    """One ``weibull{n}-s{seed}.bpp`` file per seed in ``folder`` (deterministic from n and seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_bpp(folder / f"weibull{n}-s{s}.bpp", WEIBULL_CAPACITY, weibull_items(n, s))
            for s in seeds]


def _weibull(n: int, seeds: list[int]) -> SuiteBuilder:
    def make(folder: Path) -> list[Path]:
        return write_weibull(folder, n, seeds)
    return generated_suite("binpacking", make, f"binpacking weibull n={n} seeds={seeds}\n")


def _uniform(n: int, seeds: list[int]) -> SuiteBuilder:
    def make(folder: Path) -> list[Path]:
        return [write_bpp(folder / f"u{n}-s{s}.bpp", OR_CAPACITY, uniform_items(n, s))
                for s in seeds]
    return generated_suite("binpacking", make, f"binpacking uniform n={n} seeds={seeds}\n")


WEIBULL_1K = _weibull(1000, list(range(1, 11)))
WEIBULL_1K.__doc__ = "10 Weibull(45, 3) instances of 1,000 items (capacity 100), for training"
WEIBULL_5K = _weibull(5000, list(range(5)))
WEIBULL_5K.__doc__ = "FunSearch's Weibull 5k protocol: 5 instances of 5,000 items (capacity 100)"
#: Seeds of the held-out instances: disjoint from every training and reproduction set here.
HELDOUT_SEEDS = list(range(101, 126))
WEIBULL_5K_HELDOUT = _weibull(5000, HELDOUT_SEEDS)
WEIBULL_5K_HELDOUT.__doc__ = "25 held-out Weibull instances of 5,000 items (seeds 101-125)"
OR_U500 = _uniform(500, list(range(1, 21)))
OR_U500.__doc__ = "20 OR-Library-style u500 instances (sizes uniform in [20, 100], capacity 150)"
