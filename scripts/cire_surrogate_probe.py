"""How accurate would the surrogate have been on finished runs? A replay, no evaluation.

For each run folder (``run.sqlite``), the candidates are fed generation by generation through
:class:`~heurevo.engine.surrogate.Surrogate` exactly as a run does (``prepare`` with the
generation, ``check`` each, then ``admit`` each with the result it really got), and its logged
predictions are summarised as ``heurevo show`` does: mean absolute error, Spearman's rho, and how
many candidates it would have screened (with how many of those were really in the bottom
quantile, since a replay knows their fitness).

    PYTHONPATH=. python scripts/cire_surrogate_probe.py RUN_DIR [RUN_DIR ...] [--min-train 16]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.engine.surrogate import Surrogate, SurrogateConfig, accuracy
from heurevo.populations.records import Member
from heurevo.populations.store import MemoryStore, SQLiteStore
from heurevo.solvers.problem import get_problem


def main() -> None:
    """Print one line per run and the total."""
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--min-train", type=int, default=16)
    ap.add_argument("--quantile", type=float, default=0.1)
    ap.add_argument("--backend", default="tfidf")
    args = ap.parse_args()
    for run in args.runs:
        db = SQLiteStore(run / "run.sqlite", create=False)
        results = {r.candidate_id: r for k, r in db.evaluations() if k.split("/")[1:2] == ["train"]}
        members = [Member(c, results[c.id]) for c in db.candidates() if c.id in results]
        db.close()
        slots = get_problem(members[0].candidate.problem).slots()
        index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend=args.backend)),  # type: ignore[arg-type]
                               {n: s.default_source for n, s in slots.items()}, None,
                               {n: s.extra["gp_hole"].template for n, s in slots.items()
                                if "gp_hole" in s.extra})
        log = MemoryStore()
        sur = Surrogate(SurrogateConfig(enabled=True, min_train=args.min_train,
                                        screen_quantile=args.quantile), index, log)
        rightly = 0
        seen: list[float] = []
        for g in sorted({m.candidate.generation for m in members}):
            gen = [m for m in members if m.candidate.generation == g]
            sur.prepare([m.candidate for m in gen])
            cut = float(np.quantile(seen, args.quantile)) if seen else float("-inf")
            for m in gen:
                if sur.check(m.candidate) is not None and m.fitness <= cut:
                    rightly += 1
            for m in gen:
                sur.admit(m)
                seen.append(m.fitness)
        acc = accuracy(log)
        if not acc:
            print(f"{run.name}: {len(members)} candidates, never enough to predict")
            continue
        rho = "—" if acc["spearman"] is None else f"{acc['spearman']:.2f}"
        print(f"{run.name}: {acc['predictions']} predictions, MAE {acc['mae']:.4f}, Spearman {rho}; "
              f"would screen {acc['screened']} ({rightly} really in the bottom {args.quantile:.0%})")


if __name__ == "__main__":
    main()
