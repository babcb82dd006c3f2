"""Time per embedded candidate for both embedding back-ends, in one invocation.

Takes the candidates of a run folder (``run.sqlite``), and embeds them generation by generation
(a batch of ``--batch`` new candidates per call, as the run's clustering does) with MiniLM and
with TF-IDF; prints milliseconds per candidate and per batch (imports, model load and a
warm-up call are reported apart).

    PYTHONPATH=. python scripts/cire_embed_cost.py RUN_DIR [--batch 8]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder, minilm_path
from heurevo.populations.store import SQLiteStore
from heurevo.solvers.problem import get_problem


def main() -> None:
    """Print the comparison."""
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    store = SQLiteStore(args.run / "run.sqlite")
    cands = store.candidates()
    store.close()
    slots = get_problem(cands[0].problem).slots()
    defaults = {n: s.default_source for n, s in slots.items()}
    templates = {n: s.extra["gp_hole"].template for n, s in slots.items() if "gp_hole" in s.extra}
    backends = ["tfidf"] + (["minilm"] if minilm_path() else [])
    for backend in backends:
        t0 = time.perf_counter()
        emb = make_embedder(EmbeddingConfig(backend=backend))  # type: ignore[arg-type]
        make_embedder(EmbeddingConfig(backend=backend)).embed(["def warm(a):\n    return a\n"] * 3)
        load = time.perf_counter() - t0  # imports, model load and the first call's warm-up
        index = EmbeddingIndex(emb, defaults, None, templates)
        seen = []
        batches = 0
        t0 = time.perf_counter()
        for i in range(0, len(cands), args.batch):
            seen += cands[i:i + args.batch]
            index.vectors(seen)  # the whole population so far, as clustering asks
            batches += 1
        spent = time.perf_counter() - t0
        print(f"{backend:7s} load {load:6.2f} s; {len(cands)} candidates in {batches} batches: "
              f"{1000 * spent / len(cands):.1f} ms per candidate, {1000 * spent / batches:.1f} ms "
              f"per batch ({index.embedded} texts embedded)")


if __name__ == "__main__":
    main()
