"""Records are frozen, typed and JSON round-trippable; ids are content hashes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Stage,
    candidate_id,
)


def test_candidate_id_is_a_content_hash() -> None:
    a = candidate_id("pbo", {"x": "def x(): pass", "y": "def y(): pass"})
    b = candidate_id("pbo", {"y": "def y(): pass", "x": "def x(): pass"})
    assert a == b and len(a) == 16
    assert a != candidate_id("tsp", {"x": "def x(): pass", "y": "def y(): pass"})
    assert a != candidate_id("pbo", {"x": "def x(): pass", "y": "def y(): return"})


def test_candidate_round_trip_and_frozen() -> None:
    c = Candidate.new("tsp", {"s": "src"}, parents=("a", "b"), operator="crossover",
                      proposer="llm", idea="blend", generation=3)
    back = Candidate.from_json(json.loads(json.dumps(c.to_json())))
    assert back == c and back.state is CandidateState.PROPOSED
    assert c.with_state(CandidateState.REJECTED).state is CandidateState.REJECTED
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.operator = "x"  # type: ignore[misc]


def test_evaluation_result_round_trip() -> None:
    r = EvaluationResult(
        "abc", EvalStatus.TIMEOUT, Stage.SMOKE,
        (InstanceResult("i", 1, 2.5, True, True, 10, 0.1, ((1, 0.0, 3.0),), 0.5),),
        None, (0.5,), {"feasible": 1.0}, "killed", "too slow", 1.5)
    back = EvaluationResult.from_json(json.loads(r.dumps()))
    assert back == r and not back.ok
