"""Clustering drives the controller: niching survival, convergence → explore, cluster selection."""

from __future__ import annotations

import dataclasses

from heurevo.engine.clustering import Clusterer, ClusteringConfig
from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.populations.store import MemoryStore
from tests.cire_population import DEFAULTS, member
from tests.test_cire_clustering import GREEDY, RANDOMISED

OPS = {"init": 0, "mutate": 1, "crossover": 2, "tune": 1}


def _controller(mu: int, clustering: ClusteringConfig | None, store=None, **cfg) -> Controller:
    clusterer = None
    if clustering is not None:
        index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), DEFAULTS, store)
        clusterer = Clusterer(clustering, index, store)
    config = ControllerConfig(population_size=mu, offspring_per_generation=6, **cfg)
    return Controller(config, "pbo", ("score",), DEFAULTS, seed=4, operators=OPS, clusterer=clusterer)


def _population():
    # Three greedy variants that score well, two randomised ones that score a little less.
    greedy = [member(s, tuple(x + 0.1 for x in sc)) for s, sc in GREEDY]
    return greedy + [member(s, sc) for s, sc in RANDOMISED]


def _run(ctrl: Controller, members) -> Controller:
    for m in members:
        ctrl.tell(m)
    ctrl.end_generation()
    return ctrl


def test_niching_keeps_the_best_of_each_cluster():
    pop = _population()
    plain = _run(_controller(3, None), pop)
    assert {m.candidate.id for m in plain.population} == {m.candidate.id for m in pop[:3]}
    store = MemoryStore()
    niched = _run(_controller(3, ClusteringConfig(enabled=True), store), pop)  # 2 niche places
    kept = {m.candidate.id for m in niched.population}
    assert len(kept & {m.candidate.id for m in pop[:3]}) == 2
    assert len(kept & {m.candidate.id for m in pop[3:]}) == 1
    (gen, data), = store.cire_records("clusters")
    assert gen == 0 and sorted(data["survivors"]) == sorted(kept)
    assert sum(len(v) for v in data["clusters"].values()) == 5
    off = _run(_controller(3, ClusteringConfig(enabled=True, niching=False)), pop)
    assert {m.candidate.id for m in off.population} == {m.candidate.id for m in plain.population}


def test_convergence_switches_to_explore_and_crossover_goes_across_clusters():
    pop = _population()
    ctrl = _run(_controller(4, ClusteringConfig(enabled=True, niching=False,
                                                convergence_share=0.7),
                            explore_operators={"crossover": 1.0}), pop)
    assert ctrl.mode == "explore" and ctrl.reason == "convergence"  # 3 of the 4 survivors: one cluster
    labels = ctrl.clustering.labels
    requests = ctrl.ask()
    pairs = [r.parents for r in requests if r.operator == "crossover"]
    assert pairs and all(labels[a.candidate.id] != labels[b.candidate.id] for a, b in pairs)
    assert all(len({labels[m.candidate.id] for m in r.group}) == len(r.group) for r in requests)
    not_converged = _run(_controller(4, ClusteringConfig(enabled=True, niching=False,
                                                         convergence_share=0.0)), pop)
    assert not_converged.mode == "exploit"


def test_exploit_crossover_stays_within_a_cluster_and_groups_are_homogeneous():
    pop = _population()
    ctrl = _run(_controller(5, ClusteringConfig(enabled=True, convergence_share=0.0),
                            exploit_operators={"crossover": 1.0}), pop)
    assert ctrl.mode == "exploit"
    labels = ctrl.clustering.labels
    requests = ctrl.ask()
    assert all(r.operator == "crossover" for r in requests)
    assert all(labels[r.parents[0].candidate.id] == labels[r.parents[1].candidate.id] for r in requests)
    assert all(len({labels[m.candidate.id] for m in r.group}) == 1 for r in requests)
    assert all(r.references and all(labels[x.candidate.id] != labels[r.parents[0].candidate.id]
                                    for x in r.references) for r in requests)


def test_same_tells_give_the_same_requests():
    pop = _population()
    cfg = ClusteringConfig(enabled=True)
    a = _run(_controller(3, cfg), pop).ask()
    b = _run(_controller(3, cfg), pop).ask()
    strip = [dataclasses.replace(r, parents=tuple(p.candidate.id for p in r.parents),
                                 group=tuple(p.candidate.id for p in r.group),
                                 references=tuple(p.candidate.id for p in r.references)) for r in a]
    again = [dataclasses.replace(r, parents=tuple(p.candidate.id for p in r.parents),
                                 group=tuple(p.candidate.id for p in r.group),
                                 references=tuple(p.candidate.id for p in r.references)) for r in b]
    assert strip == again
