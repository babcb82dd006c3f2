"""A run with clustering and novelty stopped half way and resumed ends like an uninterrupted one."""

from __future__ import annotations

from llm_fake_server import Reply, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator

from heurevo.engine.cire import CireConfig, build_parts
from heurevo.engine.clustering import ClusteringConfig
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.embeddings import EmbeddingConfig
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.engine.novelty import NoveltyConfig
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore


def responder(body) -> Reply:
    """A constant from the seed; every third answer renames the local of an earlier one."""
    seed = int(body.get("seed", 0))
    k = 1.0 + (seed % 5) / 4
    local = "t" if seed % 3 else "u"
    return ok(f"{{k {k}}}\n```python\ndef score(a, b):\n    {local} = a * {k}\n    return {local} + b\n```\n")


def run(server, path, generations: int):
    store = SQLiteStore(path)
    store.init_run("resume", 5, "")
    client = LLMClient(LLMConfig(model="fake-model", base_url=server.base_url, max_retries=0,
                                 max_tokens=200), store=store, sleep=lambda s: None)
    proposer = LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=0), store)
    cfg = CireConfig(embedding=EmbeddingConfig(backend="tfidf"),
                     clustering=ClusteringConfig(enabled=True), novelty=NoveltyConfig(enabled=True))
    parts = build_parts(cfg, SLOTS, store, "resume", "pbo", prompts=True)
    ctl = Controller(ControllerConfig(population_size=3, offspring_per_generation=4,
                                      exploit_operators={"mutate_algorithm": 0.5, "crossover": 0.5},
                                      explore_operators={"mutate_algorithm": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, 5, proposer.operators,
                     clusterer=parts.clusterer)
    summary = RunLoop(ctl, proposer, ScoreEvaluator(), store, Budgets(evaluations=None,
                                                                      generations=generations),
                      hooks=parts).run([Candidate.new("pbo", {"score": DEFAULT})])
    facts = ([m.candidate.id for m in summary.population], store.cire_records("clusters"),
             store.cire_records("novelty"))
    store.close()
    return facts


def test_resume_rebuilds_clusters_and_novelty(fake_llm, tmp_path) -> None:
    fake_llm.responder = responder
    whole = run(fake_llm, tmp_path / "whole.sqlite", 5)
    run(fake_llm, tmp_path / "split.sqlite", 2)
    split = run(fake_llm, tmp_path / "split.sqlite", 5)
    assert whole[0] == split[0]
    assert whole[1] == split[1]  # each generation's clusters stored once, the same
    assert whole[2] == split[2] and any(d["kind"] == "source" for _, d in whole[2])
