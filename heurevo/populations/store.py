"""Durable storage of one run: its config, candidates, evaluations, events and LLM calls.

:class:`SQLiteStore` is the default (WAL journal, one transaction per finished evaluation, so a
killed run loses nothing); :class:`MemoryStore` implements the same interface in memory for
tests and throw-away runs. Both pass the same contract tests.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from heurevo.errors import HeurevoError
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    LLMCall,
    Stage,
)
from heurevo.text import clip_text

SCHEMA_VERSION = 1


class StoreError(HeurevoError):
    """The store cannot be opened or used (wrong schema, missing run, conflicting write)."""


@dataclass(frozen=True)
class RunInfo:
    """The run's identity and resolved configuration (TOML text)."""

    run_id: str
    seed: int
    config_toml: str
    created: float
    status: str = "running"


@dataclass(frozen=True)
class Event:
    """Something that happened in the run: a generation boundary, budget spent, a stop."""

    seq: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0




class Store(ABC):
    """The interface every run store implements."""

    @abstractmethod
    def init_run(self, run_id: str, seed: int, config_toml: str) -> RunInfo:
        """Create the run record, or return the existing one (resume) if the id matches."""

    @abstractmethod
    def run_info(self) -> RunInfo | None:
        """The run record, or None if the store is empty."""

    @abstractmethod
    def set_run_status(self, status: str) -> None:
        """Mark the run (running, finished, interrupted...)."""

    @abstractmethod
    def add_candidate(self, cand: Candidate) -> bool:
        """Insert a candidate; False (and nothing written) if its id is already stored."""

    @abstractmethod
    def set_candidate_state(self, candidate_id: str, state: CandidateState) -> None:
        """Move a stored candidate to another lifecycle state."""

    @abstractmethod
    def candidate(self, candidate_id: str) -> Candidate | None:
        """One candidate by id."""

    @abstractmethod
    def candidates(self, state: CandidateState | None = None) -> list[Candidate]:
        """Candidates in insertion order, optionally of one state."""

    @abstractmethod
    def record_evaluation(self, key: str, result: EvaluationResult,
                          state: CandidateState | None = None) -> bool:
        """Store a finished evaluation (and the candidate's new state) atomically.

        ``key`` identifies the evaluation (candidate, stage, instance set); recording the same key
        twice is refused (returns False) so a resumed run never duplicates work.
        """

    @abstractmethod
    def evaluation(self, key: str) -> EvaluationResult | None:
        """The evaluation stored under ``key``."""

    @abstractmethod
    def evaluations(self) -> list[tuple[str, EvaluationResult]]:
        """All evaluations as (key, result), in the order they were recorded."""

    @abstractmethod
    def add_event(self, kind: str, data: dict[str, Any] | None = None) -> int:
        """Append an event; returns its sequence number."""

    @abstractmethod
    def events(self, kind: str | None = None) -> list[Event]:
        """Events in order, optionally of one kind."""

    @abstractmethod
    def add_llm_call(self, call: LLMCall) -> int:
        """Append an LLM exchange; returns its sequence number."""

    @abstractmethod
    def llm_calls(self) -> list[LLMCall]:
        """LLM exchanges in order."""

    @abstractmethod
    def close(self) -> None:
        """Release resources."""

    # --- CIRE: embeddings cache, clusters per generation, novelty rejections ------------------
    @abstractmethod
    def add_embeddings(self, backend: str, kind: str, vectors: dict[str, list[float]]) -> None:
        """Cache embedding vectors of candidates (by back-end and kind: code or idea)."""

    @abstractmethod
    def embeddings(self, backend: str, kind: str, ids: list[str]) -> dict[str, list[float]]:
        """The cached vectors of those candidates that have one."""

    @abstractmethod
    def add_cire_record(self, table: str, generation: int, data: dict[str, Any]) -> None:
        """Append a record to ``clusters``, ``novelty`` or ``refinement`` (plain JSON data)."""

    @abstractmethod
    def cire_records(self, table: str) -> list[tuple[int, dict[str, Any]]]:
        """(generation, data) of one of those tables, in the order written."""


