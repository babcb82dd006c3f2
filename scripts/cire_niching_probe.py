"""Would niching act at another behaviour scale? Re-clusters a run's stored pools, no evaluation.

Reads a finished run with clustering on (``run.sqlite``: each generation's pool in the
``clusters`` table, every train evaluation) and re-clusters each pool with the same embeddings
back-end at several ``behaviour_scale`` values (and with code features off). For each it prints
the mean clusters per pool, the largest cluster's share, and how many survivors niching would
keep that the fittest-first survival drops (0: niching changes nothing at that scale).

    PYTHONPATH=. python scripts/cire_niching_probe.py RUN_DIR [RUN_DIR ...] [--scales 0.02,0.05,0.1]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from pathlib import Path

from heurevo.engine.clustering import ClusteringConfig, best_per_cluster, cluster
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.populations.records import Member
from heurevo.populations.store import SQLiteStore
from heurevo.solvers.problem import get_problem

MU = 8  # the controller's default population size


def _niche_kept(pool: list[Member], labels: dict[str, int]) -> int:
    """Survivors the controller's niching keeps that plus-survival (the top ``MU``) drops."""
    from heurevo.engine.clustering import Clustering

    ranked = sorted(pool, key=lambda m: (-m.fitness, m.candidate.id))
    reps = [m for m in best_per_cluster(Clustering(0, labels), ranked) if m.fitness != float("-inf")]
    keep = reps[: max(1, (MU + 1) // 2)]
    ids = {m.candidate.id for m in keep}
    survivors = ids | {m.candidate.id for m in [m for m in ranked if m.candidate.id not in ids]
                       [: MU - len(keep)]}
    return len(survivors - {m.candidate.id for m in ranked[:MU]})


def main() -> None:
    """Print one line per scale (and code weight) over all given runs."""
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--scales", default="0.02,0.05,0.1,0.2")
    ap.add_argument("--backend", default="tfidf")
    args = ap.parse_args()
    pools = []
    for run in args.runs:
        store = SQLiteStore(run / "run.sqlite", create=False)
        results = {r.candidate_id: r for k, r in store.evaluations() if k.split("/")[1:2] == ["train"]}
        cands = {c.id: c for c in store.candidates()}
        for _, rec in store.cire_records("clusters"):
            ids = [m["candidate"] for ms in rec["clusters"].values() for m in ms]
            pool = [Member(cands[i], results[i]) for i in ids if i in cands and i in results]
            if len(pool) > MU:
                pools.append(pool)
        store.close()
    if not pools:
        raise SystemExit("no generation pool larger than the population in these runs")
    slots = get_problem(pools[0][0].candidate.problem).slots()
    index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend=args.backend)),  # type: ignore[arg-type]
                           {n: s.default_source for n, s in slots.items()}, None,
                           {n: s.extra["gp_hole"].template for n, s in slots.items() if "gp_hole" in s.extra})
    print(f"{len(pools)} pools of more than {MU} members from {len(args.runs)} run(s)")
    for code_weight in (1.0, 0.0):
        for scale in (float(s) for s in args.scales.split(",")):
            cfg = dataclasses.replace(ClusteringConfig(enabled=True), behaviour_scale=scale,
                                      code_weight=code_weight)
            n, share, kept = [], [], 0
            for pool in pools:
                c = cluster(pool, index, cfg, 0)
                n.append(len(c.sizes))
                share.append(c.largest_share)
                kept += _niche_kept(pool, c.labels)
            print(f"behaviour_scale {scale:<5g} code_weight {code_weight:g}: clusters "
                  f"{statistics.fmean(n):.1f} per pool of {statistics.fmean(len(p) for p in pools):.1f}, "
                  f"largest share {statistics.fmean(share):.2f}, niching keeps {kept} member(s) "
                  f"plus-survival drops ({kept / len(pools):.2f} per generation)")


if __name__ == "__main__":
    main()
