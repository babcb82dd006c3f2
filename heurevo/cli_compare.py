"""CLI commands that judge evolved heuristics on held-out instances: compare, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from heurevo.cli_engine import console, run_with_live_view
from heurevo.engine.compare import Comparison
from heurevo.errors import HeurevoError


def _fmt(value: float | None) -> str:
    if value is None:
        return "infeasible"
    return f"{value:.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.2f}"


def comparison_table(result: Comparison, title: str) -> Table:
    """Default vs evolved per held-out instance, with the mean score and the tally."""
    table = Table(title=title, caption=(
        f"mean of {result.seeds} seed(s), {result.budget_steps} steps per run, every solution "
        "verified; score > 1: the evolved set is better"))
    table.add_column("instance", no_wrap=True)
    table.add_column("default", justify="right")
    table.add_column("evolved", justify="right")
    table.add_column("score", justify="right")
    table.add_column("", justify="center")
    for r in result.rows:
        better = (r.default_objective is not None and r.evolved_objective is not None
                  and r.evolved_objective < r.default_objective)
        worse = (r.default_objective is not None and r.evolved_objective is not None
                 and r.evolved_objective > r.default_objective)
        mark = "[green]better[/]" if better else "[red]worse[/]" if worse else "[dim]same[/]"
        table.add_row(Path(r.instance).stem, _fmt(r.default_objective), _fmt(r.evolved_objective),
                      f"{r.score:.4f}", mark if r.verified else "[red]unverified[/]")
    wins, ties, losses = result.tally()
    table.add_section()
    table.add_row("[bold]mean score[/]", "", "", f"[bold]{result.mean_score:.4f}[/]",
                  f"{wins} better / {ties} same / {losses} worse")
    return table


def _compare_run(run_dir: Path, suite: str | None, seeds: int, workers: int | None) -> None:
    """Compare a run's reported best with the default on a held-out suite and print the table."""
    from heurevo.config import load_toml
    from heurevo.engine.compare import compare
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.session import CONFIG_FILE, run_best, suite_cache_dir
    from heurevo.populations.export import export_source
    from heurevo.solvers.problem import get_problem, problem_info

    cand = run_best(run_dir)[0]
    config = load_toml(RunConfig, run_dir / CONFIG_FILE)
    suite = suite or problem_info(config.problem).heldout_suite
    with console.status(f"solving {suite} with the default and the evolved heuristics..."):
        result = compare(cand, suite, suite_cache_dir(), run_dir / "work",
                         budget_steps=config.evaluation.budget_steps, seeds=seeds,
                         workers=workers or config.evaluation.workers,
                         timeout_s=config.evaluation.timeout_s)
    console.print(comparison_table(result, f"default vs evolved (candidate {cand.id}) on {suite}"))
    out = run_dir / "best.py"
    out.write_text(export_source(cand, get_problem(cand.problem).slots(),
                                 f"heurevo heuristics: candidate {cand.id} of run {run_dir.name}"),
                   encoding="utf-8")
    console.print(f"evolved heuristics: {out}  (heurevo solve INSTANCE --heuristics {out})")


def compare_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    suite: Annotated[str | None, typer.Option("--suite", help="Held-out suite name or folder (default: the problem's held-out suite).")] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per instance and side.")] = 3,
    workers: Annotated[int | None, typer.Option("--workers", help="Sandboxed worker processes.")] = None,
) -> None:
    """Default vs a run's best heuristics on held-out instances (verified, same step budget)."""
    _compare_run(run_dir, suite, seeds, workers)


def demo_command(
    problem: Annotated[str, typer.Option("--problem", help="A registered problem: pbo, tsp or a plug-in.")] = "pbo",
    evaluations: Annotated[int, typer.Option("--evaluations", help="Evaluation budget of the evolution.")] = 120,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per held-out instance and side.")] = 3,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run folder (default: runs/demo-<problem>-s<seed>; an existing one is resumed).")] = None,
) -> None:
    """The main job: a short offline GP evolution, then default vs evolved on held-out instances."""
    import dataclasses

    from heurevo.config import load_settings
    from heurevo.engine.run_config import BudgetConfig, RunConfig
    from heurevo.engine.session import STORE_FILE
    from heurevo.solvers.problem import PROBLEMS

    if problem not in PROBLEMS:
        raise HeurevoError(f"--problem: unknown problem '{problem}'; known: {', '.join(PROBLEMS.names())}")
    folder = run_dir or load_settings().runs_dir / f"demo-{problem}-s{seed}"
    resume = (folder / STORE_FILE).is_file()
    config = None if resume else RunConfig(
        problem=problem, seed=seed, proposer="gp",
        budget=dataclasses.replace(BudgetConfig(), evaluations=evaluations))
    console.rule(f"evolving {problem} heuristics by genetic programming "
                 f"({'resuming ' if resume else ''}{folder})")
    summary = run_with_live_view(config, folder, resume)
    if summary.stats.stopped_because.startswith("interrupted"):
        console.print(f"demo stopped before the held-out comparison; the same command resumes "
                      f"the run in {folder}")
        raise typer.Exit(130)
    console.rule("held-out comparison")
    _compare_run(folder, None, seeds, None)


def register(app: typer.Typer) -> None:
    """Add the compare and demo commands to the CLI."""
    app.command("compare")(compare_command)
    app.command("demo")(demo_command)
