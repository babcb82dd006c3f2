"""The surrogate pre-screen: after training it rejects code like the poor candidates, keeps code
like the good ones, and logs its predictions against the fitness candidates then got."""

from __future__ import annotations

import dataclasses

import pytest

from heurevo.engine.cire import CireConfig, build_parts
from heurevo.engine.cire_views import cire_json
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.engine.surrogate import Surrogate, SurrogateConfig, accuracy
from heurevo.populations.records import EvalStatus
from heurevo.populations.store import SQLiteStore
from tests.cire_population import DEFAULTS, member

GOOD = "def score(a, b):\n    return max(a, b) * {k}.0 + min(a, b)\n"
POOR = "def score(a, b):\n    if a < b:\n        return abs(a - b) - {k}.5\n    return -b\n"


def _at(m, generation):
    return dataclasses.replace(m, candidate=dataclasses.replace(m.candidate, generation=generation))


def _trained(tmp_path, n=8):
    store = SQLiteStore(tmp_path / "run.sqlite")
    index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), DEFAULTS, store)
    sur = Surrogate(SurrogateConfig(enabled=True, min_train=2 * n, screen_quantile=0.4), index, store)
    for k in range(n):
        sur.admit(_at(member(GOOD.format(k=k + 2), (1.05 + k / 100,) * 4), 0))
        sur.admit(_at(member(POOR.format(k=k + 2), (0.80 - k / 100,) * 4), 0))
    return sur, store


def test_screens_code_like_the_poor_and_logs_accuracy(tmp_path):
    sur, store = _trained(tmp_path)
    good = _at(member(GOOD.format(k=17), (1.1,) * 4), 1)
    poor = _at(member(POOR.format(k=17), (0.7,) * 4), 1)
    sur.prepare([good.candidate, poor.candidate])
    assert sur.check(good.candidate) is None
    rejected = sur.check(poor.candidate)
    assert rejected is not None and rejected.status is EvalStatus.REJECTED
    assert "predicted fitness" in rejected.feedback and sur.screened == 1
    sur.admit(good)
    acc = accuracy(store)
    assert acc["predictions"] == 2 and acc["screened"] == 1 and acc["evaluated"] == 1
    assert acc["mae"] < 0.1  # good code predicted near the good members' fitness
    store.close()


def test_no_screening_before_min_train(tmp_path):
    sur, store = _trained(tmp_path, n=2)
    sur2 = Surrogate(SurrogateConfig(enabled=True, min_train=16), sur.index, store)
    for m in sur._seen:
        sur2.admit(m)
    poor = _at(member(POOR.format(k=17), (0.7,) * 4), 1)
    sur2.prepare([poor.candidate])
    assert sur2.check(poor.candidate) is None and accuracy(store) == {}
    with pytest.raises(ValueError, match="min_train"):
        SurrogateConfig(neighbours=5, min_train=2).validate()
    store.close()


def test_switch_builds_it_and_show_json_has_it(tmp_path):
    from heurevo.solvers.problem import get_problem

    store = SQLiteStore(tmp_path / "run.sqlite")
    cfg = CireConfig(embedding=EmbeddingConfig(backend="tfidf")).with_components({"surrogate"})
    parts = build_parts(cfg, get_problem("pbo").slots(), store)
    assert parts.surrogate is not None and parts.novelty is None and parts.clusterer is None
    assert cire_json(store)["surrogate"] == {}
    store.close()
