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
