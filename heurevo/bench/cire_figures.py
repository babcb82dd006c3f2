"""Figures a benchmark reads from a finished run about CIRE: the best-so-far curve, overheads,
and what the clustering did (clusters per generation, members niching kept that plus-survival
would have dropped)."""

from __future__ import annotations

from typing import Any

from heurevo.engine.run import RunSummary
from heurevo.engine.session import Run
from heurevo.populations.store import Store


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


def niching_figures(store: Store) -> dict[str, Any]:
    """From the stored clusters: per generation the clusters, the largest cluster's share, and
    the survivors niching kept that the fittest-first (plus) survival would have dropped."""
    fitness = {r.candidate_id: r.fitness if r.ok and r.fitness is not None else float("-inf")
               for k, r in store.evaluations() if k.split("/")[1:2] == ["train"]}
    rows = []
    for generation, rec in store.cire_records("clusters"):
        labels = {m["candidate"]: int(c) for c, ms in rec["clusters"].items() for m in ms}
        survivors = set(rec.get("survivors", []))
        ranked = sorted(labels, key=lambda c: (-fitness.get(c, float("-inf")), c))
        sizes = [len(ms) for ms in rec["clusters"].values()]
        rows.append({"generation": generation, "pool": len(labels), "clusters": len(sizes),
                     "largest_share": max(sizes) / len(labels) if labels else 0.0,
                     "niche_kept": len(survivors - set(ranked[:len(survivors)]))})
    return {"per_generation": rows, "niche_kept": sum(r["niche_kept"] for r in rows),
            "mean_clusters": sum(r["clusters"] for r in rows) / len(rows) if rows else 0.0}


def cire_figures(run: Run, summary: RunSummary) -> dict[str, Any]:
    """The curve, evaluation seconds and the seconds CIRE spent (embedding, clustering)."""
    parts = run.cire
    embed_s = parts.index.seconds if parts and parts.index else 0.0
    cluster_s = parts.clusterer.seconds if parts and parts.clusterer else 0.0
    return {"curve": train_curve(run), "eval_s": summary.stats.eval_seconds,
            "embed_s": embed_s, "cluster_s": cluster_s,
            "embedded": parts.index.embedded if parts and parts.index else 0,
            "not_novel": summary.stats.not_novel, "generations": summary.stats.generation,
            "niching": niching_figures(run.store),
            "behaviour_duplicates": sum(d["kind"] == "behaviour"
                                        for _, d in run.store.cire_records("novelty"))}
