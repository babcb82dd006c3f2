"""CIRE's cost per generation against evaluation time, for both embedding back-ends, in one invocation.

Replays a finished run folder (``run.sqlite``) generation by generation as a run with novelty
and clustering does: the generation's new candidates are embedded together with the archive of
earlier ones (``batch``: one model call, what the run loop's ``prepare`` hook does; ``one``: one
call per candidate, as the novelty check did before), then the generation's members are
clustered. For MiniLM and TF-IDF it prints milliseconds per candidate, the model calls, and the
embedding + clustering seconds per generation as a share of the generation's evaluation seconds
(summed over workers, as the run's statistics count them; imports, model load and a warm-up call
are reported apart).

    PYTHONPATH=. python scripts/cire_embed_cost.py RUN_DIR [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from heurevo.engine.clustering import ClusteringConfig, cluster
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder, minilm_path
from heurevo.populations.records import Candidate, EvaluationResult, Member
from heurevo.populations.store import SQLiteStore
from heurevo.solvers.problem import get_problem


def _load(run: Path) -> tuple[list[Candidate], dict[str, EvaluationResult]]:
    store = SQLiteStore(run / "run.sqlite", create=False)
    try:
        cands = store.candidates()
        results = {r.candidate_id: r for k, r in store.evaluations() if k.split("/")[1:2] == ["train"]}
    finally:
        store.close()
    return [c for c in cands if c.id in results], results


def replay(index: EmbeddingIndex, cands: list[Candidate], results: dict[str, EvaluationResult],
           batch: bool) -> tuple[float, list[float]]:
    """Seconds spent in all, and per generation the CIRE seconds over the evaluation seconds."""
    generations = sorted({c.generation for c in cands})
    archive: list[Candidate] = []
    shares = []
    t_all = time.perf_counter()
    for g in generations:
        new = [c for c in cands if c.generation == g]
        t0 = time.perf_counter()
        if archive and batch:
            index.vectors([*new, *archive])
        elif archive:
            for c in new:
                index.vectors([c, *archive])
        archive += new
        members = [Member(c, results[c.id]) for c in archive[-16:]]  # pool: population + offspring
        cluster(members, index, ClusteringConfig(enabled=True), g)
        spent = time.perf_counter() - t0
        eval_s = sum(results[c.id].seconds for c in new)
        if g > 0 and eval_s > 0:  # generation 0 is the seeded defaults (no novelty check)
            shares.append(spent / eval_s)
    return time.perf_counter() - t_all, shares


def main() -> None:
    """Print the comparison."""
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--repeat", type=int, default=3, help="replays per back-end and mode (median)")
    args = ap.parse_args()
    cands, results = _load(args.run)
    slots = get_problem(cands[0].problem).slots()
    defaults = {n: s.default_source for n, s in slots.items()}
    templates = {n: s.extra["gp_hole"].template for n, s in slots.items() if "gp_hole" in s.extra}
    n_gen = len({c.generation for c in cands})
    print(f"{args.run}: {len(cands)} candidates in {n_gen} generations, evaluation "
          f"{sum(r.seconds for r in results.values()):.1f} s summed over workers")
    for backend in ["tfidf"] + (["minilm"] if minilm_path() else []):
        t0 = time.perf_counter()
        emb = make_embedder(EmbeddingConfig(backend=backend))  # type: ignore[arg-type]
        emb.embed(["def warm(a):\n    return a\n"] * 3)
        load = time.perf_counter() - t0
        for mode in ("one", "batch"):
            runs = []
            for _ in range(args.repeat):
                index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend=backend)),  # type: ignore[arg-type]
                                       defaults, None, templates)
                spent, shares = replay(index, cands, results, mode == "batch")
                runs.append((spent, shares, index.calls))
            spent, shares, calls = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
            print(f"{backend:6s} {mode:5s} load {load:5.2f} s | {1000 * spent / len(cands):6.1f} ms per "
                  f"candidate | {calls} model calls | embedding + clustering per generation: mean "
                  f"{100 * statistics.fmean(shares):.2f}%, max {100 * max(shares):.2f}% of its "
                  "evaluation time")


if __name__ == "__main__":
    main()
