"""CLI commands for benchmark maintainers and paper authors: leaderboard, suites, suite add,
report, runs, ablate (registered in heurevo.cli)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from heurevo.benchmarks.tables import TableData, print_table, to_csv, to_html, to_markdown, to_text

if TYPE_CHECKING:
    from heurevo.benchmarks.leaderboard import Leaderboard

console = Console()
err_console = Console(stderr=True)
#: Output formats of the table commands (json is handled by each command).
FORMATS = ("table", "text", "md", "csv", "html", "json")


def default_cache_path() -> Path:
    """The leaderboard's result cache (beside the generated suites)."""
    from heurevo.suites.catalog import suite_cache_dir

    return suite_cache_dir().parent / "leaderboard.sqlite"


def check_format(fmt: str) -> None:
    """Refuse an unknown ``--format`` before any work is done."""
    from heurevo.errors import ConfigError

    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}' ({', '.join(FORMATS)})", key="--format")


def emit(tables: list[TableData], fmt: str) -> None:
    """Print tables in ``fmt`` (table: rich on a terminal, aligned text in a pipe)."""
    check_format(fmt)
    render = {"md": to_markdown, "csv": to_csv, "html": to_html, "text": to_text}
    for i, t in enumerate(tables):
        if fmt == "table":
            print_table(console, t)
        else:
            console.file.write(("\n" if i else "") + render[fmt](t))
    console.file.flush()


def progress_bar(description: str) -> Progress:
    """A progress bar with ETA on stderr (it disappears when done)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=err_console, transient=True)


def leaderboard_command(
    suite: Annotated[str, typer.Option("--suite", help="Suite name (`heurevo suites`) or a folder of instance files.")],
    entry: Annotated[list[str], typer.Option("--entry", help="default, a run folder (its best), a heuristics .py file, or a reference solver: cpsat, scip, nupbo:PATH (PBO), lkh (TSP); repeat. The first is the one the others are tested against.")],
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Run seeds per instance (1, 2, ...).")] = 5,
    steps: Annotated[int, typer.Option("--steps", min=0, help="Step budget per run (0: the problem's default).")] = 0,
    time_s: Annotated[float | None, typer.Option("--time", help="Wall seconds per run instead of steps (not reproducible across machines).")] = None,
    ref_time_s: Annotated[float | None, typer.Option("--ref-time", help="Seconds per run of the reference solvers (default: --time, else 10).")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only this split of a user suite: train, validation or test.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, text, md, csv, html or json.")] = "table",
    per_instance: Annotated[bool, typer.Option("--per-instance", help="Also the mean objective of every entry per instance.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandboxed worker processes.")] = 2,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds per run before the worker is killed.")] = 120.0,
    cache: Annotated[Path | None, typer.Option("--cache", help="SQLite result cache (default: beside the generated suites).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the entries' performance profile here (.png or .svg).")] = None,
    anytime: Annotated[Path | None, typer.Option("--anytime", help="Write the entries' anytime curves (gap vs time) here (.png or .svg).")] = None,
) -> None:
    """Every entry on every instance and seed (sandboxed, verified): gap, avg_score, #win, p-values.

    ``--format html`` embeds the performance profile and the anytime curves as inline images."""
    import tempfile

    from heurevo.benchmarks.leaderboard import (
        BoardSpec,
        board_json,
        board_table,
        per_instance_table,
        resolve_entry,
        run_board,
        unique_labels,
    )
    from heurevo.benchmarks.result_cache import ResultCache
    from heurevo.errors import ConfigError
    from heurevo.suites.user import board_suite

    check_format(fmt)
    if steps and time_s is not None:
        raise ConfigError("give --steps or --time, not both", key="--time")
    for key, value in (("--time", time_s), ("--ref-time", ref_time_s)):
        if value is not None and not 0 < value < float("inf"):
            raise ConfigError(f"must be > 0 seconds, got {value}", key=key)
    chosen = board_suite(suite, split)
    entries = unique_labels([resolve_entry(e, chosen.suite.problem) for e in entry])
    spec = BoardSpec(chosen.suite.name, chosen.suite.problem, chosen.suite.instances, entries,
                     seeds=seeds, budget_steps=steps, time_s=time_s, reference_time_s=ref_time_s,
                     workers=workers, timeout_s=timeout_s, references=chosen.references,
                     reference_kind=chosen.reference_kind)
    store = ResultCache(cache or default_cache_path())
    try:
        with progress_bar(f"leaderboard {spec.suite}") as bar, \
                tempfile.TemporaryDirectory(prefix="heurevo-board-") as work:
            task = bar.add_task(f"leaderboard {spec.suite}", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            board = run_board(spec, store, Path(work), tick)
    finally:
        store.close()
    from heurevo.benchmarks.plots import anytime_figure, profile_figure, save

    for path, figure, what in ((plot, profile_figure, "performance profile"),
                               (anytime, anytime_figure, "anytime curves")):
        if path is not None:
            save(figure(board), path)
            err_console.print(f"{what}: {path}", highlight=False)
    if fmt == "json":
        print(json.dumps(board_json(board, per_instance), indent=1))
        return
    tables = [board_table(board)] + ([per_instance_table(board)] if per_instance else [])
    emit(tables, fmt)
    if fmt == "html":
        emit_board_images(board)
    err_console.print(f"{board.evaluated} runs evaluated, {len(board.runs) - board.evaluated} "
                      "from the cache", highlight=False)


def emit_board_images(board: Leaderboard) -> None:
    """A board's performance profile and anytime curves as inline images (after an HTML table)."""
    from heurevo.benchmarks.plots import anytime_figure, data_uri, profile_figure

    console.file.write("".join(f'\n<img alt="{what}" src="{data_uri(figure(board))}">'
                               for figure, what in ((profile_figure, "performance profile"),
                                                    (anytime_figure, "anytime curves"))) + "\n")


