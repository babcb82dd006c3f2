"""Whole runs with the LLM proposer over a real loopback server and a real SQLite store.

Every kind of bad answer arrives during a run; the run survives, every call is counted under
exactly one outcome, the budgets hold, and a replay of the recorded run reproduces it without
the server.
"""

from __future__ import annotations

from collections import Counter

import pytest
from llm_fake_server import FakeLLMServer, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, REPAIR_HEAD, SLOTS, ScoreEvaluator, last_user, mixed_responder

from heurevo.cli_engine import llm_override
from heurevo.config import from_mapping, to_mapping
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.llm import LLMClient, LLMConfig, ReplayClient
from heurevo.engine.proposers.factory import make_proposer
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.engine.run_config import BudgetConfig, RunConfig
from heurevo.engine.views import llm_outcome_totals
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore


def open_store(path) -> SQLiteStore:
    s = SQLiteStore(path)
    s.init_run(path.stem, 3, "")
    return s


def run(proposer, store, budgets: Budgets, workers: int = 2):
    cfg = RunConfig(proposer="llm").controller
    ctl = Controller(ControllerConfig(**{**to_mapping(cfg), "population_size": 4,
                                         "offspring_per_generation": 8}),
                     "pbo", ("score",), {"score": DEFAULT}, 3, proposer.operators)
    loop = RunLoop(ctl, proposer, ScoreEvaluator(), store, budgets, workers=workers,
                   usage=proposer.usage)
    return loop.run([Candidate.new("pbo", {"score": DEFAULT})])


def live(server: FakeLLMServer, store, **kw) -> LLMProposer:
    cfg = LLMConfig(model="fake-model", base_url=server.base_url, max_retries=0, max_tokens=200,
                    **kw)
    client = LLMClient(cfg, store=store, sleep=lambda s: None)
    return LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=2), store)


def test_run_survives_bad_answers_counts_them_and_replays_exactly(fake_llm, tmp_path) -> None:
    fake_llm.responder = mixed_responder
    store = open_store(tmp_path / "live.sqlite")
    prop = live(fake_llm, store)
    summary = run(prop, store, Budgets(evaluations=None, generations=5))
    assert summary.stats.stopped_because.startswith("generation budget")
    totals = prop.log.totals()
    requests = fake_llm.chat_requests()
    # every request was recorded, and counted under exactly one outcome
    assert len(requests) == len(store.llm_calls()) == sum(
        v for k, v in totals.items() if k != "repair_rounds")
    assert totals["repair_rounds"] == sum(last_user(r.body).startswith(REPAIR_HEAD)
                                          for r in requests)
    # each usable answer was evaluated once, or recognised as code already seen
    assert totals["ok"] == summary.stats.evaluations - 1 + summary.stats.duplicates
    seen = {k for k, v in totals.items() if v and k not in ("ok", "repair_rounds")}
    assert {"no_code", "wrong_name", "syntax_error", "check_rejected", "truncated"} <= seen
    assert summary.stats.statuses.get("crashed", 0) >= 1  # a crash came back for repair
    assert llm_outcome_totals(store) == {k: v for k, v in totals.items() if v or
                                         k == "repair_rounds"}
    assert summary.best is not None and summary.best.fitness > 0.5
    assert summary.best.candidate.idea  # ideas travel with the code
    # (the operator that first stored a code twice proposed is up to thread timing)
    live_cands = sorted((c.id, c.idea) for c in store.candidates())
    live_pop = [m.candidate.id for m in summary.population]
    live_best = (summary.best.candidate.id, summary.best.fitness)
    live_events = Counter((e.data["outcome"], e.data["repair"])
                          for e in store.events("llm_outcome"))
    store.close()

    fake_llm.stop()
    recorded = SQLiteStore(tmp_path / "live.sqlite")
    replay = ReplayClient(LLMConfig(model="fake-model", max_tokens=200), recorded)
    recorded.close()
    store2 = open_store(tmp_path / "replay.sqlite")
    prop2 = LLMProposer(replay, SLOTS, LLMProposerConfig(repair_rounds=2), store2)
    summary2 = run(prop2, store2, Budgets(evaluations=None, generations=5))
    assert sorted((c.id, c.idea) for c in store2.candidates()) == live_cands
    assert [m.candidate.id for m in summary2.population] == live_pop
    assert (summary2.best.candidate.id, summary2.best.fitness) == live_best
    assert Counter((e.data["outcome"], e.data["repair"])
                   for e in store2.events("llm_outcome")) == live_events
    assert replay.remaining() == 0 and prop2.log.totals() == totals
    store2.close()


def test_token_budget_stops_the_run_and_is_never_exceeded(fake_llm, tmp_path) -> None:
    fake_llm.responder = mixed_responder
    store = open_store(tmp_path / "run.sqlite")
    config = RunConfig(proposer="llm", budget=BudgetConfig(evaluations=1000, tokens=4000),
                       llm=LLMConfig(model="fake-model", base_url=fake_llm.base_url,
                                     max_retries=0, max_tokens=200))
    prop = make_proposer(config, SLOTS, store)
    assert isinstance(prop, LLMProposer) and prop.client.config.max_tokens_total == 4000
    summary = run(prop, store, Budgets(evaluations=1000, tokens=4000), workers=1)
    assert summary.stats.stopped_because == "token budget (4000) spent"
    spent = sum(c.prompt_tokens + c.completion_tokens for c in store.llm_calls())
    assert 0 < spent <= 4000 and prop.client.usage().tokens == spent
    assert prop.log.totals()["budget_stop"] >= 1
    store.close()


def test_factory_replays_a_recorded_run_folder_offline(fake_llm, tmp_path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    rec = open_store(folder / "run.sqlite")
    fake_llm.push(ok("{Steeper.}\n```python\ndef score(a, b):\n    return a * 3.0 + b\n```"))
    config = RunConfig(proposer="llm", llm=LLMConfig(model="fake-model",
                                                     base_url=fake_llm.base_url, max_retries=0))
    from llm_scripts import request

    first = make_proposer(config, SLOTS, rec).propose(request("init"))
    rec.close()
    replay_cfg = llm_override(config, None, None, folder)
    assert replay_cfg.llm_proposer.replay == str(folder)
    other = open_store(tmp_path / "new.sqlite")
    again = make_proposer(replay_cfg, SLOTS, other).propose(request("init"))
    assert again == first and len(fake_llm.chat_requests()) == 1
    with pytest.raises(ConfigError, match="no recorded run"):
        make_proposer(llm_override(config, None, None, tmp_path / "nowhere"), SLOTS, other)
    other.close()


def test_run_config_maps_operators_and_round_trips(tmp_path) -> None:
    cfg = RunConfig(proposer="llm")
    ops = LLMProposer.operators
    assert set(cfg.controller.exploit_operators) <= set(ops)
    assert set(cfg.controller.explore_operators) <= set(ops)
    custom = from_mapping(RunConfig, {"proposer": "llm", "controller": {
        "exploit_operators": {"mutate": 1.0, "tune": 2.0, "simplify": 1.0}}})
    assert custom.controller.exploit_operators == {"mutate_algorithm": 1.0, "mutate_params": 2.0,
                                                   "simplify": 1.0}
    assert from_mapping(RunConfig, to_mapping(custom)) == custom
    assert RunConfig(proposer="autopbo").controller.exploit_operators == {"plan": 1.0}
    assert RunConfig().controller == ControllerConfig()
    with pytest.raises(ConfigError, match=r"budget\.tokens"):
        from_mapping(RunConfig, {"llm": {"max_tokens_total": 5}})
