"""The LLM proposer against a real HTTP server on 127.0.0.1: prompts, repairs, outcomes, budgets."""

from __future__ import annotations

import pytest
from llm_fake_server import error, fake_llm_fixture, malformed, ok  # noqa: F401
from llm_scripts import (
    BAD,
    DEFAULT,
    REPAIR_HEAD,
    SLOT,
    SLOTS,
    client,
    code,
    member,
    request,
    truncated,
)

from heurevo.engine.llm.prompts import OPERATOR_TEMPLATES, render, system_prompt, template
from heurevo.engine.proposers.base import ProposalError
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig, same_code
from heurevo.populations.records import EvalStatus, EvaluationResult, Stage


def proposer(server, store=None, repair_rounds=2, **kw) -> LLMProposer:
    return LLMProposer(client(server, store, **kw), SLOTS,
                       LLMProposerConfig(repair_rounds=repair_rounds), store)


A = member("def score(a, b):\n    return a * 2.0 + b\n", 0.8, idea="double a",
           feedback="instance x: slow start")
B = member("def score(a, b):\n    return a + b * 0.5\n", 0.6, idea="halve b")


@pytest.mark.parametrize("op", sorted(OPERATOR_TEMPLATES))
def test_operator_prompts_carry_contract_signature_problem_and_parents(op) -> None:
    parents = () if op == "init" else (A, B) if op.startswith("crossover") else (A,)
    text = _bare().prompt(request(op, parents), SLOT)
    assert "def score(a, b):" in text and "float64(float64, float64)" in text
    assert "Combine the two partial scores" in text and "Pseudo-Boolean optimisation" in text
    assert "$" not in text.replace("$$", "")
    if op == "init":
        assert DEFAULT.strip() in text
    else:
        assert "fitness 0.8000" in text and "double a" in text and "slow start" in text
        assert "return a * 2.0 + b" in text
    if op.startswith("crossover"):
        assert "fitness 0.6000" in text and "halve b" in text


def _bare() -> LLMProposer:
    return LLMProposer(_NoClient(), SLOTS)


class _NoClient:
    """A client that must not be asked (prompt rendering only)."""

    config = None

    def chat(self, *a, **k):
        raise AssertionError("no call expected")


def test_every_template_renders_and_missing_fields_are_named() -> None:
    sys_text = system_prompt(SLOT)
    assert "def score(a, b):" in sys_text and "`import math`" in sys_text
    for name in ("planner", "editor", "evaluator", "editor_revise", "repair", "parent"):
        assert template(name).template.strip()
    with pytest.raises(KeyError, match="needs field 'def_line'"):
        render("repair", feedback="x")


def test_good_answer_becomes_a_proposal_with_idea(fake_llm, store) -> None:
    fake_llm.push(ok(code(3.0, idea="Weight a by three.")))
    prop = proposer(fake_llm, store).propose(request("mutate_algorithm", (A,)))
    assert prop.sources["score"].strip().endswith("return a * 3.0 + b")
    assert prop.idea == "Weight a by three." and prop.operator == "mutate_algorithm"
    [req] = fake_llm.chat_requests()
    roles = [m["role"] for m in req.body["messages"]]
    assert roles == ["system", "user"] and req.body["seed"] == 7
    assert [e.data["outcome"] for e in store.events("llm_outcome")] == ["ok"]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_each_bad_answer_is_counted_and_repaired_in_the_same_conversation(fake_llm, store,
                                                                          kind) -> None:
    text, outcome = BAD[kind]
    fake_llm.push(ok(text), ok(code(2.5)))
    p = proposer(fake_llm, store)
    prop = p.propose(request("mutate_params", (member(DEFAULT),)))
    assert "2.5" in prop.sources["score"] and prop.meta["repairs"] == 1
    totals = p.log.totals()
    assert totals[outcome] == 1 and totals["ok"] == 1 and totals["repair_rounds"] == 1
    first, second = fake_llm.chat_requests()
    msgs = second.body["messages"]
    assert msgs[:2] == first.body["messages"]
    assert msgs[2] == {"role": "assistant", "content": text}
    assert msgs[3]["content"].startswith(REPAIR_HEAD)
    assert "Remember how you fixed the previous mistakes" in msgs[3]["content"]
    events = store.events("llm_outcome")
    assert [(e.data["outcome"], e.data["repair"]) for e in events] == [(outcome, False),
                                                                       ("ok", True)]


