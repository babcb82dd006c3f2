"""The ``heurevo`` command line (typer + rich). Commands stay thin: they parse, call, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from heurevo import __version__
from heurevo import cli_compare as _compare_commands
from heurevo import cli_engine as _engine_commands
from heurevo.errors import HeurevoError
from heurevo.stop_signals import install_stop_signals

app = typer.Typer(
    name="heurevo",
    help="Discover heuristics for combinatorial solvers by evolution.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
bench_app = typer.Typer(help="Benchmarks: speed and quality against references, as ratios.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")

console = Console()
err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"heurevo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Discover heuristics for combinatorial solvers by evolution."""


@app.command()
def doctor(
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Settings TOML (default: $HEUREVO_SETTINGS or ./heurevo.toml).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Report Python, Numba, extras, the LLM endpoint and where runs are written."""
    from heurevo.config import load_settings
    from heurevo.doctor import collect

    checks = collect(load_settings(settings_file))
    if as_json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
        return
    table = Table(title=f"heurevo {__version__} doctor", show_lines=False)
    table.add_column("section", style="bold")
    table.add_column("check")
    table.add_column("", justify="center")
    table.add_column("detail", overflow="fold")
    marks = {True: "[green]ok[/]", False: "[red]no[/]", None: "[dim]·[/]"}
    for c in checks:
        table.add_row(c.section, c.name, marks[c.ok], c.detail)
    console.print(table)


@app.command()
def solve(
    instance: Annotated[Path, typer.Argument(help="Instance file: .opb, .wbo or .tsp.")],
    steps: Annotated[int | None, typer.Option("--steps", help="Budget in solver steps (flips for PBO, GLS iterations for TSP). Without --steps or --time: PBO 10 s, TSP 1 s per 100 cities (1-60 s).")] = None,
    time_s: Annotated[float | None, typer.Option("--time", help="Budget in seconds (with --steps, whichever ends first).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    heuristics: Annotated[Path | None, typer.Option("--heuristics", help="Python file overriding slot functions (e.g. from `heurevo export`).")] = None,
    tour_out: Annotated[Path | None, typer.Option("--tour-out", help="TSP: write the best tour to this .tour file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of solver output.")] = False,
) -> None:
    """Solve one instance with the default or given heuristics; the result is verified."""
    from heurevo.solvers.solve import SolveOptions, solve_file

    outcome = solve_file(instance, SolveOptions(steps=steps, time_s=time_s, seed=seed,
                                                heuristics=heuristics, tour_out=tour_out))
    if as_json:
        print(json.dumps(outcome.to_json()))
    else:
        sys.stdout.write(outcome.text if outcome.text.endswith("\n") else outcome.text + "\n")


@bench_app.command("pbo")
def bench_pbo(
    data: Annotated[Path | None, typer.Option("--data", help="Folder of .opb files (default: the shared PBO data, if present).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Flip budget per instance.")] = None,
    time_s: Annotated[float, typer.Option("--time", help="Seconds per instance (also the reference solvers' limit).")] = 10.0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Runs per instance (seeds --seed, --seed + 1, ...): adds the best and median objective over them.")] = 1,
    pattern: Annotated[str, typer.Option("--instances", help="Glob over file names.")] = "*.opb",
    references: Annotated[bool, typer.Option("--references/--no-references", help="Also run pyscipopt and CP-SAT when installed.")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Write the results as JSON here.")] = None,
) -> None:
    """PBO: flips/s and objective per instance vs NuPBO and reference solvers."""
    from heurevo.benchmarks.bench_pbo import run_pbo_bench

    run_pbo_bench(data=data, steps=steps, time_s=time_s, seed=seed, pattern=pattern,
                  references=references, out=out, console=console, seeds=seeds)


@bench_app.command("tsp")
def bench_tsp(
    data: Annotated[Path | None, typer.Option("--data", help="Folder of TSPLIB files (default: the shared TSPLIB data, if present).")] = None,
    time_per_100: Annotated[float, typer.Option("--time-per-100", help="TSPLIB: seconds per 100 cities.")] = 1.0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    pattern: Annotated[str, typer.Option("--instances", help="Glob over TSPLIB file names.")] = "*.tsp",
    literature: Annotated[bool, typer.Option("--literature/--no-literature", help="Also run the literature's TSP200 test set.")] = True,
    lkh: Annotated[bool, typer.Option("--lkh/--no-lkh", help="Add an LKH column when elkai is installed.")] = True,
    large: Annotated[int, typer.Option("--large", help="Cities of the timed greedy + local search run (0: skip).")] = 100_000,
    out: Annotated[Path | None, typer.Option("--out", help="Write the results as JSON here.")] = None,
) -> None:
    """TSP: gap to optimum on TSPLIB and on the literature's TSP200 set, time per instance."""
    from heurevo.benchmarks.bench_tsp import run_tsp_bench

    run_tsp_bench(data=data, time_per_100=time_per_100, seed=seed, pattern=pattern,
                  literature=literature, lkh=lkh, out=out, console=console, large=large)


@bench_app.command("pipeline")
def bench_pipeline(
    candidates: Annotated[int, typer.Option("--candidates", help="GP-written PBO candidates to evaluate.")] = 30,
    steps: Annotated[int, typer.Option("--steps", help="Flip budget per instance.")] = 20_000,
    workers: Annotated[int, typer.Option("--workers", help="Sandboxed workers for the throughput run.")] = 2,
    tsp_instances: Annotated[int, typer.Option("--tsp-instances", help="200-city instances for the EoH-style comparison.")] = 4,
    tsp_iterations: Annotated[int, typer.Option("--tsp-iterations", help="GLS iterations per instance in that comparison.")] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Pipeline: overhead per candidate, candidates/min, speed vs EoH-style evaluation."""
    from heurevo.benchmarks.bench_pipeline import run_pipeline_bench

    run_pipeline_bench(candidates=candidates, budget=steps, workers=workers,
                       tsp_instances=tsp_instances, tsp_iterations=tsp_iterations, seed=seed,
                       out=out, console=console)


@bench_app.command("evolve")
def bench_evolve(
    targets: Annotated[str, typer.Option("--targets", help="Comma-separated names of bench_evolve.TARGETS (pbo-knapsack, pbo-setcover, pbo-real, tsp-500, ...).")] = "pbo-knapsack,tsp-500",
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per target (different seeds).")] = 5,
    evaluations: Annotated[int, typer.Option("--evaluations", help="Evaluation budget per run.")] = 100,
    workers: Annotated[int, typer.Option("--workers", help="Sandboxed workers per run.")] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """GP evolution vs the default on held-out instances: mean ± std over seeds, engine overhead."""
    from heurevo.benchmarks.bench_evolve import run_evolve_bench

    run_evolve_bench(targets=[t.strip() for t in targets.split(",") if t.strip()], seeds=seeds,
                     evaluations=evaluations, workers=workers, out=out, console=console)


_engine_commands.register(app)
_compare_commands.register(app)


def main() -> None:
    """Entry point: run the app; a :class:`HeurevoError` prints one clear line and exits 2.

    SIGTERM (``timeout``, a cluster scheduler) stops as Ctrl-C does: the run is marked
    interrupted and its sandboxed workers are shut down instead of being orphaned; a process
    stuck in a compiled kernel is ended after a grace period (:mod:`heurevo.stop_signals`)."""
    install_stop_signals()
    try:
        app()
    except HeurevoError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)
