"""AutoPBO with CIRE's reflective refinement, end to end over the local OpenAI-protocol server:
a request with a group skips the Planner, the Editor observes, reasons and acts, the Evaluator's
verdict and the revision continue the conversation, and every turn is stored and shown."""

from __future__ import annotations

import json
import re

from llm_fake_server import Reply, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator, code, last_user

from heurevo.engine.cire_views import cire_json
from heurevo.engine.clustering import Clusterer, ClusteringConfig
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.engine.proposers.autopbo import AutoPBOProposer
from heurevo.engine.proposers.llm import LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore

PLANS = {"plans": [{"title": "steeper", "change": "multiply a by 3"},
                   {"title": "flatter", "change": "multiply a by 2.5"}]}


def responder(body) -> Reply:
    """Planner: plans; Evaluator: revise once, then accept; Observe/Reason: prose; else code."""
    system = body["messages"][0]["content"]
    user = last_user(body)
    seed = int(body.get("seed", 0))
    if "Planner" in system:
        return ok(json.dumps(PLANS))
    if "Evaluator" in system:
        verdict = "revise" if "round" in user and seed % 2 else "accept"
        return ok(json.dumps({"verdict": verdict, "outcome": "neutral", "suggestion": "try 4"}))
    if "## Observe" in user:
        return ok(f"OBSERVED {len(re.findall('### Heuristic', user))} heuristics")
    if user.startswith("## Reason"):
        return ok("REASONED: the weight on a matters most")
    k = 1.0 + (seed % 13) / 8 + 0.01 * len(body["messages"])
    return ok(code(k, idea=f"weight a by {k:.3f}"))


def test_autopbo_refinement_every_turn_stored(fake_llm, tmp_path) -> None:
    fake_llm.responder = responder
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("autopbo-refine", 4, "")
    client = LLMClient(LLMConfig(model="fake-model", base_url=fake_llm.base_url, max_retries=0,
                                 max_tokens=200), store=store, sleep=lambda s: None)
    proposer = AutoPBOProposer(client, SLOTS, LLMProposerConfig(repair_rounds=1, plans=2,
                                                                refine_rounds=1), store, refine=True)
    index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), {"score": DEFAULT}, store)
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=4,
                                      exploit_operators={"plan": 1.0}, explore_operators={"plan": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, 4, proposer.operators,
                     clusterer=Clusterer(ClusteringConfig(enabled=True), index, store))
    RunLoop(ctl, proposer, ScoreEvaluator(), store, Budgets(evaluations=None, generations=4)
            ).run([Candidate.new("pbo", {"score": DEFAULT})])

    turns = store.cire_records("refinement")
    by_conv: dict[tuple[int, int], list[str]] = {}
    for gen, d in turns:
        by_conv.setdefault((gen, d["seed"]), []).append(d["step"])
    assert by_conv, "no request carried a group"
    for steps in by_conv.values():
        assert steps[:3] == ["observe", "reason", "act"]
        assert set(steps[3:]) <= {"evaluate", "revise"}
    every = [s for v in by_conv.values() for s in v]
    assert "evaluate" in every and "revise" in every  # the Evaluator's rounds are in the record
    # Group requests never asked the Planner: its requests are fewer than the generations' asks.
    bodies = [r.body for r in fake_llm.chat_requests() if r.body]
    observe = [b for b in bodies if "## Observe" in last_user(b)]
    assert observe and all("Planner" not in b["messages"][0]["content"] for b in observe)
    shown = cire_json(store)
    assert len(shown["refinement"]) == len(turns) and json.dumps(shown)
    store.close()
