"""The CLI side of the LLM proposers: evolve options, doctor's tiny completion, the real slots."""

from __future__ import annotations

import pytest
from llm_fake_server import error, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import client

from heurevo.cli_engine import llm_override
from heurevo.config import EndpointConfig, Settings
from heurevo.doctor import endpoint_report
from heurevo.engine.checks import static_check
from heurevo.engine.proposers.llm import LLMProposer
from heurevo.engine.run_config import RunConfig
from heurevo.errors import HeurevoError
from heurevo.populations.records import ProposalRequest

KEY = "sk-doctor-SECRET-77"


def test_cli_options_and_settings_fill_the_endpoint(monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_LLM_BASE_URL", "http://127.0.0.1:5/v1")
    monkeypatch.setenv("HEUREVO_LLM_MODEL", "from-settings")
    cfg = llm_override(RunConfig(proposer="llm"), None, None, None)
    assert (cfg.llm.model, cfg.llm.base_url) == ("from-settings", "http://127.0.0.1:5/v1")
    cfg = llm_override(RunConfig(proposer="autopbo"), "m2", "http://127.0.0.1:6/v1", None)
    assert (cfg.llm.model, cfg.llm.base_url) == ("m2", "http://127.0.0.1:6/v1")
    assert cfg.controller.exploit_operators == {"plan": 1.0}
    assert llm_override(RunConfig(), None, None, None).llm.model == ""  # gp: untouched
    with pytest.raises(HeurevoError, match="llm-base-url"):
        llm_override(RunConfig(proposer="llm"), "m", "127.0.0.1:6", None)


def _settings(server) -> Settings:
    return Settings(llm=EndpointConfig(base_url=server.base_url, model="fake-model"))


def test_doctor_lists_models_and_gets_one_tiny_completion(fake_llm, monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_LLM_API_KEY", KEY)
    fake_llm.push(ok("ok", prompt_tokens=9, completion_tokens=1))
    by = {c.name: c for c in endpoint_report(_settings(fake_llm))}
    assert by["reachable"].ok and "fake-model" in by["reachable"].detail
    assert by["completion"].ok and "'ok'" in by["completion"].detail
    [chat] = fake_llm.chat_requests()
    assert chat.body["max_tokens"] == 8 and chat.headers["authorization"] == f"Bearer {KEY}"
    assert all(KEY not in c.detail for c in by.values())


def test_doctor_reports_a_refused_completion_without_the_key(fake_llm, monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_LLM_API_KEY", KEY)
    fake_llm.push(error(401, f"bad key {KEY}"))
    by = {c.name: c for c in endpoint_report(_settings(fake_llm))}
    assert by["completion"].ok is False and "401" in by["completion"].detail
    assert KEY not in by["completion"].detail and len(fake_llm.chat_requests()) == 1


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_prompts_and_proposals_for_the_real_slots(fake_llm, problem) -> None:
    from heurevo.solvers.problem import get_problem

    try:
        slots = get_problem(problem).slots()
    except ImportError as exc:
        pytest.skip(f"the {problem} adapter is not importable yet: {exc}")
    proposer = LLMProposer(client(fake_llm), slots)
    for name, slot in slots.items():
        req = ProposalRequest(problem, (name,), "init", (), {n: s.default_source for n, s in
                                                             slots.items()}, 0, 0)
        text = proposer.prompt(req, slot)
        assert slot.def_line() in text and slot.contract.strip().splitlines()[0] in text
        fake_llm.push(ok("{Keep the default.}\n```python\n" + slot.default_source + "```"))
        prop = proposer.propose(req)
        assert static_check(slot, prop.sources[name]).ok
