"""Two runs share a mistake notebook: the second repeats fewer of the first run's failures.

A real loopback OpenAI-protocol server plays a model that draws its answer from a fixed set of
six functions (three of them crash in evaluation) by the request's seed, so two runs with
different seeds propose overlapping code. The second run is made twice, with the first run's
notebook and without one; the test counts the first run's failures it evaluates again. The
lessons also reach the prompts of the run that shares the notebook.
"""

from __future__ import annotations

from llm_fake_server import Reply, fake_llm_fixture, ok  # noqa: F401
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator

from heurevo.engine.cire import CireConfig, build_parts
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.embeddings import EmbeddingConfig
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.engine.notebook import NotebookConfig
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.populations.records import Candidate, EvalStatus
from heurevo.populations.store import SQLiteStore

CHOICES = [f"def score(a, b):\n    return a * {k} + b{'  # CRASH' if k in (1.5, 3.5, 4.5) else ''}\n"
           for k in (1.5, 2.0, 3.0, 3.5, 4.5, 2.25)]


def responder(body) -> Reply:
    """The idea and code of choice seed % 6."""
    src = CHOICES[int(body.get("seed", 0)) % len(CHOICES)]
    return ok(f"{{choice {src.split('*')[1].split('+')[0].strip()}}}\n```python\n{src}```\n")


def one_run(server, tmp_path, name: str, seed: int, notebook: str) -> tuple[set[str], list[str]]:
    """A run; returns the source of every failed evaluation and every prompt sent."""
    store = SQLiteStore(tmp_path / f"{name}.sqlite")
    store.init_run(name, seed, "")
    client = LLMClient(LLMConfig(model="fake-model", base_url=server.base_url, max_retries=0,
                                 max_tokens=200), store=store, sleep=lambda s: None)
    proposer = LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=0), store)
    cfg = CireConfig(embedding=EmbeddingConfig(backend="tfidf"),
                     notebook=NotebookConfig(path=notebook) if notebook else NotebookConfig())
    parts = build_parts(cfg, SLOTS, store, name, "pbo", prompts=True)
    ctl = Controller(ControllerConfig(population_size=4, offspring_per_generation=4,
                                      exploit_operators={"mutate_algorithm": 1.0},
                                      explore_operators={"mutate_algorithm": 1.0}),
                     "pbo", ("score",), {"score": DEFAULT}, seed, proposer.operators)
    before = len(server.chat_requests())
    RunLoop(ctl, proposer, ScoreEvaluator(), store, Budgets(evaluations=None, generations=4),
            hooks=parts).run([Candidate.new("pbo", {"score": DEFAULT})])
    failed = {store.candidate(r.candidate_id).sources["score"] for _, r in store.evaluations()
              if r.status is EvalStatus.CRASHED}
    prompts = [r.body["messages"][-1]["content"] for r in server.chat_requests()[before:]]
    parts.close()
    store.close()
    return failed, prompts


def test_second_run_repeats_fewer_failures_with_the_shared_notebook(fake_llm, tmp_path) -> None:
    fake_llm.responder = responder
    shared = str(tmp_path / "notes.sqlite")
    first, _ = one_run(fake_llm, tmp_path, "first", 1, shared)
    assert first  # the first run met failures
    with_nb, prompts = one_run(fake_llm, tmp_path, "second", 2, shared)
    without, _ = one_run(fake_llm, tmp_path, "second-alone", 2, "")
    repeats_with, repeats_without = len(with_nb & first), len(without & first)
    print(f"first run failures {len(first)}; second run repeats them: "
          f"{repeats_with} with the notebook, {repeats_without} without")
    assert repeats_without > 0 and repeats_with < repeats_without
    assert any("Lessons from the mistake notebook" in p and "crash" in p.lower() for p in prompts)
