"""``heurevo bench evolve --ablate clustering,novelty,...``: CIRE's components against the plain engine.

Each comma-separated item of ``--ablate`` is one variant: a component alone (``clustering``) or
several together (``clustering+novelty``). For each target and seed, the plain engine and every
variant evolve with the GP proposer under the same evaluation budget; every run's reported best solves the held-out suite under that seed.
Reported per variant: held-out quality (mean ± std over seeds), the paired difference against
the plain engine with a one-sided Wilcoxon p-value (variant better), the evaluations the variant
needed to reach the plain run's final train best (a fixed-budget proxy for "fewer evaluations"),
CIRE's time (embedding, clustering) against evaluation time, with the time per embedded
candidate, and what clustering did: mean clusters per generation and the survivors niching kept
that fittest-first survival would have dropped (0 = niching changed nothing), and the evaluations
spent on behavioural duplicates (code that differs from an earlier candidate's but scored the
same on every instance: what the embedding test cannot catch before evaluation). With ``--out FILE``, every finished run is also appended to ``FILE.runs.jsonl`` as it
ends, so an ablation stopped early keeps its runs.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from heurevo.bench.evolve import TARGETS, Target, _evolve_once
from heurevo.engine.cire import COMPONENTS, CireConfig
from heurevo.engine.clustering import ClusteringConfig
from heurevo.engine.embeddings import EmbeddingConfig
from heurevo.engine.novelty import NoveltyConfig
from heurevo.errors import HeurevoError
from heurevo.stats import mean_ci, paired_test

#: The evolve targets, plus a TSP target small enough for an ablation's many runs on 2 cores
#: (8 training and 8 held-out 100-city instances; a 500-city run costs about 20x more).
ABLATION_TARGETS = {**TARGETS, "tsp-100": Target("tsp-100", "tsp", "tsp-uniform-small",
                                                 "tsp-uniform-heldout", ("penalize_edges",))}


def variants(items: list[str], backend: str, notebook_dir: Path) -> dict[str, CireConfig]:
    """The plain engine and one variant per item ("a" alone, "a+b" together)."""
    groups = [[c.strip() for c in item.split("+") if c.strip()] for item in items]
    unknown = [c for g in groups for c in g if c not in COMPONENTS]
    if unknown or not groups:
        raise HeurevoError(f"--ablate: unknown component(s) {unknown}; known: {', '.join(COMPONENTS)}")
    base = CireConfig(embedding=EmbeddingConfig(backend=backend),  # type: ignore[arg-type]
                      clustering=ClusteringConfig(), novelty=NoveltyConfig())
    base = dataclasses.replace(base, notebook=dataclasses.replace(
        base.notebook, path=str(notebook_dir / "notes.sqlite")))
    out = {"plain": CireConfig()}
    for group in groups:
        cfg = base.with_components(set(group))
        if "notebook" in group:  # each variant its own notebook, shared by its seeds in order
            name = "+".join(group)
            cfg = dataclasses.replace(cfg, notebook=dataclasses.replace(
                cfg.notebook, path=str(notebook_dir / f"notes-{name}.sqlite")))
        out["+".join(group)] = cfg
    return out


def evaluations_to_reach(curve: list[float], target: float) -> int | None:
    """The first evaluation count at which ``curve`` reaches ``target`` (None if never)."""
    for i, best in enumerate(curve, start=1):
        if best >= target - 1e-12:
            return i
    return None


def run_ablation(*, targets: list[str], components: list[str], seeds: int = 5,
                 evaluations: int = 100, workers: int = 2, backend: str = "auto",
                 out: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """Run every variant of every target over ``seeds`` seeds; print and return the figures."""
    console = console or Console()
    unknown = [t for t in targets if t not in ABLATION_TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; known: {', '.join(ABLATION_TARGETS)}")
    figures: dict[str, Any] = {}
    table = Table(title=f"CIRE ablation, GP, {evaluations} evaluations per run, {seeds} seeds")
    for col in ("target", "variant", "held-out", "vs plain", "p (better)", "evals to plain's best",
                "CIRE time / eval time", "ms per embedded", "clusters, niche-kept, same-behaviour"):
        table.add_column(col, justify="left" if col in ("target", "variant") else "right")
    with tempfile.TemporaryDirectory(prefix="heurevo-bench-ablate-") as tmp:
        work = Path(tmp)
        for name in targets:
            target = ABLATION_TARGETS[name]
            per_variant: dict[str, list[dict[str, Any]]] = {}
            for label, cfg in variants(components, backend, work).items():
                runs = []
                for seed in range(1, seeds + 1):
                    with console.status(f"{name} {label}: seed {seed}/{seeds}..."):
                        runs.append(_evolve_once(target, seed, evaluations, workers, True, work,
                                                 cire=cfg, label=f"-{label}"))
                    if out is not None:  # each finished run at once: a long ablation keeps its runs
                        with out.with_suffix(".runs.jsonl").open("a") as f:
                            f.write(json.dumps({"target": name, "variant": label, **runs[-1]},
                                               default=str) + "\n")
                per_variant[label] = runs
            figures[name] = _summarise(target, per_variant, table)
    console.print(table)
    console.print("held-out: mean score over seeds against the default's mean objective (1.0); "
                  "p: one-sided paired Wilcoxon over seeds; evals to plain's best: mean "
                  "evaluations until the run's train best reached the plain run's final train "
                  "best with the same seed (never = counted as the budget; 'k/n reached')")
    if out is not None:
        out.write_text(json.dumps(figures, indent=2, default=str))
    return figures


def _heldout(runs: list[dict[str, Any]]) -> list[float]:
    """Per run: the evolved set's mean held-out score against the default on the same seeds."""
    return [statistics.fmean(score for _, score, _ in run["pairs"]) for run in runs]


