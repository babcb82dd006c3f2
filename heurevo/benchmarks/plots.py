"""Plots for leaderboards and runs (matplotlib, Agg backend): PNG/SVG files or data URIs for HTML.

- Dolan–Moré performance profiles of a leaderboard: for each entry, the fraction of instances on
  which its cost is within a factor ``tau`` of the best entry's (:func:`performance_profile`).
- Anytime curves of a leaderboard: each entry's median gap to the best known value against
  solver steps (a step-budget board: reproducible) or wall time (time budgets, reference
  solvers), with its interquartile band over instances and seeds, from the improvements every
  run recorded (:func:`anytime_curves`).
- Convergence of a run: best train fitness and validation fitness against evaluations, against
  solver steps, and against LLM tokens when the run called a model.
- The population map: every evaluated candidate by generation and train fitness, coloured by
  operator, with lines to its parents.
- The lineage tree of the best candidate: all its ancestors (every parent), one row per generation.
"""

from __future__ import annotations

import base64
import io
import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from heurevo.errors import HeurevoError
from heurevo.populations.lineage import ranked
from heurevo.populations.store import Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from heurevo.benchmarks.leaderboard import Leaderboard
    from heurevo.benchmarks.result_cache import RunResult

#: What an anytime curve is drawn against.
AnytimeAxis = Literal["seconds", "steps"]


def performance_profile(costs: Mapping[str, Sequence[float]], taus: Sequence[float]) -> dict[str, list[float]]:
    """Dolan–Moré profile: ``rho_s(tau)`` = share of instances with ``cost_s / min_s cost <= tau``.

    ``costs[s][p]`` is entry ``s``'s cost on instance ``p`` (lower is better, positive; ``inf``
    for a failure). An instance that every entry failed counts against all of them.
    """
    names = list(costs)
    n = {len(costs[s]) for s in names}
    if len(n) != 1:
        raise ValueError(f"every entry needs one cost per instance, got lengths {sorted(n)}")
    n_inst = n.pop()
    if n_inst == 0:
        return {s: [0.0 for _ in taus] for s in names}
    ratios: dict[str, list[float]] = {s: [] for s in names}
    for p in range(n_inst):
        values = [float(costs[s][p]) for s in names]
        if any(v <= 0 or math.isnan(v) for v in values):
            raise ValueError(f"costs must be positive (instance {p}: {values})")
        best = min(values)
        for s, v in zip(names, values, strict=True):
            ratios[s].append(v / best if math.isfinite(best) else math.inf)
    return {s: [sum(r <= tau for r in ratios[s]) / n_inst for tau in taus] for s in names}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise HeurevoError("plots need matplotlib: pip install 'heurevo[plot]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG or SVG (by the suffix) and close it."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path}: plots are written as .png or .svg")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def data_uri(fig: Figure) -> str:
    """``fig`` as a base64 PNG data URI (for self-contained HTML); closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --- leaderboards --------------------------------------------------------------------------
def board_costs(board: Leaderboard) -> dict[str, list[float]]:
    """Per entry and instance: the best known value's score over the entry's mean score (≥ 1)."""
    scores = board.scores
    out: dict[str, list[float]] = {}
    for e in board.spec.entries:
        row = []
        for inst in board.spec.instances:
            vals = [scores[(e.label, inst.name, s)] for s in board.seed_values]
            mean = sum(vals) / len(vals)
            row.append(1.0 / mean if mean > 0 else math.inf)
        out[e.label] = row
    return out


def profile_figure(board: Leaderboard, max_tau: float | None = None) -> Figure:
    """The performance profile of a leaderboard's entries (cost: 1 / mean score)."""
    costs = board_costs(board)
    best = [min(c[p] for c in costs.values()) for p in range(len(board.spec.instances))]
    finite = [c[p] / best[p] for c in costs.values() for p in range(len(best))
              if math.isfinite(c[p]) and math.isfinite(best[p])]
    top = max_tau or max(1.01, 1.0 + 1.05 * (max(finite, default=1.0) - 1.0))
    taus = [1.0 + (top - 1.0) * k / 200 for k in range(201)]
    prof = performance_profile(costs, taus)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, ys in prof.items():
        ax.step(taus, ys, where="post", label=label)
    ax.set_xlabel("τ (within a factor τ of the best entry's score)")
    ax.set_ylabel("fraction of instances")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"performance profile: {board.spec.suite}")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


#: Gap (percent) a run counts before its first solution, and the most any point counts.
GAP_CAP = 100.0


def gap_at(trace: Sequence[tuple[float, float]], t: float, best: float) -> float:
    """The gap (percent, capped at :data:`GAP_CAP`) of a trace's best objective by ``t`` (seconds or
    solver steps, as the trace's first field)."""
    from heurevo.benchmarks.leaderboard import gap_percent

    found = [v for secs, v in trace if secs <= t]
    return GAP_CAP if not found else min(GAP_CAP, gap_percent(min(found), best))


