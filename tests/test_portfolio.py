"""Per-family portfolios: chosen on validation from a real run store, solved family by family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heurevo.engine.portfolio import choose_per_family, load_portfolio, portfolio_toml
from heurevo.errors import ConfigError
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    InstanceResult,
    Stage,
)
from heurevo.populations.store import SQLiteStore
from heurevo.solvers.pbo.slots import pbo_slots

FAMILIES = {"knapsack": 6, "setcover": 6, "vertexcover": 6}


def _result(cid: str, effects: dict[str, float]) -> EvaluationResult:
    """Validation runs on 6 instances x 2 seeds per family; score 1 + the family's effect + noise."""
    runs = []
    for fam, n in FAMILIES.items():
        for i in range(n):
            for seed in (0, 1):
                wiggle = 0.001 * ((i * 7 + seed * 3) % 5) if effects.get(fam) else 0.0
                runs.append(InstanceResult(f"{fam}-{i}-s10{i}.opb", seed, 1.0, True, True, 100, 0.1,
                                           score=1.0 + effects.get(fam, 0.0) + wiggle))
    mean = sum(r.score for r in runs) / len(runs)
    return EvaluationResult(cid, EvalStatus.OK, Stage.FULL, tuple(runs), mean)


def _store(tmp_path: Path, members: dict[str, dict[str, float]]) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "run.sqlite")
    slots = pbo_slots()
    default = Candidate.new("pbo", {n: s.default_source for n, s in slots.items()})
    store.add_candidate(default)
    store.record_evaluation(f"{default.id}/validation/x", _result(default.id, {}))
    for k, effects in enumerate(members.values()):
        src = slots["calculate_score"].default_source + f"\n# variant {k}\n"
        cand = Candidate.new("pbo", {"calculate_score": src})
        store.add_candidate(cand)
        store.record_evaluation(f"{cand.id}/validation/x", _result(cand.id, effects))
    store.add_event("validated", {"candidate": default.id, "default": default.id, "alpha": 0.05,
                                  "method": "wilcoxon", "accepted": False})
    return store


def test_each_family_gets_the_member_that_wins_there_or_the_default(tmp_path) -> None:
    store = _store(tmp_path, {"a": {"knapsack": 0.02, "setcover": -0.01},  # wins knapsack only
                              "b": {"knapsack": 0.01, "setcover": 0.03},  # wins setcover
                              "c": {"vertexcover": -0.02}})  # worse: never chosen
    ids = [c.id for c in store.candidates()][1:]
    choices, threshold = choose_per_family(store)
    by = {c.family: c for c in choices}
    assert threshold == pytest.approx(0.05 / (3 * 3))  # Bonferroni: 3 candidates x 3 families
    assert by["knapsack"].evolved and by["knapsack"].candidate == ids[0]  # the larger effect
    assert by["setcover"].evolved and by["setcover"].candidate == ids[1]
    assert not by["vertexcover"].evolved and by["vertexcover"].mean_difference == 0.0
    assert by["knapsack"].p_value is not None and by["knapsack"].p_value < threshold
    text = portfolio_toml("pbo", {"knapsack": "knapsack.py", "setcover": "default"})
    (tmp_path / "knapsack.py").write_text("")
    (tmp_path / "portfolio.toml").write_text(text)
    pf = load_portfolio(tmp_path / "portfolio.toml")
    assert pf.member("knapsack-90x3-s101.opb") == ("knapsack", (tmp_path / "knapsack.py").resolve())
    assert pf.member("setcover-60x30-s101.opb") == ("setcover", None)
    assert pf.member("other-1.opb") == ("other", None)  # the fallback: the defaults


def test_a_run_without_validation_has_no_portfolio(tmp_path) -> None:
    store = SQLiteStore(tmp_path / "run.sqlite")
    with pytest.raises(ConfigError, match="no validation yet"):
        choose_per_family(store)


@pytest.mark.parametrize(("text", "needle"), [
    ("[portfolio\n", "not valid TOML"),
    ("[other]\n", "no [portfolio] table"),
    ('[portfolio]\n[portfolio.families]\nknapsack = "missing.py"\n', "key 'portfolio.families.knapsack'"),
    ('[portfolio]\n[portfolio.families]\nknapsack = 3\n', "key 'portfolio.families'"),
])
def test_a_bad_portfolio_file_names_the_file_and_key(tmp_path, text: str, needle: str) -> None:
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_portfolio(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def _path(outcome) -> tuple:
    """The objective and the improvements (step, value) of a solve, without its timings."""
    return outcome.objective, [(t[0], t[2]) for t in outcome.trace]


@pytest.mark.slow
def test_solve_uses_each_familys_own_member(tmp_path) -> None:
    from heurevo.engine.checked_solve import solve_checked
    from heurevo.instances.generators.pbo import write_suite
    from heurevo.solvers.solve import SolveOptions

    knap, cover = write_suite(tmp_path / "inst", ["knapsack", "setcover"], [40], [1])
    member = tmp_path / "knapsack.py"  # picks a random good variable: another search than the default
    member.write_text("def pick_best_variable(good, n_good, score, last_flip, rng):\n"
                      "    return good[rng_randint(rng, n_good)]\n")
    (tmp_path / "portfolio.toml").write_text(portfolio_toml("pbo", {"knapsack": "knapsack.py"}))
    opts = SolveOptions(steps=3000, heuristics=tmp_path / "portfolio.toml")
    k = solve_checked(knap, opts)
    c = solve_checked(cover, opts)
    assert (k.extra["family"], k.extra["member"]) == ("knapsack", str(member.resolve()))
    assert (c.extra["family"], c.extra["member"]) == ("setcover", "default")
    assert "family 'knapsack' -> knapsack.py" in k.text
    direct = solve_checked(knap, SolveOptions(steps=3000, heuristics=member))
    default = solve_checked(cover, SolveOptions(steps=3000))
    assert k.verified and _path(k) == _path(direct)
    assert _path(solve_checked(knap, SolveOptions(steps=3000))) != _path(direct)  # the member matters
    assert c.verified and _path(c) == _path(default)
    assert json.loads(json.dumps(k.to_json()))["extra"]["family"] == "knapsack"