def _summarise(target: Any, per_variant: dict[str, list[dict[str, Any]]], table: Table) -> dict[str, Any]:
    plain = per_variant["plain"]
    plain_q = _heldout(plain)
    out: dict[str, Any] = {}
    for label, runs in per_variant.items():
        q = _heldout(runs)
        ci = mean_ci(q)
        m, s = ci.mean, ci.std
        reach = [evaluations_to_reach(r["curve"], p["curve"][-1]) for r, p in zip(runs, plain, strict=True)]
        budget = max(len(r["curve"]) for r in runs)
        reached = [x for x in reach if x is not None]
        mean_reach = statistics.fmean(x if x is not None else budget for x in reach)
        cire_s = sum(r["embed_s"] + r["cluster_s"] for r in runs)
        eval_s = sum(r["eval_s"] for r in runs)
        embedded = sum(r["embedded"] for r in runs)
        test = paired_test(q, plain_q) if label != "plain" else None
        out[label] = {"heldout": q, "mean": m, "std": s, "reach": reach, "p_better": test.p_value
                      if test else None, "cire_s": cire_s, "eval_s": eval_s,
                      "embed_s": sum(r["embed_s"] for r in runs), "embed_calls": embedded,
                      "not_novel": sum(r["not_novel"] for r in runs),
                      "niche_kept": sum(r["niching"]["niche_kept"] for r in runs),
                      "behaviour_duplicates": sum(r["behaviour_duplicates"] for r in runs),
                      "runs": runs}
        clusters = [r["niching"]["mean_clusters"] for r in runs if r["niching"]["per_generation"]]
        table.add_row(target.name, label, f"{m:.4f} ± {s:.4f}",
                      f"{statistics.fmean(q) - statistics.fmean(plain_q):+.4f}",
                      f"{test.p_value:.3f}" if test else "—",
                      f"{mean_reach:.0f} ({len(reached)}/{len(reach)} reached)",
                      f"{100 * cire_s / eval_s:.2f}%" if eval_s else "—",
                      f"{1000 * out[label]['embed_s'] / max(1, embedded):.1f}" if embedded else "—",
                      f"{statistics.fmean(clusters):.1f}, {out[label]['niche_kept']}, "
                      f"{out[label]['behaviour_duplicates']}" if clusters else "—")
    return out