def suites_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, text, md or csv.")] = "table",
) -> None:
    """List named suites (built-in and added) with sizes, splits and reference kinds."""
    from heurevo.suites.user import list_suites

    rows = list_suites()
    if as_json or fmt == "json":
        print(json.dumps([r.__dict__ for r in rows], indent=1))
        return
    from heurevo.benchmarks.tables import Column

    table = TableData("suites", (Column("name", "left"), Column("problem", "left"), Column("instances"),
                                 Column("splits", "left"), Column("references", "left"),
                                 Column("description", "left")),
                      tuple((r.name, r.problem, str(r.instances), r.splits, r.references,
                             r.description) for r in rows))
    emit([table], fmt)


def suite_add_command(
    name: Annotated[str, typer.Argument(help="Name of the new suite.")],
    folder: Annotated[Path, typer.Argument(help="Folder of .opb/.wbo/.tsp files.")],
    refs: Annotated[Path | None, typer.Option("--refs", help="CSV of reference values (columns file/name and reference/optimum/...).")] = None,
    split: Annotated[str, typer.Option("--split", help="train:validation[:test] ratio.")] = "1:1",
    by: Annotated[str, typer.Option("--by", help="family (split within each family) or none.")] = "family",
) -> None:
    """Add a folder of instances as a named suite (stored in the settings folder)."""
    from heurevo.errors import ConfigError
    from heurevo.suites.user import add_user_suite, settings_dir

    if by not in ("family", "none"):
        raise ConfigError(f"'{by}' is not family or none", key="--by")
    suite = add_user_suite(name, folder, refs, split, by)  # type: ignore[arg-type]
    sizes = ", ".join(f"{k} {len(v)}" for k, v in suite.splits.items())
    console.print(f"suite {name}: {len(suite.instances)} {suite.problem} instances ({sizes}), "
                  f"{len(suite.references)} reference values; stored in {settings_dir()}",
                  highlight=False)


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    out: Annotated[Path | None, typer.Option("--out", help="HTML file to write (default: RUN_DIR/report.html).")] = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds of the best-vs-default leaderboard.")] = 3,
    test_suite: Annotated[str | None, typer.Option("--test-suite", help="Held-out suite for a second leaderboard (default: the problem's held-out suite; 'none' to skip).")] = None,
    leaderboard: Annotated[bool, typer.Option("--leaderboard/--no-leaderboard", help="Run best vs default (sandboxed, cached).")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandboxed worker processes.")] = 2,
    cache: Annotated[Path | None, typer.Option("--cache", help="Leaderboard result cache.")] = None,
) -> None:
    """One self-contained HTML page about a run: verdict, budgets, plots, best heuristics, failures."""
    import tempfile

    from heurevo.benchmarks.report import ReportOptions, build_report
    from heurevo.benchmarks.result_cache import ResultCache
    from heurevo.config import load_toml
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.session import CONFIG_FILE, open_run_store
    from heurevo.solvers.problem import problem_info

    open_run_store(run_dir).close()  # a clear error when this is not a run folder
    problem = load_toml(RunConfig, run_dir / CONFIG_FILE).problem
    held_out = problem_info(problem).heldout_suite or None if test_suite is None else \
        None if test_suite == "none" else test_suite
    options = ReportOptions(seeds=seeds, workers=workers, test_suite=held_out,
                            leaderboard=leaderboard)
    target = out or run_dir / "report.html"
    store = ResultCache(cache or default_cache_path())
    try:
        with err_console.status("running best vs default and drawing the plots..."), \
                tempfile.TemporaryDirectory(prefix="heurevo-report-") as work:
            page = build_report(run_dir, options, store, Path(work))
    finally:
        store.close()
    target.write_text(page, encoding="utf-8")
    console.print(f"wrote {target}", highlight=False)


