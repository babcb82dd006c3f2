"""CLI commands that judge evolved heuristics on held-out instances: compare, demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from heurevo.cli_engine import console, run_with_live_view
from heurevo.errors import HeurevoError
from heurevo.solvers.problem import get_problem

if TYPE_CHECKING:  # the engine is imported by the commands that run it (start-up time)
    from heurevo.engine.compare import Comparison


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


def families_table(result: Comparison) -> Table:
    """Mean score per instance family with its 95% interval."""
    table = Table(title="per family (score > 1: the evolved set is better)")
    table.add_column("family")
    table.add_column("pairs", justify="right")
    table.add_column("mean score (95% interval)", justify="right")
    for name, ci in result.families().items():
        table.add_row(name, str(ci.n), f"{ci.mean:.4f} [{ci.low:.4f}, {ci.high:.4f}]")
    return table


def _compare_run(run_dir: Path, suite: str | None, seeds: int, workers: int | None,
                 as_json: bool = False) -> None:
    """Compare a run's reported best with the default on a held-out suite and print the result.

    When the run kept the default (nothing passed the validation guard), nothing is solved:
    the verdict line is printed and no file is presented as evolved.
    """
    import json

    from heurevo.config import load_toml
    from heurevo.engine.compare import compare, kept_default_summary
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.session import CONFIG_FILE, run_best
    from heurevo.populations.export import export_source, is_default
    from heurevo.populations.lineage import NO_GAIN_VERDICT
    from heurevo.solvers.problem import problem_info
    from heurevo.suites.catalog import build_suite, suite_cache_dir

    cand = run_best(run_dir)[0]
    config = load_toml(RunConfig, run_dir / CONFIG_FILE)
    suite = suite or problem_info(config.problem).heldout_suite
    slots = get_problem(cand.problem).slots()
    guarded = kept_default_run(run_dir)
    if guarded or is_default(cand, slots):
        names = [i.name for i in build_suite(suite, config.problem, suite_cache_dir()).instances]
        line = NO_GAIN_VERDICT if guarded else \
            "the run's best is the default heuristic; nothing evolved to compare"
        if as_json:
            print(json.dumps(kept_default_summary(names, line)))
        else:
            console.print(line)
        return
    ev = config.evaluation
    with console.status(f"solving {suite} with the default and the evolved heuristics..."):
        result = compare(cand, suite, suite_cache_dir(), run_dir / "work",
                         budget_steps=ev.budget_steps, seeds=seeds, workers=workers or ev.workers,
                         timeout_s=ev.timeout_s, method=ev.test, alpha=ev.alpha)
    out = run_dir / "best.py"
    out.write_text(export_source(cand, slots, f"heurevo heuristics: candidate {cand.id} of run "
                                              f"{run_dir.name}"), encoding="utf-8")
    if as_json:
        print(json.dumps(result.summary()))
        return
    console.print(comparison_table(result, f"default vs evolved (candidate {cand.id}) on {suite}"))
    console.print(families_table(result))
    console.print(f"verdict: {result.verdict()}")
    console.print(f"evolved heuristics: {out}  (heurevo solve INSTANCE --heuristics {out})")


def kept_default_run(run_dir: Path) -> bool:
    """True when the run in ``run_dir`` validated and kept the default."""
    from heurevo.engine.session import open_run_store
    from heurevo.populations.lineage import kept_default

    store = open_run_store(run_dir)
    try:
        return kept_default(store)
    finally:
        store.close()


def compare_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    suite: Annotated[str | None, typer.Option("--suite", help="Held-out suite name or folder (default: the problem's held-out suite).")] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per instance and side.")] = 3,
    workers: Annotated[int | None, typer.Option("--workers", help="Sandboxed worker processes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: mean_score, p_value, better, same, worse, families, verdict.")] = False,
) -> None:
    """Default vs a run's best heuristics on held-out instances (verified, same step budget)."""
    _compare_run(run_dir, suite, seeds, workers, as_json)


def demo_command(
    problem: Annotated[str, typer.Option("--problem", help="A registered problem: pbo, tsp or a plug-in.")] = "pbo",
    evaluations: Annotated[int | None, typer.Option("--evaluations", help="Evaluation budget of the evolution (default: the problem's demo setting, PBO and TSP 40).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per held-out instance and side.")] = 3,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run folder (default: runs/demo-<problem>-s<seed>; an existing one is resumed).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only one JSON object (progress goes to stderr): mean_score, p_value, better, same, worse, families, verdict.")] = False,
) -> None:
    """The main job: a short offline GP evolution, then default vs evolved on held-out instances."""
    import dataclasses
    import sys

    from heurevo.bench.demo_settings import DEMO
    from heurevo.config import load_settings
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.session import STORE_FILE
    from heurevo.solvers.problem import PROBLEMS

    if problem not in PROBLEMS:
        raise HeurevoError(f"--problem: unknown problem '{problem}'; known: {', '.join(PROBLEMS.names())}")
    if as_json:
        console.file = sys.stderr  # stdout carries exactly one JSON object
    folder = run_dir or load_settings().runs_dir / f"demo-{problem}-s{seed}"
    resume = (folder / STORE_FILE).is_file()
    settings = DEMO.get(problem)  # the measured demo settings (README: where evolution finds gains)
    config = None
    if not resume:
        config = settings.run_config(seed) if settings else RunConfig(problem=problem, seed=seed,
                                                                      proposer="gp")
        budget = evaluations or (settings.evaluations if settings else 120)
        config = dataclasses.replace(config, budget=dataclasses.replace(config.budget,
                                                                        evaluations=budget))
    console.rule(f"evolving {problem} heuristics by genetic programming "
                 f"({'resuming ' if resume else ''}{folder})")
    summary = run_with_live_view(config, folder, resume)
    if summary.stats.stopped_because.startswith("interrupted"):
        console.print(f"demo stopped before the held-out comparison; the same command resumes "
                      f"the run in {folder}")
        raise typer.Exit(130)
    console.rule("held-out comparison")
    _compare_run(folder, settings.heldout_suite if settings else None, seeds, None, as_json)


def register(app: typer.Typer) -> None:
    """Add the compare and demo commands to the CLI."""
    app.command("compare")(compare_command)
    app.command("demo")(demo_command)
