"""CLI commands of the engine: slots, check, evolve, show, export (registered in heurevo.cli)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live

from heurevo.console import is_terminal, make_console
from heurevo.errors import ConfigError, HeurevoError

if TYPE_CHECKING:
    from heurevo.engine.run import RunSummary
    from heurevo.engine.run_config import RunConfig

console = make_console()


def slots_command(
    problem: Annotated[str | None, typer.Argument(help="A registered problem (default: all of them).")] = None,
    slot: Annotated[str | None, typer.Argument(help="One slot of PROBLEM (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (signature = the def line).")] = False,
) -> None:
    """List every slot: signature, contract and default source (verbatim Python when piped)."""
    from heurevo.solvers.problem import PROBLEMS, get_problem

    names = [problem] if problem else PROBLEMS.names()
    rows = []
    for name in names:
        slots = get_problem(name).slots()
        if slot is not None and slot not in slots:
            raise HeurevoError(f"unknown slot '{slot}' for {name}; known: {', '.join(slots)}")
        for s in slots.values():
            if slot is not None and s.name != slot:
                continue
            rows.append({"problem": s.problem, "name": s.name, "signature": s.def_line(),
                         "numba_signature": s.signature, "arg_names": list(s.arg_names),
                         "mutable_args": list(s.mutable_args), "contract": s.contract.strip(),
                         "default_source": s.default_source,
                         "gp_hole": "gp_hole" in s.extra})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not is_terminal(sys.stdout):
        sys.stdout.write(plain_slots(rows))
        return
    for r in rows:
        console.rule(f"[bold]{r['problem']}.{r['name']}")
        console.print(r["signature"], highlight=False, markup=False)
        console.print(f"numba: {r['numba_signature']}", style="dim", highlight=False, markup=False)
        console.print(r["contract"], highlight=False, markup=False)
        console.print("default:", style="bold")
        console.print(r["default_source"], highlight=False, markup=False)


def plain_slots(rows: list[dict[str, object]]) -> str:
    """The slots as one Python file: each slot's contract as comments, its default verbatim."""
    out = []
    for r in rows:
        head = [f"{r['problem']}.{r['name']}", f"numba: {r['numba_signature']}",
                *str(r["contract"]).splitlines()]
        out.append("\n".join(f"# {line}".rstrip() for line in head))
        out.append(str(r["default_source"]).rstrip("\n") + "\n\n")
    return "\n".join(out)