def test_truncated_answer_is_its_own_outcome(fake_llm) -> None:
    fake_llm.push(truncated(), ok(code(2.0)))
    p = proposer(fake_llm)
    p.propose(request("init"))
    assert p.log.totals()["truncated"] == 1
    assert "was cut off" in fake_llm.chat_requests()[1].body["messages"][3]["content"]


def test_repairs_stop_after_k_rounds(fake_llm) -> None:
    fake_llm.push(*(ok(BAD["no_code"][0]) for _ in range(5)))
    p = proposer(fake_llm, repair_rounds=2)
    with pytest.raises(ProposalError, match="after 2 repair round"):
        p.propose(request("init"))
    assert len(fake_llm.chat_requests()) == 3 and fake_llm.pending() == 2
    assert p.log.totals()["no_code"] == 3 and p.log.totals()["repair_rounds"] == 2


@pytest.mark.parametrize("reply", [error(400, "bad request"), error(500), malformed()])
def test_api_errors_are_counted_and_become_proposal_errors(fake_llm, store, reply) -> None:
    fake_llm.push(reply)
    p = proposer(fake_llm, store)
    with pytest.raises(ProposalError, match="LLM call failed"):
        p.propose(request("init"))
    assert p.log.totals()["api_error"] == 1
    assert len(store.llm_calls()) == 1 and store.llm_calls()[0].error


def test_budget_refuses_before_sending_and_usage_reports_it_spent(fake_llm) -> None:
    fake_llm.default = ok(code(2.0), prompt_tokens=300, completion_tokens=150)
    p = proposer(fake_llm, max_tokens_total=1400)
    p.propose(request("init", seed=1))
    p.propose(request("init", seed=2))
    with pytest.raises(ProposalError, match="LLM budget"):
        p.propose(request("init", seed=3))
    assert len(fake_llm.chat_requests()) == 2
    assert p.client.usage().tokens == 900 <= 1400
    assert p.log.totals()["budget_stop"] == 1
    assert p.usage() == (1400, 0.0)


def test_followup_repairs_failed_evaluations_and_stops_on_success(fake_llm, store) -> None:
    fake_llm.push(ok(code(3.0)), ok(code(2.25)))
    p = proposer(fake_llm, store, repair_rounds=1)
    req = request("mutate_algorithm", (A,))
    prop = p.propose(req)
    cand = member(prop.sources["score"]).candidate
    crashed = EvaluationResult(cand.id, EvalStatus.CRASHED, Stage.SMOKE,
                               feedback="The worker died with signal 11 in score.")
    fixed = p.followup(req, prop, cand, crashed)
    assert fixed is not None and "2.25" in fixed.sources["score"] and fixed.meta["repairs"] == 1
    repair_msg = fake_llm.chat_requests()[1].body["messages"][-1]["content"]
    assert "crashed at stage smoke" in repair_msg and "signal 11" in repair_msg
    assert p.followup(req, fixed, cand, crashed) is None  # K = 1 spent
    ran = EvaluationResult(cand.id, EvalStatus.OK, Stage.MINIBATCH, fitness=0.9)
    assert p.followup(req, prop, cand, ran) is None
    assert len(fake_llm.chat_requests()) == 2


def test_operator_needs_its_parents_and_known_names() -> None:
    p = _bare()
    with pytest.raises(ProposalError, match="needs 2 parent"):
        p.propose(request("crossover", (A,)))
    with pytest.raises(ProposalError, match="no operator 'tune'"):
        p.propose(request("tune", (A,)))


def test_same_code_ignores_comments_docstrings_and_layout() -> None:
    a = "def score(a, b):\n    return a + b\n"
    assert same_code(a, 'def score(a, b):\n    """Sum."""\n    # add\n    return (a +  b)\n')
    assert not same_code(a, "def score(a, b):\n    return a - b\n")