@dataclass(frozen=True)
class AnytimeCurve:
    """One entry's gap (percent) over its runs at each time: the median and the quartiles."""

    median: tuple[float, ...]
    low: tuple[float, ...]  # 25th percentile
    high: tuple[float, ...]  # 75th percentile


def _trace(result: RunResult, axis: AnytimeAxis) -> Sequence[tuple[float, float]]:
    return result.trace if axis == "seconds" else result.step_trace


def anytime_axis(board: Leaderboard) -> AnytimeAxis:
    """Solver steps for a step-budget board whose runs all kept step traces (reproducible), else
    wall seconds (time budgets, reference solvers)."""
    steps = board.spec.time_s is None and all(e.reference is None for e in board.spec.entries)
    if steps and all(r.result.step_trace for r in board.runs if r.result.solved):
        return "steps"
    return "seconds"


def anytime_curves(board: Leaderboard, times: Sequence[float],
                   axis: AnytimeAxis = "seconds") -> dict[str, AnytimeCurve]:
    """Per entry, the median and quartiles (linear interpolation) of its runs' gaps at each time
    (wall seconds, or solver steps with ``axis="steps"``).

    The gap is to each instance's best known value (the reference, or the best any entry found);
    a run with no verified solution counts :data:`GAP_CAP` throughout.
    """
    best: dict[str, float] = {n: r.value for n, r in board.references.items() if r.value is not None}
    for r in board.runs:
        if r.result.solved:
            best[r.instance] = min(best.get(r.instance, math.inf), float(r.result.objective))  # type: ignore[arg-type]
    out: dict[str, AnytimeCurve] = {}
    for e in board.spec.entries:
        runs = [r for r in board.runs if r.entry == e.label]
        traces = [(_trace(r.result, axis) if r.result.solved and r.instance in best else (),
                   best.get(r.instance, 0.0)) for r in runs]
        gaps = np.array([[gap_at(tr, t, b) for t in times] for tr, b in traces] or [[GAP_CAP] * len(times)])
        low, median, high = (tuple(float(v) for v in q) for q in np.percentile(gaps, [25, 50, 75], axis=0))
        out[e.label] = AnytimeCurve(median, low, high)
    return out