def runs_command(
    folder: Annotated[Path | None, typer.Argument(help="Folder of run folders (default: the settings' runs folder).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, text, md or csv.")] = "table",
) -> None:
    """List runs with status, best train fitness, validation fitness and verdict."""
    from heurevo.benchmarks.report import list_runs
    from heurevo.benchmarks.tables import Column
    from heurevo.config import load_settings

    rows = list_runs(folder or load_settings().runs_dir)
    if as_json or fmt == "json":
        print(json.dumps([r.__dict__ for r in rows], indent=1))
        return

    def num(x: float | None) -> str:
        return "—" if x is None or x == float("-inf") else f"{x:.4f}"

    table = TableData("runs", (Column("run", "left"), Column("status", "left"), Column("problem", "left"),
                               Column("evaluations"), Column("best train"), Column("validation"),
                               Column("verdict", "left")),
                      tuple((r.name, r.status, r.problem, str(r.evaluations), num(r.best_train),
                             num(r.validation), r.verdict) for r in rows))
    emit([table], fmt)


def ablate_command(
    config_file: Annotated[Path, typer.Argument(help="Base run config TOML.")],
    component: Annotated[list[str], typer.Option("--component", "--knob", help="Component to switch off, or a knob to sweep with optional values (minibatch=1,2,8, start=default,empty,random); repeat (see --list).")] = [],  # noqa: B006
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Evolutions per variant (seeds from the config's).")] = 5,
    suite: Annotated[str | None, typer.Option("--suite", help="Where the variants' bests are compared (default: the problem's held-out suite).")] = None,
    steps: Annotated[int, typer.Option("--steps", min=0, help="Step budget of the comparison (0: the runs' budget).")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the runs (default: runs/ablate-<config name>); finished runs are reused.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, text, md, csv, html or json.")] = "table",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandboxed workers of the comparison.")] = 2,
    cache: Annotated[Path | None, typer.Option("--cache", help="Leaderboard result cache.")] = None,
    list_components: Annotated[bool, typer.Option("--list", help="List the components and exit.")] = False,
) -> None:
    """Evolve with each component switched off (or a knob swept); leaderboard of the bests vs full."""
    from heurevo.benchmarks.ablate import ABLATIONS, AblationSpec, run_ablation
    from heurevo.benchmarks.leaderboard import board_json, board_table
    from heurevo.benchmarks.result_cache import ResultCache
    from heurevo.config import load_settings, load_toml
    from heurevo.engine.run_config import RunConfig
    from heurevo.errors import ConfigError
    from heurevo.solvers.problem import problem_info

    check_format(fmt)
    if list_components:
        console.print(ABLATIONS.describe(), highlight=False, markup=False)
        return
    if not component:
        raise ConfigError(f"give at least one --component ({', '.join(ABLATIONS.names())})",
                          key="--component")
    config = load_toml(RunConfig, config_file)
    spec = AblationSpec(config, tuple(component), seeds,
                        out or load_settings().runs_dir / f"ablate-{config_file.stem}",
                        suite or problem_info(config.problem).heldout_suite, steps, workers)
    store = ResultCache(cache or default_cache_path())
    try:
        board = run_ablation(spec, store, lambda label, seed: err_console.print(
            f"evolving {label}, seed {seed} ({spec.out_dir / label})", highlight=False))
    finally:
        store.close()
    if fmt == "json":
        print(json.dumps(board_json(board), indent=1))
        return
    emit([board_table(board)], fmt)
    if fmt == "html":
        emit_board_images(board)


def register(app: typer.Typer) -> None:
    """Add the leaderboard, suite, report and runs commands to the CLI."""
    app.command("report")(report_command)
    app.command("runs")(runs_command)
    app.command("ablate")(ablate_command)
    app.command("leaderboard")(leaderboard_command)
    app.command("suites")(suites_command)
    suite_app = typer.Typer(help="Manage user suites.", no_args_is_help=True)
    suite_app.command("add")(suite_add_command)
    app.add_typer(suite_app, name="suite")
