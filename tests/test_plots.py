"""Plots: the performance profile against a hand-computed example; run figures from a real store."""

from __future__ import annotations

import base64
import dataclasses
import math

import pytest

from heurevo.benchmarks.plots import (
    GAP_CAP,
    anytime_axis,
    anytime_curves,
    anytime_figure,
    convergence,
    convergence_figure,
    data_uri,
    lineage_figure,
    performance_profile,
    population_figure,
    save,
)
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    LLMCall,
    Stage,
)


def test_performance_profile_matches_a_hand_computed_example() -> None:
    costs = {"A": [1, 2, 4], "B": [2, 2, math.inf], "C": [1, 4, 8]}
    prof = performance_profile(costs, [1.0, 1.5, 2.0, 3.0])
    # ratios to the best per instance: A 1,1,1; B 2,1,inf; C 1,2,2
    assert prof["A"] == [1.0, 1.0, 1.0, 1.0]
    assert prof["B"] == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])
    assert prof["C"] == pytest.approx([1 / 3, 1 / 3, 1.0, 1.0])
    everyone_fails = performance_profile({"A": [math.inf], "B": [math.inf]}, [1.0, 100.0])
    assert everyone_fails == {"A": [0.0, 0.0], "B": [0.0, 0.0]}
    with pytest.raises(ValueError):
        performance_profile({"A": [1, 2], "B": [1]}, [1.0])
    with pytest.raises(ValueError):
        performance_profile({"A": [0.0]}, [1.0])


def test_anytime_curves_match_a_hand_computed_example(tmp_path) -> None:
    from heurevo.benchmarks.leaderboard import BoardRun, BoardSpec, Entry, summarise
    from heurevo.benchmarks.result_cache import RunResult
    from heurevo.suites.catalog import SplitInstance

    insts = tuple(SplitInstance(n, str(tmp_path / f"{n}.tsp")) for n in "pqr")
    spec = BoardSpec("t", "tsp", insts, (Entry("a", ()), Entry("b", ())), seeds=1, budget_steps=10,
                     references={"p": 100.0, "q": 50.0, "r": 10.0})

    def run(entry: str, inst: str, trace: tuple, solved: bool = True) -> BoardRun:
        obj = trace[-1][1] if solved else None
        return BoardRun(entry, inst, 1, RunResult("ok" if solved else "crashed", obj, solved, solved,
                                                  10, 2.0, "", trace if solved else ()), False)

    runs = (run("a", "p", ((0.1, 150.0), (1.0, 110.0))), run("a", "q", ((0.5, 60.0),)),
            run("a", "r", ((0.2, 12.0),)),
            run("b", "p", ((0.2, 100.0),)), run("b", "q", (), solved=False), run("b", "r", ((0.05, 10.0),)))
    board = summarise(spec, runs, scorer=lambda inst, obj, ref: ref / obj)  # type: ignore[arg-type]
    curves = anytime_curves(board, [0.05, 0.3, 2.0])
    # a's gaps (p, q, r): 0.05 s: cap, cap, cap; 0.3 s: 50, cap, 20; 2 s: 10, 20, 20.
    # Quartiles of three sorted values x0 <= x1 <= x2 (linear): (x0 + x1) / 2, x1, (x1 + x2) / 2.
    assert curves["a"].median == pytest.approx((GAP_CAP, 50, 20))
    assert curves["a"].low == pytest.approx((GAP_CAP, 35, 15))
    assert curves["a"].high == pytest.approx((GAP_CAP, (50 + GAP_CAP) / 2, 20))
    # b's gaps: 0.05 s: cap, cap (never solved), 0 (r solved at 0.05 s); then 0, cap, 0.
    assert curves["b"].median == pytest.approx((GAP_CAP, 0, 0))
    assert curves["b"].low == pytest.approx((GAP_CAP / 2, 0, 0))
    assert curves["b"].high == pytest.approx((GAP_CAP, GAP_CAP / 2, GAP_CAP / 2))
    png = base64.b64decode(data_uri(anytime_figure(board)).split(",", 1)[1])
    assert png[:4] == b"\x89PNG"
    assert anytime_axis(board) == "seconds"  # no step traces: wall time
    # Under a step budget the runs also keep (steps, objective): the curve against steps.
    stepped = tuple(dataclasses.replace(r, result=dataclasses.replace(
        r.result, step_trace=tuple((int(t * 1000), v) for t, v in r.result.trace))) for r in runs)
    board = summarise(spec, stepped, scorer=lambda inst, obj, ref: ref / obj)  # type: ignore[arg-type]
    assert anytime_axis(board) == "steps"
    assert base64.b64decode(data_uri(anytime_figure(board)).split(",", 1)[1])[:4] == b"\x89PNG"
    assert anytime_curves(board, [50, 300, 2000], "steps") == curves
    assert anytime_axis(summarise(dataclasses.replace(spec, time_s=1.0), stepped,
                                  scorer=lambda inst, obj, ref: ref / obj)) == "seconds"  # type: ignore[arg-type]