#: The tables :meth:`Store.add_cire_record` writes.
CIRE_TABLES = ("clusters", "novelty", "refinement")


class MemoryStore(Store):
    """The store interface over plain Python containers."""

    def __init__(self) -> None:
        self._run: RunInfo | None = None
        self._cands: dict[str, Candidate] = {}
        self._evals: dict[str, EvaluationResult] = {}
        self._events: list[Event] = []
        self._llm: list[LLMCall] = []
        self._vectors: dict[tuple[str, str, str], list[float]] = {}
        self._cire: dict[str, list[tuple[int, dict[str, Any]]]] = {t: [] for t in CIRE_TABLES}
        self._lock = threading.Lock()

    def init_run(self, run_id: str, seed: int, config_toml: str) -> RunInfo:
        with self._lock:
            if self._run is None:
                self._run = RunInfo(run_id, seed, config_toml, time.time())
            elif self._run.run_id != run_id:
                raise StoreError(f"store holds run '{self._run.run_id}', not '{run_id}'")
            return self._run

    def run_info(self) -> RunInfo | None:
        return self._run

    def set_run_status(self, status: str) -> None:
        if self._run is None:
            raise StoreError("no run initialised")
        self._run = replace(self._run, status=status)

    def add_candidate(self, cand: Candidate) -> bool:
        with self._lock:
            if cand.id in self._cands:
                return False
            self._cands[cand.id] = cand
            return True

    def set_candidate_state(self, candidate_id: str, state: CandidateState) -> None:
        with self._lock:
            if candidate_id not in self._cands:
                raise StoreError(f"unknown candidate '{candidate_id}'")
            self._cands[candidate_id] = self._cands[candidate_id].with_state(state)

    def candidate(self, candidate_id: str) -> Candidate | None:
        return self._cands.get(candidate_id)

    def candidates(self, state: CandidateState | None = None) -> list[Candidate]:
        return [c for c in self._cands.values() if state is None or c.state is state]

    def record_evaluation(self, key: str, result: EvaluationResult,
                          state: CandidateState | None = None) -> bool:
        with self._lock:
            if key in self._evals:
                return False
            if state is not None:
                if result.candidate_id not in self._cands:
                    raise StoreError(f"unknown candidate '{result.candidate_id}'")
                self._cands[result.candidate_id] = self._cands[result.candidate_id].with_state(state)
            self._evals[key] = result
            return True

    def evaluation(self, key: str) -> EvaluationResult | None:
        return self._evals.get(key)

    def evaluations(self) -> list[tuple[str, EvaluationResult]]:
        return list(self._evals.items())

    def add_event(self, kind: str, data: dict[str, Any] | None = None) -> int:
        with self._lock:
            seq = len(self._events) + 1
            self._events.append(Event(seq, kind, json.loads(json.dumps(data or {})), time.time()))
            return seq

    def events(self, kind: str | None = None) -> list[Event]:
        return [e for e in self._events if kind is None or e.kind == kind]

    def add_llm_call(self, call: LLMCall) -> int:
        with self._lock:
            seq = len(self._llm) + 1
            self._llm.append(replace(call, seq=seq))
            return seq

    def llm_calls(self) -> list[LLMCall]:
        return list(self._llm)

    def add_embeddings(self, backend: str, kind: str, vectors: dict[str, list[float]]) -> None:
        with self._lock:
            for cid, vec in vectors.items():
                self._vectors.setdefault((backend, kind, cid), list(vec))

    def embeddings(self, backend: str, kind: str, ids: list[str]) -> dict[str, list[float]]:
        return {i: self._vectors[(backend, kind, i)] for i in ids if (backend, kind, i) in self._vectors}

    def add_cire_record(self, table: str, generation: int, data: dict[str, Any]) -> None:
        with self._lock:
            self._cire[table].append((generation, json.loads(json.dumps(data))))

    def cire_records(self, table: str) -> list[tuple[int, dict[str, Any]]]:
        return list(self._cire[table])

    def close(self) -> None:
        """Nothing to release: the run lives in this object."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, seed INTEGER NOT NULL, config TEXT NOT NULL,
  created REAL NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, problem TEXT NOT NULL,
  sources TEXT NOT NULL, parents TEXT NOT NULL, operator TEXT NOT NULL, proposer TEXT NOT NULL,
  state TEXT NOT NULL, idea TEXT NOT NULL, generation INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, candidate_id TEXT NOT NULL,
  status TEXT NOT NULL, stage TEXT NOT NULL, fitness REAL, descriptor TEXT NOT NULL,
  metrics TEXT NOT NULL, error TEXT NOT NULL, feedback TEXT NOT NULL, seconds REAL NOT NULL,
  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS instance_results (
  evaluation_seq INTEGER NOT NULL REFERENCES evaluations(seq), pos INTEGER NOT NULL,
  instance TEXT NOT NULL, seed INTEGER NOT NULL, objective REAL, verified INTEGER NOT NULL,
  feasible INTEGER NOT NULL, steps INTEGER NOT NULL, seconds REAL NOT NULL, score REAL NOT NULL,
  trace TEXT NOT NULL, PRIMARY KEY (evaluation_seq, pos));
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, data TEXT NOT NULL,
  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS llm_calls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, cache_key TEXT NOT NULL, model TEXT NOT NULL,
  request TEXT NOT NULL, response TEXT, prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL, cost REAL NOT NULL, seconds REAL NOT NULL,
  error TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS llm_calls_key ON llm_calls(cache_key);
CREATE TABLE IF NOT EXISTS embeddings (
  backend TEXT NOT NULL, kind TEXT NOT NULL, candidate_id TEXT NOT NULL, vector TEXT NOT NULL,
  PRIMARY KEY (backend, kind, candidate_id));
CREATE TABLE IF NOT EXISTS clusters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS novelty (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refinement (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, data TEXT NOT NULL);
"""


