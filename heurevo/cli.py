"""The ``heurevo`` command line (typer + rich). Commands stay thin: they parse, call, print."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from heurevo import __version__
from heurevo import cli_compare as _compare_commands
from heurevo import cli_engine as _engine_commands
from heurevo import cli_reports as _report_commands
from heurevo.console import is_terminal, make_console, print_error
from heurevo.errors import HeurevoError
from heurevo.stop_signals import install_stop_signals, interrupt_status

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

console = make_console()

#: Exit statuses of every command (documented in the README).
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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
    trust: Annotated[bool, typer.Option("--trust", help="Run the --heuristics file unchecked in this process (default: static checks, then a sandboxed worker).")] = False,
    lower_bound: Annotated[int | None, typer.Option("--lower-bound", help="PBO: a bound the objective cannot pass (min: lower, max: upper); the search stops on reaching it. Default: a proved optimum in optima.csv beside the file.")] = None,
) -> None:
    """Solve one instance with the default or given heuristics; the result is verified."""
    from heurevo.engine.checked_solve import solve_checked
    from heurevo.solvers.solve import SolveOptions

    if trust and heuristics is not None:
        sys.stderr.write(f"note: --trust: {heuristics} runs unchecked and unsandboxed in this process\n")
    outcome = solve_checked(instance, SolveOptions(steps=steps, time_s=time_s, seed=seed,
                                                   heuristics=heuristics, tour_out=tour_out,
                                                   lower_bound=lower_bound),
                            trust=trust)
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
    nupbo: Annotated[Path | None, typer.Option("--nupbo", help="A NuPBO binary to run side by side (same instances, seed and time limit); without it there is no NuPBO column and the bench prints how to build one.")] = None,
) -> None:
    """PBO: flips/s and objective per instance, side by side with NuPBO and reference solvers."""
    from heurevo.bench.pbo import run_pbo_bench

    try:
        run_pbo_bench(data=data, steps=steps, time_s=time_s, seed=seed, pattern=pattern,
                      references=references, out=out, console=console, seeds=seeds, nupbo=nupbo)
    except ValueError as exc:
        raise HeurevoError(f"bench pbo: {exc}") from None


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
    optima: Annotated[Path | None, typer.Option("--optima", help="CSV name,optimal_length keyed by file name or NAME (default: optima.csv in the data folder).")] = None,
) -> None:
    """TSP: gap to optimum on TSPLIB and on the literature's TSP200 set, time per instance."""
    from heurevo.bench.tsp import run_tsp_bench

    if optima is not None and not optima.is_file():
        raise HeurevoError(f"--optima {optima}: no such file")
    run_tsp_bench(data=data, time_per_100=time_per_100, seed=seed, pattern=pattern,
                  literature=literature, lkh=lkh, out=out, console=console, large=large,
                  optima=optima)


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
    from heurevo.bench.pipeline import run_pipeline_bench

    run_pipeline_bench(candidates=candidates, budget=steps, workers=workers,
                       tsp_instances=tsp_instances, tsp_iterations=tsp_iterations, seed=seed,
                       out=out, console=console)


