"""AutoPBO agents over a real loopback server: Planner plans, Editors, the Evaluator's rounds."""

from __future__ import annotations

import json
import threading

import pytest
from llm_fake_server import FakeLLMServer, error, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator, client, code, last_user, member, request

from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.proposers.autopbo import (
    AutoPBOProposer,
    parse_json,
    parse_plans,
    parse_verdict,
)
from heurevo.engine.proposers.base import ProposalError
from heurevo.engine.proposers.llm import LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate, EvalStatus, EvaluationResult, Stage
from heurevo.populations.store import SQLiteStore

PLANS = {"plans": [
    {"title": "steeper", "change": "multiply a by 3", "rationale": "a matters more"},
    {"title": "flatter", "change": "multiply a by 2.5", "rationale": "balance"},
    {"title": "no-op", "change": "keep it", "rationale": ""}]}
PARENT = member(DEFAULT, 0.5, idea="plain sum")


def agents(server, store=None, **kw) -> AutoPBOProposer:
    cfg = LLMProposerConfig(**{"repair_rounds": 1, "plans": 3, "refine_rounds": 1, **kw})
    return AutoPBOProposer(client(server, store), SLOTS, cfg, store)


def role(body) -> str:
    system = body["messages"][0]["content"]
    return "planner" if "Planner" in system else "evaluator" if "Evaluator" in system else "editor"


def test_parsers_accept_real_answer_shapes_and_refuse_others() -> None:
    assert parse_json('Sure!\n```json\n{"a": 1}\n```\nDone') == {"a": 1}
    assert parse_json('Here: {"a": [1, 2]} hope it helps') == {"a": [1, 2]}
    plans = parse_plans('[{"title": "t", "change": "c"}, {"change": "only change"}, 5]', 5)
    assert [p.title for p in plans] == ["t", "only change"]
    assert len(parse_plans(json.dumps(PLANS), 2)) == 2
    for bad in ("no json at all", '{"plans": []}', '{"plans": [{"title": "x"}]}'):
        with pytest.raises(ValueError):
            parse_plans(bad, 3)
    v = parse_verdict('{"verdict": "Revise", "outcome": "worse", "suggestion": "undo it"}')
    assert (v.accept, v.outcome, v.suggestion) == (False, "worse", "undo it")
    for bad in ('{"verdict": "maybe", "outcome": "worse"}', '{"verdict": "revise", '
                '"outcome": "worse"}', '{"verdict": "accept", "outcome": "great"}', "[1]"):
        with pytest.raises(ValueError):
            parse_verdict(bad)