class SQLiteStore(Store):
    """The store interface over one SQLite file in WAL mode (thread-safe via one lock)."""

    def __init__(self, path: str | Path, *, create: bool = True):
        """Open (``create``: or create) the store at ``path``; it is checked before use.

        An existing file must be a heurevo store of this schema version that passes SQLite's
        ``quick_check``; with ``create=False`` a missing or empty (0-byte) file is an error
        too, so a truncated store is never mistaken for a new run."""
        self.path = Path(path)
        if not create:
            if not self.path.is_file():
                raise StoreError(f"{self.path}: no such run store")
            if self.path.stat().st_size == 0:
                raise StoreError(f"{self.path}: the run store is empty (0 bytes): it was "
                                 "truncated or never written; restore it or start a new run")
        existed = self.path.is_file() and self.path.stat().st_size > 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if existed:
                problems = [r[0] for r in self._db.execute("PRAGMA quick_check(5)").fetchall()]
                if problems != ["ok"]:
                    raise StoreError(f"{self.path}: the run store is damaged (SQLite quick_check: "
                                     f"{'; '.join(map(str, problems))}); restore it from a copy")
                has_meta = self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
                if not has_meta:
                    raise StoreError(f"{self.path}: an SQLite file, but not a heurevo run store")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None and existed:
                raise StoreError(f"{self.path}: the run store has no schema version")
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable heurevo store: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the run store: {exc.strerror}") from None
        if row is not None and row[0] != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path}: schema version {row[0]!r}, this heurevo reads "
                             f"{SCHEMA_VERSION}")
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Turn SQLite errors met while reading (pages damaged after the open check) into a
        one-line :class:`StoreError` naming the file."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: the run store is damaged ({exc}); restore it from "
                             "a copy") from None

    def _tx(self, fn: Any) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def init_run(self, run_id: str, seed: int, config_toml: str) -> RunInfo:
        def tx(db: sqlite3.Connection) -> RunInfo:
            row = db.execute("SELECT run_id, seed, config, created, status FROM runs").fetchone()
            if row is None:
                info = RunInfo(run_id, seed, config_toml, time.time())
                db.execute("INSERT INTO runs VALUES (?,?,?,?,?)",
                           (info.run_id, info.seed, info.config_toml, info.created, info.status))
                return info
            if row[0] != run_id:
                raise StoreError(f"{self.path} holds run '{row[0]}', not '{run_id}'")
            return RunInfo(*row)
        return self._tx(tx)

    def run_info(self) -> RunInfo | None:
        rows = self._query("SELECT run_id, seed, config, created, status FROM runs")
        return RunInfo(*rows[0]) if rows else None

    def set_run_status(self, status: str) -> None:
        def tx(db: sqlite3.Connection) -> None:
            if db.execute("UPDATE runs SET status=?", (status,)).rowcount == 0:
                raise StoreError("no run initialised")
        self._tx(tx)

    def add_candidate(self, cand: Candidate) -> bool:
        def tx(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "INSERT OR IGNORE INTO candidates (id, problem, sources, parents, operator, proposer,"
                " state, idea, generation, created) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (cand.id, cand.problem, json.dumps(cand.sources, sort_keys=True),
                 json.dumps(list(cand.parents)), cand.operator, cand.proposer, cand.state.value,
                 cand.idea, cand.generation, time.time()))
            return cur.rowcount == 1
        return self._tx(tx)

    def set_candidate_state(self, candidate_id: str, state: CandidateState) -> None:
        def tx(db: sqlite3.Connection) -> None:
            cur = db.execute("UPDATE candidates SET state=? WHERE id=?", (state.value, candidate_id))
            if cur.rowcount == 0:
                raise StoreError(f"unknown candidate '{candidate_id}'")
        self._tx(tx)

    _CAND_COLS = "id, problem, sources, parents, operator, proposer, state, idea, generation"

    @staticmethod
    def _cand(row: tuple[Any, ...]) -> Candidate:
        return Candidate(id=row[0], problem=row[1], sources=json.loads(row[2]),
                         parents=tuple(json.loads(row[3])), operator=row[4], proposer=row[5],
                         state=CandidateState(row[6]), idea=row[7], generation=row[8])

    def candidate(self, candidate_id: str) -> Candidate | None:
        rows = self._query(f"SELECT {self._CAND_COLS} FROM candidates WHERE id=?", (candidate_id,))
        return self._cand(rows[0]) if rows else None

    def candidates(self, state: CandidateState | None = None) -> list[Candidate]:
        if state is None:
            rows = self._query(f"SELECT {self._CAND_COLS} FROM candidates ORDER BY seq")
        else:
            rows = self._query(f"SELECT {self._CAND_COLS} FROM candidates WHERE state=? ORDER BY seq",
                               (state.value,))
        return [self._cand(r) for r in rows]

    def record_evaluation(self, key: str, result: EvaluationResult,
                          state: CandidateState | None = None) -> bool:
        def tx(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "INSERT OR IGNORE INTO evaluations (key, candidate_id, status, stage, fitness,"
                " descriptor, metrics, error, feedback, seconds, created)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (key, result.candidate_id, result.status.value, result.stage.value, result.fitness,
                 json.dumps(list(result.descriptor)), json.dumps(result.metrics, sort_keys=True),
                 clip_text(result.error), clip_text(result.feedback), result.seconds, time.time()))
            if cur.rowcount == 0:
                return False
            seq = cur.lastrowid
            db.executemany(
                "INSERT INTO instance_results VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(seq, i, r.instance, r.seed, r.objective, int(r.verified), int(r.feasible), r.steps,
                  r.seconds, r.score, json.dumps([list(t) for t in r.trace]))
                 for i, r in enumerate(result.instances)])
            if state is not None:
                upd = db.execute("UPDATE candidates SET state=? WHERE id=?",
                                 (state.value, result.candidate_id))
                if upd.rowcount == 0:
                    raise StoreError(f"unknown candidate '{result.candidate_id}'")
            return True
        return self._tx(tx)

    def _eval_rows(self, where: str, args: tuple[Any, ...]) -> list[tuple[str, EvaluationResult]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, key, candidate_id, status, stage, fitness, descriptor, metrics, error,"
                f" feedback, seconds FROM evaluations {where} ORDER BY seq", args).fetchall()
            out = []
            for seq, key, cid, status, stage, fit, desc, metrics, err, fb, secs in rows:
                inst = self._db.execute(
                    "SELECT instance, seed, objective, verified, feasible, steps, seconds, trace, score"
                    " FROM instance_results WHERE evaluation_seq=? ORDER BY pos", (seq,)).fetchall()
                results = tuple(
                    InstanceResult(instance=i, seed=s, objective=o, verified=bool(v), feasible=bool(f),
                                   steps=st, seconds=sc, trace=tuple(tuple(t) for t in json.loads(tr)),
                                   score=score)
                    for i, s, o, v, f, st, sc, tr, score in inst)
                out.append((key, EvaluationResult(
                    candidate_id=cid, status=EvalStatus(status), stage=Stage(stage), instances=results,
                    fitness=fit, descriptor=tuple(json.loads(desc)), metrics=json.loads(metrics),
                    error=err, feedback=fb, seconds=secs)))
            return out

    def evaluation(self, key: str) -> EvaluationResult | None:
        rows = self._eval_rows("WHERE key=?", (key,))
        return rows[0][1] if rows else None

    def evaluations(self) -> list[tuple[str, EvaluationResult]]:
        return self._eval_rows("", ())

    def add_event(self, kind: str, data: dict[str, Any] | None = None) -> int:
        return self._tx(lambda db: db.execute(
            "INSERT INTO events (kind, data, created) VALUES (?,?,?)",
            (kind, json.dumps(data or {}, sort_keys=True), time.time())).lastrowid)

    def events(self, kind: str | None = None) -> list[Event]:
        sql = "SELECT seq, kind, data, created FROM events"
        rows = self._query(sql + " ORDER BY seq") if kind is None else \
            self._query(sql + " WHERE kind=? ORDER BY seq", (kind,))
        return [Event(s, k, json.loads(d), c) for s, k, d, c in rows]

    def add_llm_call(self, call: LLMCall) -> int:
        return self._tx(lambda db: db.execute(
            "INSERT INTO llm_calls (cache_key, model, request, response, prompt_tokens,"
            " completion_tokens, cost, seconds, error, created) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (call.cache_key, call.model, json.dumps(call.request, sort_keys=True),
             None if call.response is None else json.dumps(call.response, sort_keys=True),
             call.prompt_tokens, call.completion_tokens, call.cost, call.seconds,
             clip_text(call.error), time.time())).lastrowid)

    def llm_calls(self) -> list[LLMCall]:
        rows = self._query("SELECT seq, cache_key, model, request, response, prompt_tokens,"
                           " completion_tokens, cost, seconds, error FROM llm_calls ORDER BY seq")
        return [LLMCall(s, k, m, json.loads(rq), None if rs is None else json.loads(rs), pt, ct,
                        cost, secs, err) for s, k, m, rq, rs, pt, ct, cost, secs, err in rows]

    def add_embeddings(self, backend: str, kind: str, vectors: dict[str, list[float]]) -> None:
        self._tx(lambda db: db.executemany(
            "INSERT OR IGNORE INTO embeddings VALUES (?,?,?,?)",
            [(backend, kind, cid, json.dumps(list(vec))) for cid, vec in vectors.items()]))

    def embeddings(self, backend: str, kind: str, ids: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            rows = self._query("SELECT candidate_id, vector FROM embeddings WHERE backend=? AND kind=?"
                               f" AND candidate_id IN ({','.join('?' * len(part))})",
                               (backend, kind, *part))
            out.update({cid: json.loads(vec) for cid, vec in rows})
        return out

    def add_cire_record(self, table: str, generation: int, data: dict[str, Any]) -> None:
        if table not in CIRE_TABLES:
            raise StoreError(f"unknown table '{table}' (known: {', '.join(CIRE_TABLES)})")
        self._tx(lambda db: db.execute(f"INSERT INTO {table} (generation, data) VALUES (?,?)",
                                       (generation, json.dumps(data, sort_keys=True))))

    def cire_records(self, table: str) -> list[tuple[int, dict[str, Any]]]:
        if table not in CIRE_TABLES:
            raise StoreError(f"unknown table '{table}' (known: {', '.join(CIRE_TABLES)})")
        return [(g, json.loads(d)) for g, d in
                self._query(f"SELECT generation, data FROM {table} ORDER BY seq")]

    def close(self) -> None:
        with self._lock:
            self._db.close()