@bench_app.command("scale")
def bench_scale(
    candidates: Annotated[int, typer.Option("--candidates", help="GP-written PBO candidates in the fixed workload.")] = 8,
    suite: Annotated[str, typer.Option("--suite", help="PBO suite every candidate runs in full.")] = "pbo-tiny",
    steps: Annotated[int, typer.Option("--steps", help="Flip budget per instance.")] = 200_000,
    workers: Annotated[int, typer.Option("--workers", help="Dask workers compared with 1.")] = 2,
    rounds: Annotated[int, typer.Option("--rounds", help="Alternated timings of the workload on 1 and n workers.")] = 3,
    calls: Annotated[int, typer.Option("--calls", help="Small tasks timed for the per-task overhead.")] = 30,
    sleep_s: Annotated[float, typer.Option("--sleep", help="Seconds each simulated task sleeps.")] = 0.25,
    tasks: Annotated[int, typer.Option("--tasks", help="Simulated tasks per point of the curve.")] = 64,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Dask executor: speed-up vs workers, per-task overhead vs local, simulated 8-worker curve."""
    from heurevo.bench.scale import run_scale_bench

    run_scale_bench(candidates=candidates, suite=suite, budget=steps, workers=workers, rounds=rounds, calls=calls,
                    sleep_s=sleep_s, tasks=tasks, seed=seed, out=out, console=console)


@bench_app.command("evolve")
def bench_evolve(
    targets: Annotated[str, typer.Option("--targets", help="Comma-separated names of bench_evolve.TARGETS (pbo-knapsack, pbo-setcover, pbo-real, tsp-500, ...).")] = "pbo-knapsack,tsp-500",
    seeds: Annotated[int, typer.Option("--seeds", help="Runs per target (different seeds).")] = 5,
    evaluations: Annotated[int, typer.Option("--evaluations", help="Evaluation budget per run.")] = 100,
    workers: Annotated[int, typer.Option("--workers", help="Sandboxed workers per run.")] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated evaluation modes: racing, full.")] = "racing,full",
    seeds_per_instance: Annotated[int, typer.Option("--seeds-per-instance", help="Training seeds per instance in both modes.")] = 1,
    ablate: Annotated[str | None, typer.Option("--ablate", help="CIRE variants against the plain engine, comma-separated; a+b runs two components together (clustering, novelty, notebook, refinement).")] = None,
    embedding: Annotated[str, typer.Option("--embedding", help="CIRE embedding back-end with --ablate: auto, minilm or tfidf.")] = "auto",
    headroom: Annotated[int, typer.Option("--headroom", help="Instead of evolving: the default with this many times the steps vs itself, per family (is there anything to gain?).")] = 0,
) -> None:
    """GP evolution vs the default on held-out instances per family (mean ± std, p); racing vs full."""
    from heurevo.bench.evolve import run_evolve_bench, run_headroom

    if headroom:
        try:
            run_headroom(targets=[t.strip() for t in targets.split(",") if t.strip()],
                         factor=headroom, seeds=seeds, workers=workers, out=out, console=console)
        except ValueError as exc:
            raise HeurevoError(f"bench evolve: {exc}") from None
        return

    if ablate:
        from heurevo.bench.evolve_ablate import run_ablation

        run_ablation(targets=[t.strip() for t in targets.split(",") if t.strip()],
                     components=[c.strip() for c in ablate.split(",") if c.strip()], seeds=seeds,
                     evaluations=evaluations, workers=workers, backend=embedding, out=out,
                     console=console)
        return
    try:
        run_evolve_bench(targets=[t.strip() for t in targets.split(",") if t.strip()], seeds=seeds,
                         evaluations=evaluations, workers=workers, out=out, console=console,
                         modes=tuple(m.strip() for m in modes.split(",") if m.strip()),
                         seeds_per_instance=seeds_per_instance)
    except ValueError as exc:
        raise HeurevoError(f"bench evolve: {exc}") from None


_engine_commands.register(app)
_compare_commands.register(app)
_report_commands.register(app)


def main() -> None:
    """Entry point: run the app and map the outcome to an exit status.

    0 finished; 2 bad input (a :class:`HeurevoError`: one line naming file, line or key, and the
    problem); 130 after Ctrl-C, 143 after SIGTERM (the run is marked interrupted and its sandboxed
    workers are shut down; a process stuck in a compiled kernel is ended after a grace period,
    :mod:`heurevo.stop_signals`); 1 an internal error (a bug: one line, the traceback with
    ``HEUREVO_DEBUG=1``)."""
    install_stop_signals()
    sys.exit(run_cli())


def run_cli(args: list[str] | None = None) -> int:
    """Run one command (``args``, default ``sys.argv[1:]``) and return its exit status."""
    try:
        status = _run_app(args)
    except HeurevoError as exc:
        print_error(exc)
        status = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
    except OSError as exc:
        status = _os_error(exc)
    except Exception as exc:
        if os.environ.get("HEUREVO_DEBUG"):
            raise
        print_error(f"internal error, please report it: {type(exc).__name__}: {exc} "
                    "(HEUREVO_DEBUG=1 shows the traceback)")
        status = EXIT_INTERNAL
    if status == EXIT_INTERRUPTED:  # typer turns a KeyboardInterrupt into 130, SIGTERM too
        status = interrupt_status()
        sys.stderr.write("interrupted\n")
    return status


def _os_error(exc: OSError) -> int:
    """A file error on a path the user gave is bad input; any other is internal."""
    if exc.filename is None:
        print_error(f"internal error, please report it: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL
    print_error(f"{exc.filename}: {exc.strerror or exc}")
    return EXIT_BAD_INPUT


def _run_app(args: list[str] | None) -> int:
    """Run the typer app without its own exit handling; usage errors are one line when piped."""
    try:
        status = app(args=args, prog_name="heurevo", standalone_mode=False)
    except typer.TyperException as exc:
        if not exc.format_message():  # no arguments: the help text is the message
            exc.show()  # type: ignore[attr-defined]
        elif is_terminal(sys.stderr):
            from typer import rich_utils

            rich_utils.rich_format_error(exc)
        else:
            print_error(exc.format_message())
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return EXIT_INTERNAL
    return status if isinstance(status, int) else EXIT_OK
