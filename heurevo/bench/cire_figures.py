"""Figures a benchmark reads from a finished run about CIRE: the best-so-far curve and overheads."""

from __future__ import annotations

from typing import Any

from heurevo.engine.run import RunSummary
from heurevo.engine.session import Run


def train_curve(run: Run) -> list[float]:
    """Best train fitness after each train evaluation, in the order they were recorded."""
    best = float("-inf")
    curve = []
    for key, result in run.store.evaluations():
        if key.split("/")[1:2] != ["train"]:
            continue
        if result.ok and result.fitness is not None:
            best = max(best, result.fitness)
        curve.append(best)
    return curve


def cire_figures(run: Run, summary: RunSummary) -> dict[str, Any]:
    """The curve, evaluation seconds and the seconds CIRE spent (embedding, clustering)."""
    parts = run.cire
    embed_s = parts.index.seconds if parts and parts.index else 0.0
    cluster_s = parts.clusterer.seconds if parts and parts.clusterer else 0.0
    return {"curve": train_curve(run), "eval_s": summary.stats.eval_seconds,
            "embed_s": embed_s, "cluster_s": cluster_s,
            "embedded": parts.index.embedded if parts and parts.index else 0,
            "not_novel": summary.stats.not_novel, "generations": summary.stats.generation}