def test_planner_is_asked_once_and_plans_run_in_parallel(fake_llm, store) -> None:
    def respond(body):
        if role(body) == "planner":
            return ok(json.dumps(PLANS), delay_s=0.2)
        k = 3.0 if "multiply a by 3" in last_user(body) else 2.5
        return ok(code(k, idea=f"implemented k={k}"))

    fake_llm.responder = respond
    p = agents(fake_llm, store)
    reqs = [request("plan", (PARENT,), seed=s) for s in (0, 1, 3)]  # plans 0, 1, 0
    out: dict[int, object] = {}
    threads = [threading.Thread(target=lambda r=r: out.__setitem__(r.seed, p.propose(r)))
               for r in reqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    roles = [role(r.body) for r in fake_llm.chat_requests()]
    assert roles.count("planner") == 1 and roles.count("editor") == 3
    assert "3.0" in out[0].sources["score"] and "2.5" in out[1].sources["score"]
    assert out[1].meta["plan_title"] == "flatter" and out[1].idea == "implemented k=2.5"
    planner_prompt = next(last_user(r.body) for r in fake_llm.chat_requests()
                          if role(r.body) == "planner")
    assert "exactly 3" in planner_prompt and "fitness 0.5000" in planner_prompt
    assert "return a + b" in planner_prompt and "Combine the two partial scores" in planner_prompt
    assert p.log.totals()["ok"] == 4


def test_evaluator_revises_then_accepts_and_rounds_are_capped(fake_llm, store) -> None:
    fake_llm.push(ok(json.dumps(PLANS)), ok(code(3.0)),
                  ok('{"verdict": "revise", "outcome": "neutral", "suggestion": "try 2.75"}'),
                  ok(code(2.75)))
    p = agents(fake_llm, store, refine_rounds=1)
    req = request("plan", (PARENT,), seed=0)
    prop = p.propose(req)
    cand = Candidate.new("pbo", prop.sources)
    res = ScoreEvaluator().evaluate(cand)
    revised = p.followup(req, prop, cand, res)
    assert revised is not None and "2.75" in revised.sources["score"]
    assert revised.meta["refines"] == 1 and revised.meta["repairs"] == 0
    revise_msg = fake_llm.chat_requests()[-1].body["messages"][-1]["content"]
    assert "try 2.75" in revise_msg and "neutral" in revise_msg and "fitness 0.5000" in revise_msg
    evaluator_prompt = last_user(fake_llm.chat_requests()[2].body)
    assert "multiply a by 3" in evaluator_prompt and "fitness 0.8000" in evaluator_prompt
    cand2 = Candidate.new("pbo", revised.sources)
    assert p.followup(req, revised, cand2, ScoreEvaluator().evaluate(cand2)) is None  # capped
    assert len(fake_llm.chat_requests()) == 4
    [verdict] = store.events("autopbo_verdict")
    assert verdict.data["outcome"] == "neutral" and not verdict.data["accept"]


def test_failed_edit_goes_back_as_a_repair_and_accept_stops(fake_llm, store) -> None:
    fake_llm.push(ok(json.dumps(PLANS)), ok(code(3.0, tail="  # CRASH")), ok(code(2.5)),
                  ok('{"verdict": "accept", "outcome": "improved", "suggestion": ""}'))
    p = agents(fake_llm, store)
    req = request("plan", (PARENT,), seed=0)
    prop = p.propose(req)
    cand = Candidate.new("pbo", prop.sources)
    crashed = ScoreEvaluator().evaluate(cand)
    assert crashed.status is EvalStatus.CRASHED
    fixed = p.followup(req, prop, cand, crashed)
    assert fixed is not None and fixed.meta["repairs"] == 1
    assert "signal 11" in fake_llm.chat_requests()[2].body["messages"][-1]["content"]
    cand2 = Candidate.new("pbo", fixed.sources)
    assert p.followup(req, fixed, cand2, ScoreEvaluator().evaluate(cand2)) is None
    assert [e.data["outcome"] for e in store.events("autopbo_verdict")] == ["error", "improved"]
    assert p.log.totals()["repair_rounds"] == 1


def test_bad_planner_answer_fails_the_generation_once(fake_llm, store) -> None:
    fake_llm.push(ok("I suggest making it better."))
    p = agents(fake_llm, store)
    for seed in (0, 1):
        with pytest.raises(ProposalError, match="no usable plans"):
            p.propose(request("plan", (PARENT,), seed=seed))
    assert len(fake_llm.chat_requests()) == 1 and p.log.totals()["bad_json"] == 1
    fake_llm.push(ok(json.dumps(PLANS)), ok(code(3.0)))
    assert p.propose(request("plan", (PARENT,), seed=0, generation=1)).sources


def test_unchanged_edit_and_bad_verdict(fake_llm, store) -> None:
    fake_llm.push(ok(json.dumps(PLANS)), ok("{same}\n```python\n" + DEFAULT + "```"),
                  ok(code(3.0)), ok("accept!"), error(400))
    p = agents(fake_llm, store)
    req = request("plan", (PARENT,), seed=0)
    prop = p.propose(req)
    assert p.log.totals()["unchanged"] == 1 and prop.meta["repairs"] == 1
    cand = Candidate.new("pbo", prop.sources)
    ran = EvaluationResult(cand.id, EvalStatus.OK, Stage.MINIBATCH, fitness=0.8)
    assert p.followup(req, prop, cand, ran) is None
    assert p.log.totals()["bad_json"] == 1


def test_autopbo_run_end_to_end(fake_llm, tmp_path) -> None:
    def respond(body):
        r = role(body)
        if r == "planner":
            return ok(json.dumps(PLANS))
        if r == "evaluator":
            return ok('{"verdict": "revise", "outcome": "neutral", "suggestion": "go on"}')
        prompt = last_user(body)
        k = 3.0 if "multiply a by 3" in prompt else 2.5 if "by 2.5" in prompt else 2.0
        return ok(code(k + (0.25 if "go on" in prompt else 0.0)))

    fake_llm.responder = respond
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("r", 1, "")
    p = agents(fake_llm, store)
    ctl = Controller(ControllerConfig(population_size=3, offspring_per_generation=3,
                                      exploit_operators={"plan": 1.0},
                                      explore_operators={"plan": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, 1, p.operators)
    loop = RunLoop(ctl, p, ScoreEvaluator(), store, Budgets(evaluations=None, generations=3),
                   workers=3, usage=p.usage)
    summary = loop.run([Candidate.new("pbo", {"score": DEFAULT})])
    bodies = [r.body for r in fake_llm.chat_requests()]
    first_edits = [b for b in bodies if role(b) == "editor" and len(b["messages"]) == 2]
    assert len(first_edits) == 6  # 3 plans in parallel in each of 2 generations
    planners = sum(role(b) == "planner" for b in bodies)
    assert 2 <= planners <= 4  # once per (generation, parent): 1 parent, then up to 3
    assert summary.best is not None and summary.best.fitness == 1.0  # k = 2.5 found
    assert summary.stats.proposal_failures == 0
    store.close()
