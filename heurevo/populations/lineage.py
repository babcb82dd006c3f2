"""Reading a finished (or running) run back from its store: best candidates and their ancestry."""

from __future__ import annotations

from heurevo.populations.records import Candidate, EvaluationResult, Member
from heurevo.populations.store import Store

#: The verdict line when no evolved candidate passed the validation guard.
NO_GAIN_VERDICT = "no candidate beat the default significantly on validation; the default is kept"


def ranked(store: Store, split: str = "train") -> list[Member]:
    """Evaluated candidates of ``split``, best first (ties by id, so the order is stable)."""
    out = []
    for key, result in store.evaluations():
        if key.split("/")[1:2] != [split]:
            continue
        cand = store.candidate(result.candidate_id)
        if cand is not None:
            out.append(Member(cand, result))
    return sorted(out, key=lambda r: (-r.fitness, r.candidate.id))


def verdict(store: Store) -> str | None:
    """The guard's verdict line of the run's last validation (None if it never validated)."""
    validated = store.events("validated")
    return str(validated[-1].data["verdict"]) if validated and "verdict" in validated[-1].data else None


def kept_default(store: Store) -> bool:
    """True when the run validated and no evolved candidate passed the guard."""
    validated = store.events("validated")
    return bool(validated) and validated[-1].data.get("accepted") is False


def best_candidate(store: Store) -> tuple[Candidate, EvaluationResult, EvaluationResult | None] | None:
    """The reported best: the guard's choice if the run validated (the default when nothing
    passed), else the best on train.

    Returns (candidate, train result, validation result or None).
    """
    train = {r.candidate.id: r for r in ranked(store, "train")}
    validated = store.events("validated")
    if validated:
        cid = validated[-1].data["candidate"]
        val = next((r.result for r in ranked(store, "validation") if r.candidate.id == cid), None)
        if cid in train:
            return train[cid].candidate, train[cid].result, val
    if not train:
        return None
    top = next(iter(sorted(train.values(), key=lambda r: (-r.fitness, r.candidate.id))))
    return top.candidate, top.result, None


def lineage(store: Store, candidate_id: str, limit: int = 50) -> list[Candidate]:
    """The candidate and its first-parent ancestors, newest first."""
    out: list[Candidate] = []
    seen: set[str] = set()
    cid: str | None = candidate_id
    while cid and cid not in seen and len(out) < limit:
        seen.add(cid)
        cand = store.candidate(cid)
        if cand is None:
            break
        out.append(cand)
        cid = cand.parents[0] if cand.parents else None
    return out
