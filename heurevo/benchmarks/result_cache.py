"""The leaderboard's SQLite cache of verified solver runs, keyed by content.

A result is identified by the entry's key (a candidate's code hash, or a reference solver's
name, version and options), the instance file's content hash, the run seed, the budget with its
kind (``steps=100000`` or ``time=2s``) and a fingerprint of the solvers' sources, never by paths:
a moved suite folder still hits the cache, and a changed kernel or instance misses it. Timeouts
are not cached (they depend on the machine's load); everything else a candidate does under a step
budget is a fact. A time-budget result is a fact about the machine it ran on: it is cached like
the others but does not reproduce elsewhere. Each run keeps its anytime traces: (seconds,
objective) at each improvement and, under a step budget, (solver steps, objective).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from heurevo.errors import HeurevoError

_SCHEMA = """
DROP TABLE IF EXISTS results;
CREATE TABLE IF NOT EXISTS runs (
  entry TEXT NOT NULL, instance TEXT NOT NULL, seed INTEGER NOT NULL, budget TEXT NOT NULL,
  solver TEXT NOT NULL, status TEXT NOT NULL, objective REAL, feasible INTEGER NOT NULL,
  verified INTEGER NOT NULL, steps INTEGER NOT NULL, seconds REAL NOT NULL, error TEXT NOT NULL,
  trace TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (entry, instance, seed, budget, solver));
CREATE TABLE IF NOT EXISTS scores (
  instance TEXT NOT NULL, objective REAL NOT NULL, reference REAL NOT NULL, solver TEXT NOT NULL,
  score REAL NOT NULL, PRIMARY KEY (instance, objective, reference, solver));
"""


@dataclass(frozen=True)
class CacheKey:
    """What identifies one run: entry key, instance content, run seed, budget, solver source."""

    entry: str
    instance: str
    seed: int
    budget: str  # kind and size: "steps=100000" or "time=2s"
    solver: str


@dataclass(frozen=True)
class RunResult:
    """One verified run of an entry on an instance (``status`` is an EvalStatus value)."""

    status: str
    objective: float | None
    feasible: bool
    verified: bool
    steps: int
    seconds: float
    error: str = ""
    trace: tuple[tuple[float, float], ...] = ()  # (seconds, objective) at each improvement
    step_trace: tuple[tuple[int, float], ...] = ()  # (solver steps, objective): step budgets only

    @property
    def solved(self) -> bool:
        """True when the run ended normally with a verified feasible solution."""
        return self.status == "ok" and self.feasible and self.verified and self.objective is not None


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex, 20 characters)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:20]


def solver_fingerprint() -> str:
    """A hash of every solver module's source and the Numba version (what a run's result depends on)."""
    from heurevo._numba_cache import solver_source_hash

    return solver_source_hash()


class ResultCache:
    """Verified runs in one SQLite file (WAL; safe to share between threads)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise HeurevoError(f"{self.path}: not a usable leaderboard cache: {exc}") from None
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> RunResult | None:
        """The cached run under ``key``, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, objective, feasible, verified, steps, seconds, error, trace FROM runs"
                " WHERE entry=? AND instance=? AND seed=? AND budget=? AND solver=?",
                (key.entry, key.instance, key.seed, key.budget, key.solver)).fetchone()
        if row is None:
            return None
        status, objective, feasible, verified, steps, seconds, error, trace = row
        traces = json.loads(trace)
        if isinstance(traces, list):  # written before step traces were kept
            traces = {"seconds": traces}
        return RunResult(status, objective, bool(feasible), bool(verified), steps, seconds, error,
                         tuple((float(t), float(v)) for t, v in traces.get("seconds", ())),
                         tuple((int(n), float(v)) for n, v in traces.get("steps", ())))

    def put(self, key: CacheKey, result: RunResult) -> None:
        """Store a run (a timeout is not stored: it is a fact about the machine, not the code)."""
        if result.status == "timeout":
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (key.entry, key.instance, key.seed, key.budget, key.solver, result.status,
                 result.objective, int(result.feasible), int(result.verified), result.steps,
                 result.seconds, result.error,
                 json.dumps({"seconds": [list(p) for p in result.trace],
                             "steps": [list(p) for p in result.step_trace]}),
                 time.time()))

    def score(self, instance: str, objective: float, reference: float, solver: str) -> float | None:
        """A cached score of ``objective`` against ``reference`` on the instance (by content hash)."""
        with self._lock:
            row = self._db.execute(
                "SELECT score FROM scores WHERE instance=? AND objective=? AND reference=? AND solver=?",
                (instance, objective, reference, solver)).fetchone()
        return None if row is None else float(row[0])

    def put_score(self, instance: str, objective: float, reference: float, solver: str,
                  score: float) -> None:
        """Remember a score (scoring loads the instance, which is slow for large files)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?)",
                             (instance, objective, reference, solver, score))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
