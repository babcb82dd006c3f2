"""The mistake notebook (REMO): failures and lessons that outlive a run, in one SQLite file.

Several runs may share a notebook (``evolve --notebook FILE``). A run writes:

* a *failure* for every candidate that did not evaluate (what was tried, what went wrong), keyed
  by its normalised code, so a later run can skip a known failure before evaluating it;
* a *fix* when a failed candidate's follow-up evaluates (how it was fixed);
* an *effect* when a change moved the fitness against its parent (which change helped or hurt,
  on which instance family, by how much).

:meth:`Notebook.search` returns the entries nearest a query by embedding similarity (for the
prompts); :meth:`Notebook.reflect` rewrites, at the end of each generation, the guidance section
the operator prompts carry, from what the notebook holds; every version is kept.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heurevo.engine.embeddings import Embedder
from heurevo.engine.normalise import normalised_sources
from heurevo.errors import ConfigError, HeurevoError
from heurevo.populations.records import Candidate, Member

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, problem TEXT NOT NULL,
  kind TEXT NOT NULL, candidate_id TEXT NOT NULL, code_key TEXT NOT NULL, family TEXT NOT NULL,
  text TEXT NOT NULL, effect REAL NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entries_code ON entries(problem, code_key, kind);
CREATE TABLE IF NOT EXISTS guidance (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, problem TEXT NOT NULL,
  generation INTEGER NOT NULL, text TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS uses (
  run_id TEXT NOT NULL, generation INTEGER NOT NULL, entry_seq INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class NotebookConfig:
    """The notebook (``[cire.notebook]`` in a run config; ``evolve --notebook FILE`` sets path)."""

    path: str = ""  # empty = no notebook
    top_k: int = 3
    skip_known_failures: bool = True
    min_effect: float = 0.005  # a fitness change smaller than this is not a lesson

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.top_k < 0:
            raise ConfigError(f"must be >= 0, got {self.top_k}", key="top_k")


@dataclass(frozen=True)
class Entry:
    """One notebook entry."""

    seq: int
    run_id: str
    kind: str  # failure, fix or effect
    candidate_id: str
    family: str
    text: str
    effect: float = 0.0


def family_of(instance: str) -> str:
    """The instance family: the name up to its first digit or dash ("knapsack-n40-3" → "knapsack")."""
    out = []
    for ch in instance:
        if ch.isdigit() or ch in "-_.":
            break
        out.append(ch)
    return "".join(out) or instance


def family_effects(child: Member, parent: Member) -> dict[str, float]:
    """Mean score change per instance family on the instances both were run on."""
    before = {r.instance: r.score for r in parent.result.instances}
    sums: dict[str, list[float]] = {}
    for r in child.result.instances:
        if r.instance in before:
            sums.setdefault(family_of(r.instance), []).append(r.score - before[r.instance])
    return {f: float(np.mean(v)) for f, v in sorted(sums.items())}


class Notebook:
    """A notebook file, opened by one run (safe to share: every write is its own transaction)."""

    def __init__(self, path: Path, embedder: Embedder, config: NotebookConfig | None = None,
                 run_id: str = "", problem: str = ""):
        self.path = Path(path)
        self.embedder = embedder
        self.config = config or NotebookConfig(path=str(path))
        self.run_id = run_id
        self.problem = problem
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise HeurevoError(f"{self.path}: not a usable notebook: {exc}") from None
        self._lock = threading.Lock()
        self._members: dict[str, Member] = {}
        self._defaults: dict[str, str] = {}
        self.used: list[int] = []
        self.skipped = 0

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        with self._lock:
            return int(self._db.execute(sql, args).lastrowid or 0)

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- writing --------------------------------------------------------------------------
    def set_defaults(self, defaults: dict[str, str]) -> None:
        """The problem's default sources (a candidate's code is what differs from them)."""
        self._defaults = dict(defaults)

    def code_key(self, cand: Candidate) -> str:
        """A hash of the candidate's normalised changed code."""
        return hashlib.sha256(normalised_sources(cand.sources, self._defaults).encode()).hexdigest()[:16]

    def add(self, kind: str, cand: Candidate, text: str, family: str = "", effect: float = 0.0) -> int:
        """Append an entry (once per run, candidate, kind and family; a resume adds nothing)."""
        same = self._rows("SELECT seq FROM entries WHERE run_id=? AND candidate_id=? AND kind=?"
                          " AND family=?", (self.run_id, cand.id, kind, family))
        if same:
            return int(same[0][0])  # type: ignore[call-overload]
        return self._write(
            "INSERT INTO entries (run_id, problem, kind, candidate_id, code_key, family, text,"
            " effect, created) VALUES (?,?,?,?,?,?,?,?,?)",
            (self.run_id, self.problem, kind, cand.id, self.code_key(cand), family, text, effect,
             time.time()))

    def observe(self, member: Member) -> None:
        """Record what an evaluated candidate teaches (failure, fix, or effect against its parent)."""
        cand, res = member.candidate, member.result
        self._members[cand.id] = member
        parent = self._members.get(cand.parents[0]) if cand.parents else None
        tried = f"{cand.operator}: {cand.idea.strip() or 'no idea given'}"
        if not res.ok:
            if self.known_failure(cand) is None:
                wrong = (res.error or res.status.value).strip().splitlines()[0][:300]
                self.add("failure", cand, f"Tried {tried}. Went wrong ({res.status.value}): {wrong}")
            return
        if parent is not None and not parent.result.ok:
            why = (parent.result.error or parent.result.status.value).splitlines()[0][:200]
            self.add("fix", cand, f"Fixed a candidate that failed with '{why}' by: {tried}")
        if parent is not None and parent.result.ok:
            for fam, delta in family_effects(member, parent).items():
                if abs(delta) >= self.config.min_effect:
                    verb = "helped" if delta > 0 else "hurt"
                    self.add("effect", cand, f"{tried} {verb} on {fam} ({delta:+.4f} score "
                                             "against its parent)", fam, delta)

    # --- reading --------------------------------------------------------------------------
    def entries(self, kind: str | None = None) -> list[Entry]:
        """Entries of this notebook's problem, oldest first (optionally of one kind)."""
        sql = "SELECT seq, run_id, kind, candidate_id, family, text, effect FROM entries WHERE problem=?"
        args: tuple[object, ...] = (self.problem,)
        if kind is not None:
            sql, args = sql + " AND kind=?", (*args, kind)
        return [Entry(*row) for row in self._rows(sql + " ORDER BY seq", args)]  # type: ignore[arg-type]

    def known_failure(self, cand: Candidate) -> Entry | None:
        """The failure entry of earlier code identical (normalised) to ``cand``'s, if any."""
        rows = self._rows("SELECT seq, run_id, kind, candidate_id, family, text, effect FROM entries"
                          " WHERE problem=? AND code_key=? AND kind='failure' ORDER BY seq LIMIT 1",
                          (self.problem, self.code_key(cand)))
        return Entry(*rows[0]) if rows else None  # type: ignore[arg-type]

    def search(self, query: str, k: int | None = None, generation: int = -1) -> list[Entry]:
        """The ``k`` entries nearest ``query`` by embedding similarity (uses are recorded)."""
        k = self.config.top_k if k is None else k
        entries = self.entries()
        if not entries or k == 0:
            return []
        vecs = self.embedder.embed([query, *(e.text for e in entries)])
        sims = vecs[1:] @ vecs[0]
        order = sorted(range(len(entries)), key=lambda i: (-sims[i], entries[i].seq))[:k]
        found = [entries[i] for i in order]
        for e in found:
            self.used.append(e.seq)
            self._write("INSERT INTO uses VALUES (?,?,?)", (self.run_id, generation, e.seq))
        return found

    def guidance(self) -> str:
        """The latest guidance for this problem ("" before the first reflection)."""
        rows = self._rows("SELECT text FROM guidance WHERE problem=? ORDER BY seq DESC LIMIT 1",
                          (self.problem,))
        return str(rows[0][0]) if rows else ""

    def guidance_history(self) -> list[tuple[str, int, str]]:
        """Every guidance version of this problem: (run, generation, text), oldest first."""
        return [(str(r), int(g), str(t)) for r, g, t in self._rows(  # type: ignore[call-overload]
            "SELECT run_id, generation, text FROM guidance WHERE problem=? ORDER BY seq", (self.problem,))]

    def reflect(self, generation: int) -> str:
        """Rewrite the guidance from the notebook: what helped, what hurt, what keeps failing."""
        effects = self.entries("effect")
        failures = self.entries("failure")
        lines = []
        helped = sorted((e for e in effects if e.effect > 0), key=lambda e: -e.effect)[:3]
        hurt = sorted((e for e in effects if e.effect < 0), key=lambda e: e.effect)[:3]
        if helped:
            lines.append("Changes that helped: " + "; ".join(e.text for e in helped))
        if hurt:
            lines.append("Changes that hurt: " + "; ".join(e.text for e in hurt))
        if failures:
            kinds: dict[str, int] = {}
            for e in failures:
                kind = e.text.split("Went wrong (", 1)[-1].split(")", 1)[0]
                kinds[kind] = kinds.get(kind, 0) + 1
            common = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
            lines.append(f"Failures so far: {common}. Latest: {failures[-1].text}")
        text = "\n".join(lines)
        if text and text != self.guidance():
            self._write("INSERT INTO guidance (run_id, problem, generation, text, created)"
                        " VALUES (?,?,?,?,?)", (self.run_id, self.problem, generation, text, time.time()))
        return text

    def uses(self) -> list[dict[str, object]]:
        """Which entries this run retrieved, per generation."""
        return [{"generation": g, "entry": s} for g, s in self._rows(
            "SELECT generation, entry_seq FROM uses WHERE run_id=? ORDER BY rowid", (self.run_id,))]

    def to_json(self) -> dict[str, object]:
        """A summary for ``heurevo show --json``."""
        return {"path": str(self.path), "entries": len(self.entries()),
                "used": json.loads(json.dumps(self.uses()))}