def anytime_figure(board: Leaderboard, points: int = 120) -> Figure:
    """Median gap to the best known value against solver steps (step budgets) or wall time, one
    line per entry with its interquartile band over instances and seeds (log axis)."""
    axis = anytime_axis(board)
    xs = [p[0] for r in board.runs for p in _trace(r.result, axis) if p[0] > 0]
    xs += [float(r.result.steps if axis == "steps" else r.result.seconds) for r in board.runs]
    xs = [x for x in xs if x > 0]
    floor = 1.0 if axis == "steps" else 1e-4
    lo, hi = (min(xs), max(xs)) if xs else (floor * 10, floor * 1e4)
    lo, hi = max(lo, floor), max(hi, lo * 10)
    times = [lo * (hi / lo) ** (k / (points - 1)) for k in range(points)]
    curves = anytime_curves(board, times, axis)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, curve in curves.items():
        (line,) = ax.step(times, curve.median, where="post", label=label)
        ax.fill_between(times, curve.low, curve.high, step="post", color=line.get_color(), alpha=0.18,
                        linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel("solver steps per run" if axis == "steps" else
                  "wall time per run (s; depends on the machine and its load)")
    ax.set_ylabel(f"gap to best known (%, cap {GAP_CAP:g})")
    ax.set_title(f"anytime: {board.spec.suite} (median, band: quartiles over instances × seeds)",
                 fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


# --- runs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Convergence:
    """A run's progress, one point per evaluation in the order they were recorded."""

    evaluations: tuple[int, ...]
    steps: tuple[int, ...]  # cumulative solver steps
    best_train: tuple[float | None, ...]  # best train fitness so far (None before the first)
    validation: tuple[tuple[int, float], ...]  # (evaluation number, validation fitness)
    tokens: tuple[int, ...]  # cumulative LLM tokens at each evaluation (empty: no LLM calls)


def convergence(store: Store, db_path: Path | None = None) -> Convergence:
    """Best train fitness so far, validation results and cumulative steps and tokens of a run.

    Tokens are aligned with evaluations by their timestamps in the run's SQLite file
    (``db_path``); without it, or without LLM calls, ``tokens`` is empty.
    """
    evals, steps, best, val = [], [], [], []
    total_steps, top = 0, None
    for k, (key, result) in enumerate(store.evaluations(), start=1):
        split = key.split("/")[1] if "/" in key else "train"
        total_steps += sum(r.steps for r in result.instances)
        if result.ok and result.fitness is not None:
            if split == "train":
                top = result.fitness if top is None else max(top, result.fitness)
            elif split == "validation":
                val.append((k, float(result.fitness)))
        evals.append(k)
        steps.append(total_steps)
        best.append(top)
    return Convergence(tuple(evals), tuple(steps), tuple(best), tuple(val),
                       _tokens_at_evaluations(db_path) if db_path else ())


def _tokens_at_evaluations(db_path: Path) -> tuple[int, ...]:
    """Cumulative LLM tokens spent before each evaluation was recorded (read-only query)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        calls = db.execute("SELECT created, prompt_tokens + completion_tokens FROM llm_calls"
                           " ORDER BY seq").fetchall()
        if not calls:
            return ()
        times = [t for (t,) in db.execute("SELECT created FROM evaluations ORDER BY seq")]
    finally:
        db.close()
    out, used, i = [], 0, 0
    for t in times:
        while i < len(calls) and calls[i][0] <= t:
            used += int(calls[i][1])
            i += 1
        out.append(used)
    return tuple(out)


def convergence_figure(conv: Convergence, title: str = "convergence") -> Figure:
    """Best train fitness and validation fitness against evaluations, steps (and tokens)."""
    plt = _pyplot()
    axes_x = [("evaluations", conv.evaluations), ("solver steps", conv.steps)]
    if conv.tokens:
        axes_x.append(("LLM tokens", conv.tokens))
    fig, axes = plt.subplots(1, len(axes_x), figsize=(4.2 * len(axes_x), 3.4), squeeze=False)
    for ax, (name, xs) in zip(axes[0], axes_x, strict=True):
        pts = [(x, y) for x, y in zip(xs, conv.best_train, strict=True) if y is not None]
        if pts:
            ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", label="best train")
        if conv.validation:
            vx = [xs[k - 1] for k, _ in conv.validation]
            ax.scatter(vx, [v for _, v in conv.validation], color="tab:red", marker="D", s=28,
                       label="validation", zorder=3)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--", label="default = 1")
        ax.set_xlabel(name)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("fitness (1.0 = default)")
    axes[0][0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title)
    return fig


def population_figure(store: Store) -> Figure:
    """Every evaluated candidate by generation and train fitness, by operator, with parent lines."""
    members = [m for m in ranked(store) if m.result.ok]
    pos = {m.candidate.id: (m.candidate.generation, m.fitness) for m in members}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for m in members:
        for parent in m.candidate.parents:
            if parent in pos:
                (x0, y0), (x1, y1) = pos[parent], pos[m.candidate.id]
                ax.plot([x0, x1], [y0, y1], color="lightgrey", lw=0.6, zorder=1)
    ops = sorted({m.candidate.operator for m in members})
    for op in ops:
        pts = [pos[m.candidate.id] for m in members if m.candidate.operator == op]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, label=op, zorder=2)
    ax.set_xlabel("generation")
    ax.set_ylabel("train fitness (1.0 = default)")
    ax.set_title("population: every evaluated candidate")
    if ops:
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return fig


def lineage_figure(store: Store, candidate_id: str, limit: int = 40) -> Figure:
    """The ancestry of ``candidate_id`` (every parent, up to ``limit`` candidates)."""
    fitness = {m.candidate.id: m.fitness for m in ranked(store)}
    nodes, frontier = {}, [candidate_id]
    while frontier and len(nodes) < limit:
        cid = frontier.pop(0)
        cand = store.candidate(cid)
        if cand is None or cid in nodes:
            continue
        nodes[cid] = cand
        frontier += list(cand.parents)
    rows: dict[int, list[str]] = {}
    for cid, cand in nodes.items():
        rows.setdefault(cand.generation, []).append(cid)
    xy = {cid: (i - (len(ids) - 1) / 2, gen) for gen, ids in rows.items() for i, cid in enumerate(sorted(ids))}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 1.2 + 0.8 * len(rows)))
    for cid, cand in nodes.items():
        for parent in cand.parents:
            if parent in xy:
                ax.annotate("", xy=xy[cid], xytext=xy[parent],
                            arrowprops={"arrowstyle": "->", "color": "grey", "lw": 0.8})
    for cid, (x, y) in xy.items():
        fit = fitness.get(cid)
        label = f"{cid[:6]}\n{nodes[cid].operator}\n{'—' if fit is None or fit == -math.inf else f'{fit:.3f}'}"
        ax.text(x, y, label, ha="center", va="center", fontsize=7,
                bbox={"boxstyle": "round", "fc": "gold" if cid == candidate_id else "white", "ec": "grey"})
    ax.set_xlim(min((p[0] for p in xy.values()), default=0) - 1, max((p[0] for p in xy.values()), default=0) + 1)
    ax.set_ylim(max(rows, default=0) + 0.7, min(rows, default=0) - 0.7)
    ax.set_ylabel("generation")
    ax.set_xticks([])
    ax.set_title(f"lineage of {candidate_id}")
    return fig
