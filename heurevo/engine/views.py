"""Rich renderings of runs: the live view of ``evolve`` and the report of ``show``."""

from __future__ import annotations

import time

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from heurevo.engine.run import Budgets, RunStats
from heurevo.populations.lineage import best_candidate, kept_default, lineage, ranked, verdict
from heurevo.populations.store import Store


def _fmt(x: float | None, digits: int = 4) -> str:
    return "—" if x is None or x == float("-inf") else f"{x:.{digits}f}"


def effect_text(metrics: dict[str, float], versus: str = "default") -> str:
    """``+0.0123 [+0.0040, +0.0206]``: a recorded paired effect with its interval, or a dash."""
    key = f"effect_vs_{versus}"
    if key not in metrics:
        return "—"
    return (f"{metrics[key]:+.4f} [{metrics[key + '_low']:+.4f}, "
            f"{metrics[key + '_high']:+.4f}]")


def _steps(metrics: dict[str, float]) -> str:
    return f"{metrics['solver_steps']:.0f}" if "solver_steps" in metrics else "—"


def live_panel(stats: RunStats, budgets: Budgets, now: float | None = None) -> Panel:
    """The live view: generation, best fitness, throughput, failures, budget left."""
    now = time.monotonic() if now is None else now
    elapsed = max(1e-9, now - stats.started)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("generation", str(stats.generation))
    table.add_row("best train fitness", f"{_fmt(stats.best_fitness)}  ({stats.best_id or '—'})")
    rate = 60.0 * (stats.evaluations - stats.reused) / elapsed
    table.add_row("evaluations", f"{stats.evaluations} ({stats.reused} reused from the store), {rate:.1f}/min")
    fails = {k: v for k, v in stats.statuses.items() if k != "ok"}
    table.add_row("failures", ", ".join(f"{k} {v}" for k, v in sorted(fails.items())) or "none")
    table.add_row("proposals", f"{stats.proposals} ({stats.proposal_failures} failed, "
                               f"{stats.duplicates} duplicates of earlier code)")
    left = []
    if budgets.evaluations is not None:
        left.append(f"{budgets.evaluations - stats.evaluations} evaluations")
    if budgets.wall_time_s is not None:
        left.append(f"{max(0.0, budgets.wall_time_s - elapsed):.0f} s")
    table.add_row("budget left", ", ".join(left) or "unlimited")
    table.add_row("elapsed", f"{elapsed:.1f} s (engine {100 * stats.engine_seconds / elapsed:.1f}%, "
                             "the rest evaluation)")
    return Panel(table, title="heurevo evolve", expand=False)


def llm_outcome_totals(store: Store) -> dict[str, int]:
    """Model answers by outcome (from ``llm_outcome`` events) plus ``repair_rounds``; {} if none."""
    events = store.events("llm_outcome")
    if not events:
        return {}
    totals = {"repair_rounds": sum(bool(e.data.get("repair")) for e in events)}
    for e in events:
        key = str(e.data.get("outcome"))
        totals[key] = totals.get(key, 0) + 1
    return totals


def run_report(store: Store, top: int = 5) -> Group:
    """``heurevo show``: summary, top candidates, lineage of the best (candidate text is literal)."""
    info = store.run_info()
    evals = store.evaluations()
    statuses: dict[str, int] = {}
    for _, r in evals:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    if info:
        head.add_row("run", f"{info.run_id} (seed {info.seed}, {info.status})")
    head.add_row("candidates", str(len(store.candidates())))
    head.add_row("evaluations", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "none")
    llm = llm_outcome_totals(store)
    if llm:
        repairs = llm.pop("repair_rounds")
        calls = store.llm_calls()
        tokens = sum(c.prompt_tokens + c.completion_tokens for c in calls)
        head.add_row("llm answers", ", ".join(f"{k} {v}" for k, v in sorted(llm.items()))
                     + f"; repair rounds {repairs}; {len(calls)} calls, {tokens} tokens")
    stops = store.events("stop")
    if stops:
        head.add_row("stopped", Text(str(stops[-1].data.get("reason", ""))))
    parts: list[object] = [Panel(head, title="run", expand=False)]

    best = best_candidate(store)
    kept = kept_default(store)
    order = ranked(store)
    rows = order[:top]
    if best and top > 0 and all(r.candidate.id != best[0].id for r in rows):
        # fitnesses tie (or validation picked another): the reported best is always listed
        rows = [*rows[: top - 1], *(r for r in order if r.candidate.id == best[0].id)]
    t = Table(title=f"top {top} candidates (train)", caption=(
        "effect: mean paired score difference vs the default on the same instances and seeds, "
        "95% interval; raced: stopped early (significantly worse than the incumbent, or identical to it "
        "on the first block)"))
    for col in ("id", "fitness", "effect vs default", "steps", "status", "operator", "gen", "idea"):
        t.add_column(col, overflow="fold")
    for r in rows:
        m = r.result.metrics
        mark = " (reported best)" if best and r.candidate.id == best[0].id else ""
        status = r.result.status.value + (" (raced)" if m.get("raced_out") else "")
        t.add_row(r.candidate.id + mark, _fmt(r.fitness), effect_text(m), _steps(m), status,
                  r.candidate.operator, str(r.candidate.generation), Text((r.candidate.idea or "")[:80]))
    parts.append(t)

    if best:
        cand, _, val = best
        b = Table(title="reported best: the default heuristic (kept)" if kept
                  else "best candidate and its lineage (newest first)")
        for col in ("id", "operator", "gen", "train fitness", "idea"):
            b.add_column(col, overflow="fold")
        train_fit = {r.candidate.id: r.fitness for r in ranked(store)}
        for c in lineage(store, cand.id):
            b.add_row(c.id, c.operator, str(c.generation), _fmt(train_fit.get(c.id)), Text((c.idea or "")[:80]))
        parts.append(b)
        if val is not None and not kept:
            parts.append(f"validation fitness of the best: {_fmt(val.fitness)} "
                         f"(1.0 = the default heuristic)")
    line = verdict(store)
    if line:
        parts.append(f"verdict: {line}")
    return Group(*parts)
