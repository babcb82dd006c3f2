"""The LLM judge over the local OpenAI-protocol server: the controller sees the composite fitness,
the stored evaluation keeps the measured one, every verdict (and a failed one) is stored."""

from __future__ import annotations

from llm_fake_server import Reply, error, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator, last_user

from heurevo.engine.cire import CireConfig, build_parts
from heurevo.engine.cire_views import cire_json
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.judge import JudgeConfig, parse_rating
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore


def responder(body) -> Reply:
    """The judge rates code with a 3 high and the rest low; the proposer gets code from the seed."""
    user = last_user(body)
    if "RATING: N" in user:
        return ok("Reasons.\nRATING: 9" if "* 3" in user else "Meh.\nRATING: 1")
    k = 1 + int(body.get("seed", 0)) % 4
    return ok(f"{{k {k}}}\n```python\ndef score(a, b):\n    return a * {k} + b\n```\n")


def test_parse_rating():
    assert parse_rating("ok\nRATING: 7") == 7.0
    assert parse_rating("rating = 2.5 then RATING: 8") == 8.0
    assert parse_rating("RATING: 11") is None and parse_rating("no number") is None


def test_judge_composite_fitness_in_a_run(fake_llm, tmp_path) -> None:
    fake_llm.responder = responder
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("judge", 2, "")
    client = LLMClient(LLMConfig(model="fake-model", base_url=fake_llm.base_url, max_retries=0,
                                 max_tokens=200), store=store, sleep=lambda s: None)
    proposer = LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=0), store)
    cfg = CireConfig(judge=JudgeConfig(enabled=True, weight=0.5))
    parts = build_parts(cfg, SLOTS, store, "judge", "pbo", judge_client=client)
    assert parts.judge is not None and parts.index is None  # the judge needs no embeddings
    ctl = Controller(ControllerConfig(population_size=3, offspring_per_generation=3,
                                      exploit_operators={"mutate_algorithm": 1.0},
                                      explore_operators={"mutate_algorithm": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, 2, proposer.operators)
    RunLoop(ctl, proposer, ScoreEvaluator(), store, Budgets(evaluations=None, generations=3),
            hooks=parts).run([Candidate.new("pbo", {"score": DEFAULT})])
    verdicts = cire_json(store)["judge"]
    assert verdicts and all(v["rating"] in (1.0, 9.0) for v in verdicts)
    measured = {r.candidate_id: r.fitness for k, r in store.evaluations() if k.split("/")[1:2] == ["train"]}
    for v in verdicts:
        assert abs(v["composite"] - (v["fitness"] + 0.5 * (v["rating"] - 5) / 5)) < 1e-9
        assert measured.get(v["candidate"], v["fitness"]) == v["fitness"]  # store keeps measured
    told = {m.candidate.id: m.fitness for m in ctl.population}
    judged = [v for v in verdicts if v["candidate"] in told]
    assert judged  # the controller was told the composite, not the measured fitness
    for v in judged:
        assert abs(told[v["candidate"]] - v["composite"]) < 1e-9 and v["composite"] != v["fitness"]
    store.close()


def test_a_failed_judge_call_keeps_the_measured_fitness(fake_llm, tmp_path) -> None:
    fake_llm.push(error(400, "bad request"))
    store = SQLiteStore(tmp_path / "run.sqlite")
    client = LLMClient(LLMConfig(model="fake-model", base_url=fake_llm.base_url, max_retries=0),
                       store=store, sleep=lambda s: None)
    from llm_scripts import member

    parts = build_parts(CireConfig(judge=JudgeConfig(enabled=True)), SLOTS, store,
                        judge_client=client)
    m = member("def score(a, b):\n    return a * 3 + b\n", 1.2)
    assert parts.rescore(m) is m
    (v,) = cire_json(store)["judge"]
    assert v["rating"] is None and "bad request" in v["error"]
    store.close()


def test_bad_cire_settings_name_their_key(tmp_path) -> None:
    import pytest

    from heurevo.config import load_toml
    from heurevo.engine.run_config import RunConfig
    from heurevo.errors import ConfigError

    for section, key, value in (("judge", "weight", "-1"), ("surrogate", "screen_quantile", "1.5"),
                                ("clustering", "max_clusters", "0")):
        path = tmp_path / f"{section}.toml"
        path.write_text(f'problem = "pbo"\n[cire.{section}]\n{key} = {value}\n')
        with pytest.raises(ConfigError, match=f"cire.{section}.{key}"):
            load_toml(RunConfig, path)
