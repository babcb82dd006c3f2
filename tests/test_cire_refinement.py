"""Reflective refinement end to end over the local OpenAI-protocol server, every turn stored.

A real loopback HTTP server answers the Observe and Reason turns with text and the Act turn
with code; the run loop, controller (clustering on, TF-IDF), LLM proposer and SQLite store are
the real ones; evaluation is the tests' no-exec scorer.
"""

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
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore


def responder(body) -> Reply:
    """Observe and Reason get prose; every code request gets a new constant from the seed."""
    user = last_user(body)
    seed = int(body.get("seed", 0))
    if "## Observe" in user:
        return ok(f"OBSERVED {len(re.findall('### Heuristic', user))} heuristics")
    if user.startswith("## Reason"):
        return ok("REASONED: the weight on a matters most")
    k = 1.0 + (seed % 17) / 8
    return ok(code(k, idea=f"weight a by {k} ({'explore' if 'explore' in user else 'exploit'})"))


def test_refinement_conversation_runs_end_to_end(fake_llm, tmp_path) -> None:
    fake_llm.responder = responder
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("refine", 3, "")
    client = LLMClient(LLMConfig(model="fake-model", base_url=fake_llm.base_url, max_retries=0,
                                 max_tokens=200), store=store, sleep=lambda s: None)
    proposer = LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=1), store, refine=True)
    index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), {"score": DEFAULT}, store)
    clusterer = Clusterer(ClusteringConfig(enabled=True), index, store)
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=4,
                                      exploit_operators={"mutate_algorithm": 1.0},
                                      explore_operators={"mutate_algorithm": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, 3, proposer.operators, clusterer=clusterer)
    loop = RunLoop(ctl, proposer, ScoreEvaluator(), store, Budgets(evaluations=None, generations=4))
    loop.run([Candidate.new("pbo", {"score": DEFAULT})])

    turns = store.cire_records("refinement")
    steps = [d["step"] for _, d in turns]
    assert steps.count("observe") == steps.count("reason") == steps.count("act") > 0
    by_conv: dict[tuple[int, int], list[str]] = {}
    for gen, d in turns:
        by_conv.setdefault((gen, d["seed"]), []).append(d["step"])
    assert all(v == ["observe", "reason", "act"] for v in by_conv.values())
    observed = [d for _, d in turns if d["step"] == "observe"]
    assert all(d["text"].startswith("OBSERVED") and len(d["members"]) >= 2 for d in observed)
    assert all(d["text"] == f"OBSERVED {len(d['members'])} heuristics" or
               int(d["text"].split()[1]) > len(d["members"]) for d in observed)  # + references
    acts = [d for _, d in turns if d["step"] == "act"]
    assert all("def score(a, b)" in d["text"] for d in acts)
    # The Act request carried the whole conversation: Observe, its answer, Reason, its answer.
    act_bodies = [r.body for r in fake_llm.chat_requests()
                  if r.body and "## Act" in last_user(r.body)]
    assert act_bodies and all([m["role"] for m in b["messages"]] ==
                              ["system", "user", "assistant", "user", "assistant", "user"]
                              for b in act_bodies)
    assert all(b["messages"][2]["content"].startswith("OBSERVED") for b in act_bodies)
    refined = [c for c in store.candidates() if c.idea.startswith("weight a by")]
    assert refined
    shown = cire_json(store)
    assert len(shown["refinement"]) == len(turns) and shown["clusters"]
    json.dumps(shown)
    store.close()
