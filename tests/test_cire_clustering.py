"""Behaviour descriptors and clustering on hand-made populations (real scikit-learn, TF-IDF)."""

from __future__ import annotations

import random

import numpy as np

from heurevo.engine.behaviour import anytime, descriptors, same_behaviour
from heurevo.engine.clustering import (
    ClusteringConfig,
    best_per_cluster,
    cluster,
    heterogeneous_group,
    homogeneous_group,
)
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.populations.records import EvalStatus
from heurevo.populations.store import MemoryStore
from tests.cire_population import DEFAULTS, member

GREEDY = [
    ("def score(a, b):\n    return a * 2.0 + b\n", (1.02, 1.01, 1.03, 1.02)),
    ("def score(x, y):\n    return x * 2.0 + y * 1.0\n", (1.02, 1.02, 1.03, 1.01)),
    ("def score(a, b):\n    t = a * 2.0\n    return t + b\n", (1.01, 1.01, 1.03, 1.02)),
]
RANDOMISED = [
    ("def score(a, b):\n    if a > b:\n        return math.sqrt(abs(a - b))\n    return min(a, b) / 3.0\n",
     (0.80, 1.20, 0.85, 1.15)),
    ("def score(a, b):\n    if a > b:\n        return math.sqrt(abs(a - b)) + 0.1\n    return min(a, b) / 3.0\n",
     (0.81, 1.19, 0.86, 1.16)),
]


def _index():
    return EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), DEFAULTS, MemoryStore())


def test_descriptor_columns_align_by_instance_and_mark_failures():
    ok = member(GREEDY[0][0], GREEDY[0][1], steps_to_best=250)
    bad = member("def score(a, b):\n    return a / 0\n", (0, 0, 0, 0), status=EvalStatus.FAILED)
    rows = descriptors([ok.result, bad.result])
    assert rows.shape == (2, 4 + 2 + len(EvalStatus))
    assert np.allclose(rows[0, :4], GREEDY[0][1])
    assert rows[0, 4:6].tolist() == [0.01, 0.25]  # first feasible at step 10, best at 250 of 1000
    assert rows[1, 4:6].tolist() == [1.0, 1.0]
    assert rows[0, 6 + list(EvalStatus).index(EvalStatus.OK)] == 1
    assert rows[1, 6 + list(EvalStatus).index(EvalStatus.FAILED)] == 1
    assert anytime(ok.result.instances[0]) == (0.01, 0.25)


def test_similar_candidates_cluster_together():
    pop = [member(s, sc) for s, sc in GREEDY + RANDOMISED]
    c = cluster(pop, _index(), ClusteringConfig(), generation=3)
    labels = [c.labels[m.candidate.id] for m in pop]
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert labels[0] != labels[3]
    assert c.generation == 3 and c.largest_share == 3 / 5
    assert set(c.to_json()["clusters"]) == {"0", "1"}


def test_behaviour_weight_separates_similar_code_that_behaves_differently():
    # The same code shape (one constant differs) but opposite behaviour on the instances.
    a = member("def score(a, b):\n    return a * 2.0 + b\n", (1.2, 1.2, 0.8, 0.8))
    b = member("def score(a, b):\n    return a * 2.5 + b\n", (0.8, 0.8, 1.2, 1.2))
    code_only = cluster([a, b], _index(), ClusteringConfig(behaviour_weight=0.0, code_weight=1.0,
                                                           code_scale=2.0), 0)
    assert len(code_only.sizes) == 1
    behaviour = cluster([a, b], _index(), ClusteringConfig(behaviour_weight=5.0, code_weight=1.0,
                                                           code_scale=2.0), 0)
    assert len(behaviour.sizes) == 2


def test_groups_homogeneous_and_heterogeneous():
    pop = [member(s, sc) for s, sc in GREEDY + RANDOMISED]
    c = cluster(pop, _index(), ClusteringConfig(), 0)
    reps = best_per_cluster(c, pop)
    assert [c.labels[m.candidate.id] for m in reps] in ([0, 1], [1, 0])
    assert reps[0].fitness >= reps[1].fitness
    hom = homogeneous_group(c, pop, random.Random(1), 3)
    assert len({c.labels[m.candidate.id] for m in hom}) == 1 and len(hom) >= 2
    het = heterogeneous_group(c, pop, random.Random(1), 3)
    assert len({c.labels[m.candidate.id] for m in het}) == len(het) == 2


def test_same_behaviour_tolerates_seed_noise_only():
    a = member(GREEDY[0][0], (1.0, 1.0, 1.0, 1.0))
    b = member(GREEDY[1][0], (1.0, 1.0, 1.0, 1.00005))
    c = member(GREEDY[2][0], (1.0, 1.0, 1.0, 1.01))
    assert same_behaviour(a.result, b.result)
    assert not same_behaviour(a.result, c.result)