def _evaluate(store, cand: Candidate, split: str, fitness: float | None, steps: int) -> None:
    store.add_candidate(cand)
    status = EvalStatus.OK if fitness is not None else EvalStatus.CRASHED
    result = EvaluationResult(cand.id, status, Stage.FULL,
                              (InstanceResult("a.opb", 1, 5.0, True, True, steps, 0.1),),
                              fitness)
    store.record_evaluation(f"{cand.id}/{split}/fp", result,
                            CandidateState.EVALUATED if fitness is not None else CandidateState.FAILED)


def _run(store) -> Candidate:
    root = Candidate.new("pbo", {"s": "root"}, operator="default")
    a = Candidate.new("pbo", {"s": "a"}, parents=(root.id,), operator="mutate", generation=1)
    b = Candidate.new("pbo", {"s": "b"}, parents=(root.id,), operator="tune", generation=1)
    c = Candidate.new("pbo", {"s": "c"}, parents=(a.id, b.id), operator="crossover", generation=2)
    bad = Candidate.new("pbo", {"s": "bad"}, parents=(a.id,), operator="mutate", generation=2)
    for cand, fit in ((root, 1.0), (a, 1.05), (b, 0.98), (bad, None), (c, 1.10)):
        _evaluate(store, cand, "train", fit, 100)
    _evaluate(store, c, "validation", 1.04, 50)
    return c


def test_convergence_of_a_run(store) -> None:
    _run(store)
    conv = convergence(store)
    assert conv.evaluations == (1, 2, 3, 4, 5, 6)
    assert conv.steps == (100, 200, 300, 400, 500, 550)
    assert conv.best_train == (1.0, 1.05, 1.05, 1.05, 1.10, 1.10)
    assert conv.validation == ((6, 1.04),)
    assert conv.tokens == ()


def test_tokens_are_aligned_with_evaluations_by_time(store, tmp_path) -> None:
    root = Candidate.new("pbo", {"s": "root"}, operator="default")
    _evaluate(store, root, "train", 1.0, 10)
    store.add_llm_call(LLMCall(0, "k1", "m", {}, {}, prompt_tokens=100, completion_tokens=20))
    _evaluate(store, Candidate.new("pbo", {"s": "x"}, operator="init"), "train", 1.2, 10)
    store.add_llm_call(LLMCall(0, "k2", "m", {}, {}, prompt_tokens=50, completion_tokens=5))
    _evaluate(store, Candidate.new("pbo", {"s": "y"}, operator="init"), "train", 0.9, 10)
    conv = convergence(store, tmp_path / "run.sqlite")
    assert conv.tokens == (0, 120, 175)
    assert len(data_uri(convergence_figure(conv))) > 1000


def test_run_figures_render_as_png_and_svg(store, tmp_path) -> None:
    best = _run(store)
    conv = convergence(store, tmp_path / "run.sqlite")
    png = save(convergence_figure(conv), tmp_path / "conv.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save(population_figure(store), tmp_path / "pop.svg")
    assert "<svg" in svg.read_text()
    uri = data_uri(lineage_figure(store, best.id))
    raw = base64.b64decode(uri.removeprefix("data:image/png;base64,"))
    assert raw[:4] == b"\x89PNG" and len(raw) > 2000
    with pytest.raises(ValueError):
        save(population_figure(store), tmp_path / "pop.jpg")
