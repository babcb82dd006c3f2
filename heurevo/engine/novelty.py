"""The novelty check before evaluation (ASI-ARCH): no evaluation is spent on a copy.

A candidate is rejected when its normalised source (comments, docstrings and local names
normalised, :func:`~heurevo.engine.normalise.normalised_sources`) equals an earlier candidate's, or when
its code embedding is at least ``code_similarity`` (cosine) close to one (except for operators
whose point is a small change, such as constant tuning). It is compared with
the candidates admitted in *earlier* generations only, so which candidate of a generation is
rejected never depends on thread timing and a resumed run decides the same. Because the archive
of earlier generations is fixed while a generation runs, :meth:`NoveltyFilter.prepare` embeds
all of a generation's first proposals together with the archive in one model call and keeps
each one's nearest earlier candidate; :meth:`NoveltyFilter.check` then embeds only a follow-up
it has not seen. The verdict becomes
a ``REJECTED`` result whose feedback names the earlier candidate, so the proposer is told why.
After evaluation, a candidate that scored the same as an earlier one on every instance is
marked a behavioural duplicate. Rejections and marks go to the store's ``novelty`` table.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from heurevo.engine.behaviour import same_behaviour
from heurevo.engine.embeddings import EmbeddingIndex
from heurevo.engine.normalise import normalised_sources
from heurevo.errors import ConfigError
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    Member,
    Stage,
)
from heurevo.populations.store import Store


@dataclass(frozen=True)
class NoveltyConfig:
    """The novelty check (``[cire.novelty]`` in a run config)."""

    enabled: bool = False
    code_similarity: float = 0.999  # cosine at or above this = a near-copy (> 1 turns it off)
    behaviour_tol: float = 1e-4  # per-instance score difference still counted as the same
    #: Operators whose point is a small change (constant tuning): only exact copies are rejected.
    exempt_operators: tuple[str, ...] = ("tune", "mutate_params")

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.code_similarity <= 0:
            raise ConfigError(f"must be > 0, got {self.code_similarity}", key="code_similarity")
        if self.behaviour_tol < 0:
            raise ConfigError(f"must be >= 0, got {self.behaviour_tol}", key="behaviour_tol")


@dataclass(frozen=True)
class Verdict:
    """Why a candidate is not new: it repeats ``duplicate_of`` (by source, embedding, behaviour)."""

    candidate: str
    duplicate_of: str
    kind: str
    similarity: float = 1.0

    @property
    def feedback(self) -> str:
        """What the proposer is told."""
        if self.kind == "source":
            why = "its code is the same as"
        elif self.kind == "embedding":
            why = f"its code is a near-copy (cosine similarity {self.similarity:.4f}) of"
        else:
            why = "it scored the same on every instance as"
        return (f"Not evaluated: {why} earlier candidate {self.duplicate_of} (after dropping "
                "comments and renaming locals). Propose a substantially different idea or change.")

    def result(self) -> EvaluationResult:
        """The ``REJECTED`` result the proposer receives in place of an evaluation."""
        return EvaluationResult(self.candidate, EvalStatus.REJECTED, Stage.CHECKS,
                                error=f"novelty: repeats {self.duplicate_of} ({self.kind})",
                                feedback=self.feedback)

    def to_json(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {"candidate": self.candidate, "duplicate_of": self.duplicate_of, "kind": self.kind,
                "similarity": round(self.similarity, 6)}


class NoveltyFilter:
    """The archive of admitted candidates and the checks against it (thread-safe)."""

    def __init__(self, config: NoveltyConfig, index: EmbeddingIndex, store: Store | None = None):
        config.validate()
        self.config = config
        self.index = index
        self.store = store
        self._lock = threading.Lock()
        self._texts: dict[str, tuple[str, int]] = {}  # normalised code → (first id, generation)
        self._archive: list[Member] = []
        self._recorded = {(d["candidate"], d["kind"]) for _, d in store.cire_records("novelty")} \
            if store is not None else set()
        self.rejected = 0
        #: Candidate id → (nearest earlier candidate, cosine), from :meth:`prepare`.
        self._nearest: dict[str, tuple[str, float]] = {}

    def _record(self, verdict: Verdict, generation: int) -> None:
        if self.store is not None and (verdict.candidate, verdict.kind) not in self._recorded:
            self._recorded.add((verdict.candidate, verdict.kind))
            self.store.add_cire_record("novelty", generation, verdict.to_json())

    def _embedded(self, cand: Candidate) -> bool:
        """True when ``cand`` gets the embedding test (the test is on; not a tuning operator)."""
        return self.config.code_similarity <= 1.0 and cand.operator not in self.config.exempt_operators

    def _find_nearest(self, cands: Sequence[Candidate]) -> None:
        """Each candidate's nearest archived candidate of an earlier generation (one model call)."""
        cands = [c for c in dict((c.id, c) for c in cands).values() if self._embedded(c)]
        if not cands or not self._archive:
            return
        earlier = [m.candidate for m in self._archive]
        vecs = self.index.vectors([*cands, *earlier])
        sims = vecs[:len(cands)] @ vecs[len(cands):].T
        for row, cand in zip(sims, cands, strict=True):
            ok = [j for j, e in enumerate(earlier) if e.generation < cand.generation]
            if ok:
                j = max(ok, key=lambda k: (row[k], -k))  # the first of equal maxima, as argmax
                self._nearest[cand.id] = (earlier[j].id, float(row[j]))

    def prepare(self, cands: Sequence[Candidate]) -> None:
        """Embed a generation's proposals with the archive in one call, for :meth:`check`."""
        with self._lock:
            self._nearest = {}
            self._find_nearest(cands)

    def check(self, cand: Candidate) -> Verdict | None:
        """A verdict when ``cand`` repeats a candidate of an earlier generation, else None."""
        with self._lock:
            text = normalised_sources(cand.sources, self.index.defaults)
            first = self._texts.get(text)
            verdict = None
            if first is not None and first[1] < cand.generation and first[0] != cand.id:
                verdict = Verdict(cand.id, first[0], "source")
            elif self._embedded(cand):
                if cand.id not in self._nearest:  # a follow-up: embedded on its own
                    self._find_nearest([cand])
                near = self._nearest.get(cand.id)
                if near is not None and near[1] >= self.config.code_similarity and near[0] != cand.id:
                    verdict = Verdict(cand.id, near[0], "embedding", near[1])
            if verdict is not None:
                self.rejected += 1
                self._record(verdict, cand.generation)
            return verdict

    def admit(self, member: Member) -> Verdict | None:
        """Add an evaluated candidate to the archive; a verdict if it behaves like an earlier one."""
        with self._lock:
            cand = member.candidate
            mark = None
            if member.result.ok:
                for m in self._archive:
                    if same_behaviour(member.result, m.result, self.config.behaviour_tol):
                        mark = Verdict(cand.id, m.candidate.id, "behaviour")
                        self._record(mark, cand.generation)
                        break
            self._texts.setdefault(normalised_sources(cand.sources, self.index.defaults),
                                   (cand.id, cand.generation))
            self._archive.append(member)
            return mark
