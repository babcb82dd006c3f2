"""bench evolve's figures: per-family mean ± std over seeds and pooled paired p-values."""

from __future__ import annotations

import statistics

import pytest
from scipy import stats as sp

from heurevo.bench.evolve import _family_figures, run_evolve_bench


def test_family_figures_pool_pairs_and_spread_over_seeds() -> None:
    runs = [{"pairs": [("knapsack-1.opb", 1.04, 1.0), ("knapsack-2.opb", 1.02, 1.0),
                       ("setcover-1.opb", 0.99, 1.0), ("setcover-2.opb", 1.0, 1.0)]},
            {"pairs": [("knapsack-1.opb", 1.03, 1.0), ("knapsack-2.opb", 1.05, 1.0),
                       ("setcover-1.opb", 0.98, 1.0), ("setcover-2.opb", 0.97, 1.0)]}]
    figs = _family_figures(runs)
    assert set(figs) == {"knapsack", "setcover", "all"}
    k = figs["knapsack"]
    assert k["mean"] == pytest.approx(statistics.fmean([1.03, 1.04]))
    assert k["std"] == pytest.approx(statistics.stdev([1.03, 1.04]))
    diffs = [0.04, 0.02, 0.03, 0.05]
    assert k["p_value"] == pytest.approx(float(sp.wilcoxon(diffs, alternative="greater").pvalue))
    assert (k["better"], k["same"], k["worse"]) == (4, 0, 0)
    s = figs["setcover"]
    assert (s["better"], s["same"], s["worse"]) == (0, 1, 3) and s["p_value"] > 0.5
    assert figs["all"]["pairs"] == 8


def test_unknown_target_or_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown target"):
        run_evolve_bench(targets=["nope"])
    with pytest.raises(ValueError, match="unknown mode"):
        run_evolve_bench(targets=["pbo-mixed"], modes=("fast",))


@pytest.mark.slow
def test_headroom_of_the_default_against_itself_at_the_same_budget_is_none(tmp_path) -> None:
    from heurevo.bench.evolve import Target, headroom

    tiny = Target("tiny", "pbo", "pbo-tiny", "pbo-tiny")
    figs = headroom(tiny, factor=1, seeds=2, work=tmp_path, budget_steps=500)
    assert set(figs) == {"setcover", "vertexcover"}
    for f in figs.values():  # the same steps and seeds: the same runs, so exactly no gain
        assert f["score_with_more_steps"] == 1.0 and f["pairs_better"] == 0.0
        assert f["instances"] == 2 and 0.0 <= f["instances_seeds_agree"] <= 1.0
