"""The ablation bench's variants and its evaluations-to-reach figure."""

from __future__ import annotations

import pytest

from heurevo.bench.evolve_ablate import evaluations_to_reach, variants
from heurevo.errors import HeurevoError


def test_variants_one_per_item_components_joined_by_plus(tmp_path):
    v = variants(["clustering+novelty", "notebook"], "tfidf", tmp_path)
    assert list(v) == ["plain", "clustering+novelty", "notebook"]
    assert not v["plain"].needs_embeddings
    both = v["clustering+novelty"]
    assert both.clustering.enabled and both.novelty.enabled and not both.notebook.path
    nb = v["notebook"]
    assert nb.notebook.path.endswith("notes-notebook.sqlite") and not nb.clustering.enabled
    assert both.embedding.backend == "tfidf"
    with pytest.raises(HeurevoError, match="unknown component"):
        variants(["clustering+magic"], "tfidf", tmp_path)


def test_evaluations_to_reach():
    curve = [0.9, 0.95, 0.95, 1.02, 1.02]
    assert evaluations_to_reach(curve, 0.95) == 2
    assert evaluations_to_reach(curve, 1.02) == 4
    assert evaluations_to_reach(curve, 1.1) is None


def test_niching_figures_count_survivors_plus_survival_would_drop(tmp_path):
    """A weak member kept as its cluster's best counts; fittest-first survivors do not."""
    from heurevo.bench.cire_figures import niching_figures
    from heurevo.populations.store import SQLiteStore
    from tests.cire_population import member

    store = SQLiteStore(tmp_path / "run.sqlite")
    ms = [member(f"def score(a, b):\n    return a * {k}.0 + b\n", (1.0 + k / 10,) * 4)
          for k in range(4)]
    for m in ms:
        store.add_candidate(m.candidate)
        store.record_evaluation(f"{m.candidate.id}/train/x", m.result)
    a, b, c, d = (m.candidate.id for m in ms)  # fitness rises from a to d
    clusters = {"0": [{"candidate": d}, {"candidate": c}, {"candidate": b}], "1": [{"candidate": a}]}
    store.add_cire_record("clusters", 1, {"clusters": clusters, "survivors": [d, a]})
    store.add_cire_record("clusters", 2, {"clusters": clusters, "survivors": [d, c]})
    fig = niching_figures(store)
    assert [r["niche_kept"] for r in fig["per_generation"]] == [1, 0]
    assert fig["niche_kept"] == 1 and fig["mean_clusters"] == 2
    assert fig["per_generation"][0]["largest_share"] == 0.75
    store.close()


def test_summary_of_synthetic_runs_has_p_values_and_clustering_figures():
    """The ablation's summary over hand-made runs: held-out mean, paired p, what clustering did."""
    from rich.table import Table

    from heurevo.bench.evolve_ablate import ABLATION_TARGETS, _summarise

    def run(seed, score, kept=0, gens=()):
        return {"seed": seed, "pairs": [("a", score, 1.0), ("b", score, 1.0)],
                "curve": [1.0, score], "embed_s": 0.5, "cluster_s": 0.1, "eval_s": 10.0,
                "embedded": 10, "not_novel": 0, "behaviour_duplicates": 2,
                "niching": {"niche_kept": kept, "mean_clusters": 3.0,
                            "per_generation": list(gens)}}
    per = {"plain": [run(s, 1.0 + s / 100) for s in range(1, 6)],
           "clustering": [run(s, 1.02 + s / 100, kept=1, gens=[{}]) for s in range(1, 6)]}
    out = _summarise(ABLATION_TARGETS["tsp-100"], per, Table(*["c"] * 9))
    assert out["plain"]["p_better"] is None
    assert out["clustering"]["p_better"] < 0.05 and out["clustering"]["niche_kept"] == 5
    assert out["clustering"]["reach"] == [2] * 5 and out["clustering"]["behaviour_duplicates"] == 10
