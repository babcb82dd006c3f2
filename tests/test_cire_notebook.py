"""The mistake notebook: it persists across runs and retrieval returns the relevant lesson."""

from __future__ import annotations

import dataclasses

from heurevo.engine.embeddings import EmbeddingConfig, make_embedder
from heurevo.engine.notebook import Notebook, NotebookConfig, family_of
from heurevo.populations.records import EvalStatus
from tests.cire_population import DEFAULTS, member

BAD = "def score(a, b):\n    spread = b - b\n    return a / spread\n"
FIXED = "def score(a, b):\n    return a / (abs(b) + 1.0)\n"


def _open(path, run):
    nb = Notebook(path, make_embedder(EmbeddingConfig(backend="tfidf")), NotebookConfig(path=str(path)),
                  run_id=run, problem="pbo")
    nb.set_defaults(DEFAULTS)
    return nb


def test_family_names():
    assert family_of("knapsack-n40-3") == "knapsack"
    assert family_of("setcover_12") == "setcover"


def test_notebook_persists_across_runs_and_retrieves_the_relevant_lesson(tmp_path):
    path = tmp_path / "notes.sqlite"
    nb = _open(path, "run-a")
    parent = member("def score(a, b):\n    return a + 2.0 * b\n", (1.0, 1.0, 1.0, 1.0), idea="baseline")
    nb.observe(parent)
    bad = member(BAD, (0, 0, 0, 0), idea="divide by the spread", status=EvalStatus.FAILED)
    nb.observe(bad)
    better = member("def score(a, b):\n    return a * a + b\n", (1.2, 1.2, 1.0, 1.0),
                    idea="square the gain")
    better = dataclasses.replace(better, candidate=dataclasses.replace(
        better.candidate, parents=(parent.candidate.id,)))
    nb.observe(better)
    nb.reflect(1)
    nb.close()

    nb2 = _open(path, "run-b")
    kinds = [e.kind for e in nb2.entries()]
    assert kinds.count("failure") == 1 and kinds.count("effect") == 1  # i1..i4 are one family
    known = nb2.known_failure(member(BAD.replace("spread", "s"), (0,) * 4).candidate)
    assert known is not None and known.run_id == "run-a" and "divide by the spread" in known.text
    assert nb2.known_failure(member(FIXED, (0,) * 4).candidate) is None
    hits = nb2.search("square the gain helped", k=1, generation=3)
    assert hits[0].kind == "effect" and "square the gain" in hits[0].text
    hits = nb2.search("divide by the spread went wrong failed", k=1)
    assert hits[0].kind == "failure"
    assert "Changes that helped" in nb2.guidance() and "Failures so far: failed x1" in nb2.guidance()
    assert nb2.guidance_history()[0][:2] == ("run-a", 1)
    assert nb2.uses()[0]["generation"] == 3
    nb2.close()