def check_command(
    file: Annotated[Path, typer.Argument(help="Python file with the slot function.")],
    problem: Annotated[str, typer.Option("--problem", help="A registered problem: pbo, tsp or a plug-in.")],
    slot: Annotated[str, typer.Option("--slot", help="Slot name (see `heurevo slots`).")],
    steps: Annotated[int, typer.Option("--steps", help="Step budget of the small evaluation.")] = 2000,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds per stage before the worker is killed.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check a heuristic file and run a small sandboxed evaluation; exit 1 if rejected or failed."""
    from heurevo import limits
    from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
    from heurevo.populations.records import Candidate
    from heurevo.solvers.problem import get_problem
    from heurevo.suites.catalog import SplitInstance

    if not file.is_file():
        raise HeurevoError(f"{file}: no such file")
    limits.check_timeout("--timeout", timeout_s)  # a ConfigError names the flag
    limits.check_budget_steps("--steps", steps, zero_ok=False)
    slots = get_problem(problem).slots()
    if slot not in slots:
        raise HeurevoError(f"unknown slot '{slot}' for {problem}; known: {', '.join(slots)}")
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HeurevoError(f"{file}: cannot read it as UTF-8 Python source ({exc})") from None
    with tempfile.TemporaryDirectory(prefix="heurevo-check-") as tmp:
        work = Path(tmp)
        adapter = get_problem(problem)
        inst = adapter.smoke_instance(work / "inst")
        cfg = EvaluationConfig(budget_steps=steps, timeout_s=timeout_s, workers=1, minibatch=1, full=False)
        ev = StagedEvaluator(problem, {"train": [SplitInstance(inst.name, str(inst))]}, cfg, 0, work)
        try:
            cand = Candidate.new(problem, {**{n: s.default_source for n, s in slots.items()}, slot: source})
            result = ev.evaluate(cand)
        finally:
            ev.close()
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        verdict = "[green]accepted[/]" if result.ok else "[red]rejected[/]" if result.status.value == "rejected" \
            else f"[red]{result.status.value}[/]"
        console.print(f"{file}: {verdict} (status {result.status.value}, stage {result.stage.value}, "
                      f"{result.seconds:.2f} s)")
        if result.ok:
            console.print(f"fitness vs default on a small instance: {result.fitness:.4f}")
        if result.feedback:
            console.print(result.feedback, highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)


def evolve_command(
    config_file: Annotated[Path | None, typer.Argument(help="Run config TOML (every field has a default).")] = None,
    problem: Annotated[str | None, typer.Option("--problem", help="A registered problem: pbo, tsp or a plug-in.")] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="Named suite or a folder of instances.")] = None,
    slots: Annotated[str | None, typer.Option("--slots", help="Comma-separated slots to evolve.")] = None,
    proposer: Annotated[str | None, typer.Option("--proposer", help="gp (offline), llm (EoH operators) or autopbo (Planner/Editor/Evaluator agents).")] = None,
    evaluations: Annotated[int | None, typer.Option("--evaluations", help="Evaluation budget.")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Sandboxed worker processes (at most 2 per core unless --force-workers).")] = None,
    force_workers: Annotated[bool, typer.Option("--force-workers", help="Allow more workers than 2 per core.")] = False,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Folder for this run (default: runs/<name>).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --run-dir (or CONFIG_FILE as the run folder).")] = False,
    llm_model: Annotated[str | None, typer.Option("--llm-model", help="Model of the LLM proposers (default: settings).")] = None,
    llm_base_url: Annotated[str | None, typer.Option("--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1.")] = None,
    llm_replay: Annotated[Path | None, typer.Option("--llm-replay", help="Replay a recorded run folder offline: its config, its model answers.")] = None,
    notebook: Annotated[Path | None, typer.Option("--notebook", help="Mistake notebook (SQLite) to read and extend; several runs may share one.")] = None,
    executor: Annotated[str | None, typer.Option("--executor", help="Where evaluations run: local (sandboxed processes here) or dask (a LocalCluster of --workers processes, or --scheduler).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="A running Dask scheduler, e.g. tcp://host:8786 (implies --executor dask).")] = None,
) -> None:
    """Evolve heuristics on a suite; Ctrl-C stops cleanly (status 130) and --resume continues."""
    from heurevo.config import load_settings, load_toml
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.run_flags import RunFlags
    from heurevo.engine.session import CONFIG_FILE, load_run_config
    from heurevo.stop_signals import interrupt_status

    flags = RunFlags(problem=problem, suite=suite, slots=slots, proposer=proposer,
                     evaluations=evaluations, seed=seed, workers=workers, force_workers=force_workers,
                     llm_model=llm_model,
                     llm_base_url=llm_base_url)
    changes: list[str] = []
    if resume:
        folder = run_dir or config_file
        if folder is None:
            raise HeurevoError("--resume needs the run folder (--run-dir DIR)")
        if run_dir is not None and config_file is not None and config_file != run_dir:
            raise HeurevoError(f"{config_file}: --resume continues the run folder's own config; "
                               "leave out CONFIG_FILE")
        if llm_replay is not None:
            raise HeurevoError("--llm-replay starts a new run; it cannot be combined with --resume")
        config, changes = flags.reconcile(load_run_config(folder), folder / CONFIG_FILE)
    else:
        if llm_replay is not None and config_file is None:
            config_file = llm_replay / "config.toml"
        config = load_toml(RunConfig, config_file) if config_file else RunConfig()
        config = flags.apply(config)
        config = llm_override(config, llm_model, llm_base_url, llm_replay)
        if notebook is not None:
            import dataclasses

            nb = dataclasses.replace(config.cire.notebook, path=str(notebook.resolve()))
            config = dataclasses.replace(config, cire=dataclasses.replace(config.cire, notebook=nb))
        folder = run_dir or (llm_replay.with_name(llm_replay.name + "-replay") if llm_replay
                             else load_settings().runs_dir / default_run_name(config))
    config = executor_override(config, executor, scheduler)
    for change in changes:
        console.print(f"resume: {change}", highlight=False)
    summary = run_with_live_view(config, folder, resume)
    console.print(f"run folder: {folder}   (heurevo show {folder}; heurevo export {folder} --out best.py)")
    if summary.stats.stopped_because.startswith("interrupted"):
        raise typer.Exit(interrupt_status())


def executor_override(config: RunConfig, name: str | None, scheduler: str | None) -> RunConfig:
    """``config`` with the executor flags applied (also on --resume: any executor continues a run)."""
    import dataclasses

    from heurevo.config import from_mapping, to_mapping
    from heurevo.engine.executors.base import ExecutorConfig

    if name is None and scheduler is None:
        return config
    data = to_mapping(config.executor)
    data["name"] = name or "dask"
    if scheduler is not None:
        if data["name"] != "dask":
            raise HeurevoError(f"--scheduler needs --executor dask, not --executor {data['name']}")
        data["scheduler"] = scheduler
    elif data["name"] == "local":
        data["scheduler"] = ""
    chosen = from_mapping(ExecutorConfig, data, path="<command line>", prefix="executor")
    return dataclasses.replace(config, executor=chosen)


def default_run_name(config: RunConfig) -> str:
    """``<suite>[-<proposer>]-s<seed>``, the suite prefixed by the problem unless it already is."""
    suite = Path(config.suite.name).name if "/" in config.suite.name else config.suite.name
    if not suite.startswith(f"{config.problem}-"):
        suite = f"{config.problem}-{suite}"
    proposer = "" if config.proposer == "gp" else f"-{config.proposer}"
    return f"{suite}{proposer}-s{config.seed}"


def run_with_live_view(config: RunConfig | None, folder: Path, resume: bool) -> RunSummary:
    """Prepare and execute a run with the live panel; prints the stop reason and best fitness."""
    import dataclasses

    from heurevo.engine.sandbox import missing_layer_warning
    from heurevo.engine.session import execute, prepare_run, stored_train_evaluations
    from heurevo.engine.views import live_panel

    live = Live(console=console, refresh_per_second=4, transient=False)
    holder: dict[str, object] = {}

    def progress(stats: object) -> None:
        run = holder.get("run")
        if run is not None:
            live.update(live_panel(stats, run.loop.budgets))  # type: ignore[attr-defined]

    if warning := missing_layer_warning():
        console.print(warning, style="bold red", markup=False)
    with console.status("starting workers and compiling kernels..."):
        run = prepare_run(config, folder, resume=resume, on_progress=progress)
    holder["run"] = run
    for notice in run.notices:
        console.print(f"note: {notice}", highlight=False)
    try:
        with live:
            summary = execute(run)
            stats = dataclasses.replace(summary.stats,
                                        evaluations=stored_train_evaluations(run.store))
            live.update(live_panel(stats, run.loop.budgets))
    finally:
        run.close()
    console.print()
    console.print(f"stopped: {summary.stats.stopped_because}")
    if summary.best:
        console.print(f"best train fitness {summary.best.fitness:.4f} (candidate {summary.best.candidate.id})")
    if summary.validation and summary.accepted:
        console.print(f"validation fitness of the reported best: {summary.validation.fitness:.4f} "
                      "(1.0 = the default heuristic)")
    if summary.verdict:
        console.print(f"verdict: {summary.verdict}")
    return summary


def llm_override(config: RunConfig, model: str | None, base_url: str | None,
                 replay: Path | None) -> RunConfig:
    """The LLM endpoint and replay options applied to ``config`` (settings fill what is unset)."""
    import dataclasses

    from heurevo.config import load_settings

    llm = config.llm
    if config.proposer != "gp" and not (llm.model and llm.base_url):
        endpoint = load_settings().llm
        llm = dataclasses.replace(llm, model=llm.model or endpoint.model or "",
                                  base_url=llm.base_url or endpoint.base_url or "")
    llm = dataclasses.replace(llm, model=model or llm.model, base_url=base_url or llm.base_url)
    try:
        llm.validate()
    except ConfigError as exc:  # name the flag that set the field, if one did
        flag = {"base_url": "--llm-base-url", "model": "--llm-model"}.get(exc.key or "")
        raise ConfigError(exc.message, key=flag) if flag else exc.within("llm") from None
    proposer_cfg = config.llm_proposer
    if replay is not None:
        proposer_cfg = dataclasses.replace(proposer_cfg, replay=str(replay))
    return dataclasses.replace(config, llm=llm, llm_proposer=proposer_cfg)


def show_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    top: Annotated[int, typer.Option("--top", help="How many candidates to list.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable: run, top candidates, CIRE records.")] = False,
) -> None:
    """Summarise a run: status, top candidates, the best one's lineage, CIRE's clusters."""
    from heurevo.engine.cire_views import cire_json, cire_report
    from heurevo.engine.session import open_run_store
    from heurevo.engine.views import run_report

    store = open_run_store(run_dir)
    try:
        if as_json:
            from heurevo.populations.lineage import ranked

            info = store.run_info()
            top_rows = [{"id": r.candidate.id, "fitness": r.fitness, "status": r.result.status.value,
                         "operator": r.candidate.operator, "idea": r.candidate.idea}
                        for r in ranked(store)[:top]]
            print(json.dumps({"run": info.run_id if info else None,
                              "status": info.status if info else None,
                              "top": top_rows, **cire_json(store)}, default=str))
            return
        with store.reading():
            report = run_report(store, top)
            extra = cire_report(store)
        console.print(report)
        if extra is not None:
            console.print(extra)
    finally:
        store.close()


def export_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    out: Annotated[Path, typer.Option("--out", help="Python file to write.")] = Path("best.py"),
    portfolio: Annotated[Path | None, typer.Option("--portfolio", help="Instead: a folder for a per-family portfolio (portfolio.toml and one file per evolved member), chosen on validation; solve with --heuristics DIR/portfolio.toml.")] = None,
) -> None:
    """Write the best heuristics of a run as a file for `heurevo solve --heuristics`."""
    from heurevo.engine.session import open_run_store, run_best

    if portfolio is not None:
        return _export_portfolio(run_dir, portfolio)
    from heurevo.populations.export import export_source
    from heurevo.populations.lineage import kept_default, verdict
    from heurevo.solvers.problem import get_problem

    cand, train, val = run_best(run_dir)
    store = open_run_store(run_dir)
    try:
        kept, line = kept_default(store), verdict(store)
    finally:
        store.close()
    if kept:
        header = f"heurevo heuristics of run {run_dir.name}: the default, kept ({line})"
    else:
        header = (f"heurevo heuristics: candidate {cand.id} of run {run_dir.name}; train fitness "
                  f"{train.fitness}; validation fitness {val.fitness if val else 'n/a'}")
    try:
        out.write_text(export_source(cand, get_problem(cand.problem).slots(), header),
                       encoding="utf-8")
    except OSError as exc:
        raise HeurevoError(f"{out}: cannot write the heuristics file: {exc.strerror}") from None
    if line:
        console.print(f"verdict: {line}")
    what = "the default heuristics" if kept else "the best heuristics"
    console.print(f"wrote {what} to {out}  (heurevo solve INSTANCE --heuristics {out})")
    sys.stdout.flush()


def _export_portfolio(run_dir: Path, folder: Path) -> None:
    """``export --portfolio``: per family the member that beat the default there on validation."""
    from rich.markup import escape
    from rich.table import Table

    from heurevo.engine.portfolio import choose_per_family, portfolio_toml
    from heurevo.engine.session import open_run_store
    from heurevo.populations.export import export_source
    from heurevo.solvers.problem import get_problem

    store = open_run_store(run_dir)
    try:
        choices, threshold = choose_per_family(store)
        members: dict[str, str] = {}
        files: dict[str, str] = {}
        for c in choices:
            if not c.evolved:
                members[c.family] = "default"
                continue
            cand = store.candidate(c.candidate)
            assert cand is not None
            name = f"{c.family}.py"
            files[name] = export_source(cand, get_problem(cand.problem).slots(), (
                f"heurevo portfolio member for family {c.family}: candidate {cand.id} of run "
                f"{run_dir.name}; +{c.mean_difference:.4g} mean score over the default on "
                f"{c.pairs} validation pairs (p = {c.p_value:.3g} < {threshold:.3g})"))
            members[c.family] = name
        problem = store.candidate(choices[0].candidate).problem if choices else ""  # type: ignore[union-attr]
    finally:
        store.close()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / "portfolio.toml").write_text(portfolio_toml(problem, members), encoding="utf-8")
    except OSError as exc:
        raise HeurevoError(f"{folder}: cannot write the portfolio: {exc.strerror}") from None
    table = Table(title=f"portfolio of {run_dir.name} (validation, Bonferroni threshold {threshold:.3g})")
    for col in ("family", "member", "pairs", "mean score difference", "p"):
        table.add_column(col)
    for c in choices:
        table.add_row(escape(c.family), escape(members[c.family]), str(c.pairs),
                      f"{c.mean_difference:+.4g}" if c.evolved else "0 (default kept)",
                      f"{c.p_value:.3g}" if c.p_value is not None else "-")
    console.print(table)
    evolved = sum(c.evolved for c in choices)
    console.print(f"verdict: {evolved} of {len(choices)} families get an evolved member; the "
                  "others keep the default" if evolved else f"verdict: {NO_FAMILY_GAIN}")
    console.print(f"wrote {folder / 'portfolio.toml'}  (heurevo solve INSTANCE --heuristics "
                  f"{folder / 'portfolio.toml'})")
    sys.stdout.flush()


#: The verdict line of a portfolio in which no family got an evolved member.
NO_FAMILY_GAIN = "no candidate beat the default significantly on any family's validation; every family keeps the default"


def register(app: typer.Typer) -> None:
    """Add the engine commands to the CLI."""
    app.command("slots")(slots_command)
    app.command("check")(check_command)
    app.command("evolve")(evolve_command)
    app.command("show")(show_command)
    app.command("export")(export_command)
