"""Bounds on the resource limits a user or a config file may set, checked at the boundary.

Each check raises ``ValueError`` naming the key, the bound and the value; config ``validate()``
methods call them (so a TOML file gets a one-line ``file: key: ...`` error) and so do the CLI
commands that take the same limits as options.
"""

from __future__ import annotations

import math
import os

from heurevo.errors import ConfigError

#: The largest step budget accepted per instance run (a baseline at 2**63 would never end).
MAX_BUDGET_STEPS = 10**9
#: The smallest worker memory limit (0 = unlimited): a warm zygote with both problems' kernels
#: maps about 0.9 GB of address space before any candidate runs (RLIMIT_AS counts all of it).
MIN_MEMORY_MB = 1024


def max_workers() -> int:
    """Sandboxed workers allowed without forcing: twice the machine's cores."""
    return 2 * (os.cpu_count() or 1)


def check_timeout(key: str, value: float) -> None:
    """A finite number of seconds > 0 (inf, nan, 0 and negatives are refused)."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"must be a finite number of seconds > 0, got {value}", key=key)


def check_budget_steps(key: str, value: int, *, zero_ok: bool = True) -> None:
    """0 (when ``zero_ok``: the problem's default) or 1 .. ``MAX_BUDGET_STEPS`` steps."""
    low = 0 if zero_ok else 1
    if not low <= value <= MAX_BUDGET_STEPS:
        raise ConfigError(f"must be between {low} and {MAX_BUDGET_STEPS:,} steps "
                          f"(the cap), got {value}", key=key)


def check_memory_mb(key: str, value: int) -> None:
    """0 (unlimited) or at least ``MIN_MEMORY_MB``."""
    if value != 0 and value < MIN_MEMORY_MB:
        raise ConfigError(f"must be at least {MIN_MEMORY_MB} MB (or 0 for no limit), got {value}", key=key)


def check_workers(key: str, value: int, *, force: bool = False) -> None:
    """1 .. ``max_workers()``; more only when forced."""
    if value < 1:
        raise ConfigError(f"must be >= 1, got {value}", key=key)
    if value > max_workers() and not force:
        raise ConfigError(f"{value} workers on {os.cpu_count()} cores is more than the cap of "
                          f"{max_workers()} (2 per core); pass --force-workers (or set "
                          "evaluation.force_workers = true) to run them anyway", key=key)
