"""Contract tests every store backend passes (SQLite on disk and in memory)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    LLMCall,
    Stage,
)
from heurevo.populations.store import MemoryStore, SQLiteStore, StoreError


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path):
    s = SQLiteStore(tmp_path / "run.sqlite") if request.param == "sqlite" else MemoryStore()
    s.init_run("r1", 7, "seed = 7\n")
    yield s
    s.close()


def cand(i: int, **kw) -> Candidate:
    return Candidate.new("pbo", {"score": f"def score(x):\n    return {i}\n"}, **kw)


def result(cid: str, fit: float | None = 0.5, status: EvalStatus = EvalStatus.OK) -> EvaluationResult:
    inst = (InstanceResult("a.opb", 3, 12.0, True, True, 1000, 0.25, ((10, 0.01, 15.0), (99, 0.2, 12.0)), 0.9),
            InstanceResult("b.opb", 4, None, True, False, 1000, 0.5))
    return EvaluationResult(cid, status, Stage.MINIBATCH, inst, fit, (0.9, 0.0), {"wins": 1.0},
                            "", "fine", 0.75)


def test_run_info_and_resume_identity(store) -> None:
    info = store.run_info()
    assert info.run_id == "r1" and info.seed == 7 and info.config_toml == "seed = 7\n"
    assert store.init_run("r1", 7, "ignored") == info
    with pytest.raises(StoreError, match="holds run 'r1'"):
        store.init_run("other", 1, "")
    store.set_run_status("finished")
    assert store.run_info().status == "finished"


def test_candidates_round_trip_in_order(store) -> None:
    c1 = cand(1, parents=("p",), operator="mutate", proposer="gp", idea="bigger", generation=2)
    c2 = cand(2)
    assert store.add_candidate(c1) and store.add_candidate(c2)
    assert not store.add_candidate(c1)  # duplicates refused
    assert store.candidates() == [c1, c2]
    assert store.candidate(c1.id) == c1 and store.candidate("nope") is None
    store.set_candidate_state(c2.id, CandidateState.REJECTED)
    assert store.candidates(CandidateState.REJECTED) == [c2.with_state(CandidateState.REJECTED)]
    with pytest.raises(StoreError):
        store.set_candidate_state("nope", CandidateState.CHECKED)


def test_evaluations_round_trip_once_per_key(store) -> None:
    c = cand(1)
    store.add_candidate(c)
    r = result(c.id)
    assert store.record_evaluation("k1", r, CandidateState.EVALUATED)
    assert not store.record_evaluation("k1", result(c.id, 0.1))  # a resumed run cannot duplicate
    assert store.evaluation("k1") == r
    assert store.evaluation("missing") is None
    assert store.candidate(c.id).state is CandidateState.EVALUATED
    store.record_evaluation("k2", result(c.id, None, EvalStatus.TIMEOUT))
    assert [k for k, _ in store.evaluations()] == ["k1", "k2"]
    assert store.evaluations()[1][1].status is EvalStatus.TIMEOUT


def test_evaluation_for_unknown_candidate_is_atomic(store) -> None:
    with pytest.raises(StoreError):
        store.record_evaluation("k", result("ghost"), CandidateState.EVALUATED)
    assert store.evaluation("k") is None  # nothing half-written


def test_events_and_llm_calls(store) -> None:
    assert store.add_event("generation", {"n": 1}) == 1
    store.add_event("budget", {"evaluations": 5})
    assert [e.kind for e in store.events()] == ["generation", "budget"]
    assert store.events("budget")[0].data == {"evaluations": 5}
    call = LLMCall(0, "key", "m", {"messages": [{"role": "user", "content": "hi"}]},
                   {"content": "def f(): pass"}, 10, 5, 0.001, 0.3, "")
    store.add_llm_call(call)
    got = store.llm_calls()
    assert len(got) == 1 and got[0].request == call.request and got[0].cost == 0.001


def test_concurrent_writers_lose_nothing(store) -> None:
    cs = [cand(i) for i in range(40)]

    def work(chunk):
        for c in chunk:
            store.add_candidate(c)
            store.record_evaluation(c.id, result(c.id))

    threads = [threading.Thread(target=work, args=(cs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.candidates()) == 40 and len(store.evaluations()) == 40


def test_sqlite_persists_and_uses_wal(tmp_path) -> None:
    s = SQLiteStore(tmp_path / "run.sqlite")
    s.init_run("r", 1, "")
    c = cand(1)
    s.add_candidate(c)
    s.record_evaluation("k", result(c.id))
    s.close()
    again = SQLiteStore(tmp_path / "run.sqlite")
    assert again.candidate(c.id) == c and again.evaluation("k") == result(c.id)
    mode = sqlite3.connect(tmp_path / "run.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def test_sqlite_refuses_foreign_file(tmp_path) -> None:
    p = tmp_path / "x.sqlite"
    p.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable heurevo store"):
        SQLiteStore(p)
