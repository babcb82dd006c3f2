"""``heurevo report RUN_DIR``: one self-contained HTML page about a run, and ``heurevo runs``.

The page holds the verdict (the reported best against the default on the validation split,
paired Wilcoxon over instances and seeds), the budgets spent, convergence plots, a leaderboard of
best vs default on validation (and on a held-out test suite when given), the best heuristics
with their ideas and a diff against the default source, failures by kind with examples, the
population map, the lineage of the best, and the resolved config. Images are base64 data URIs
and the CSS is inline, so the file opens anywhere without a network. Every text that came from a
candidate, a model or a config is escaped.
"""

from __future__ import annotations

import difflib
import html
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from heurevo import __version__
from heurevo.benchmarks.leaderboard import (
    BoardSpec,
    Entry,
    Leaderboard,
    board_table,
    default_entry,
    run_board,
)
from heurevo.benchmarks.plots import (
    anytime_figure,
    convergence,
    convergence_figure,
    data_uri,
    lineage_figure,
    population_figure,
    profile_figure,
)
from heurevo.benchmarks.result_cache import ResultCache
from heurevo.benchmarks.tables import to_html
from heurevo.populations.lineage import best_candidate, ranked
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore

#: Failure examples shown per kind, and the characters of each error kept.
EXAMPLES_PER_KIND = 3
ERROR_CHARS = 1200


@dataclass(frozen=True)
class ReportOptions:
    """What the report computes beyond reading the store."""

    seeds: int = 3
    workers: int = 2
    test_suite: str | None = None  # a held-out suite for a second best-vs-default board
    leaderboard: bool = True
    top: int = 3  # best heuristics shown


@dataclass(frozen=True)
class RunListing:
    """One line of ``heurevo runs``."""

    name: str
    path: str
    status: str
    problem: str
    evaluations: int
    best_train: float | None
    validation: float | None
    verdict: str


def _esc(text: object) -> str:
    return html.escape(str(text))


def _verdict_text(validation: float | None) -> str:
    if validation is None:
        return "not validated"
    return "better than the default on validation" if validation > 1.0 else "default kept"


def list_runs(folder: Path) -> list[RunListing]:
    """Every run folder directly under ``folder`` (or ``folder`` itself), newest name last."""
    from heurevo.engine.session import STORE_FILE

    dirs = [folder] if (folder / STORE_FILE).is_file() else sorted(
        p for p in folder.iterdir() if (p / STORE_FILE).is_file()) if folder.is_dir() else []
    out = []
    for d in dirs:
        store = SQLiteStore(d / STORE_FILE)
        try:
            info = store.run_info()
            best = best_candidate(store)
            n = len(store.evaluations())
        finally:
            store.close()
        problem = best[0].problem if best else "?"
        val = best[2].fitness if best and best[2] is not None else None
        out.append(RunListing(d.name, str(d), info.status if info else "empty", problem, n,
                              best[1].fitness if best else None, val, _verdict_text(val)))
    return out


def _diff(source: str, default: str) -> str:
    lines = difflib.unified_diff(default.splitlines(), source.splitlines(), "default", "evolved",
                                 lineterm="", n=2)
    out = []
    for line in lines:
        cls = "add" if line.startswith("+") else "del" if line.startswith("-") else \
            "hunk" if line.startswith("@@") else ""
        out.append(f'<span class="{cls}">{_esc(line)}</span>' if cls else _esc(line))
    return '<pre class="diff">' + "\n".join(out) + "</pre>" if out else "<p>same as the default</p>"


def _best_section(store: SQLiteStore, defaults: dict[str, str], top: int) -> str:
    parts = []
    for m in [m for m in ranked(store) if m.result.ok][:top]:
        c = m.candidate
        parts.append(f"<h3>{_esc(c.id)}: train fitness {m.fitness:.4f}</h3>"
                     f"<p>operator <b>{_esc(c.operator)}</b>, generation {c.generation}, proposer "
                     f"{_esc(c.proposer)}; idea: {_esc(c.idea or '(none recorded)')}</p>")
        changed = [n for n, s in c.sources.items() if s != defaults.get(n)]
        for name in changed:
            parts.append(f"<p>slot <code>{_esc(name)}</code>:</p>{_diff(c.sources[name], defaults.get(name, ''))}")
        if not changed:
            parts.append("<p>the default heuristics (no slot changed)</p>")
    return "".join(parts) or "<p>no candidate was evaluated successfully</p>"


def _failures_section(store: SQLiteStore) -> str:
    kinds: dict[str, list[tuple[str, str, str]]] = {}
    for _, r in store.evaluations():
        if not r.ok:
            kinds.setdefault(r.status.value, []).append((r.candidate_id, r.stage.value,
                                                         r.feedback or r.error))
    if not kinds:
        return "<p>none: every evaluated candidate ran and was scored</p>"
    rows = "".join(f"<tr><td class='left'>{_esc(k)}</td><td class='right'>{len(v)}</td></tr>"
                   for k, v in sorted(kinds.items()))
    parts = [f"<table><thead><tr><th class='left'>kind</th><th class='right'>count</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>"]
    for kind, examples in sorted(kinds.items()):
        parts.append(f"<h3>{_esc(kind)}</h3>")
        for cid, stage, text in examples[:EXAMPLES_PER_KIND]:
            parts.append(f"<p>candidate {_esc(cid)}, stage {_esc(stage)}:</p>"
                         f"<pre>{_esc(text[:ERROR_CHARS])}</pre>")
    return "".join(parts)


def _budgets_section(store: SQLiteStore, config: object) -> str:
    evals = store.evaluations()
    calls = store.llm_calls()
    events = store.events()
    start = next((e.created for e in events if e.kind == "start"), None)
    stop = next((e for e in reversed(events) if e.kind == "stop"), None)
    budget = getattr(config, "budget", None)
    rows = [
        ("evaluations", f"{sum(k.split('/')[1:2] == ['train'] for k, _ in evals)} on train"
         + (f" of a budget of {budget.evaluations}" if budget is not None else "")
         + f", {sum(k.split('/')[1:2] == ['validation'] for k, _ in evals)} on validation"),
        ("solver steps", f"{sum(r.steps for _, x in evals for r in x.instances):,}"),
        ("solver time", f"{sum(r.seconds for _, x in evals for r in x.instances):.1f} s"),
        ("LLM", f"{len(calls)} calls, {sum(c.prompt_tokens + c.completion_tokens for c in calls):,} "
                f"tokens, ${sum(c.cost for c in calls):.4f}" if calls else "no model calls"),
        ("wall time", f"{stop.created - start:.1f} s" if stop and start else "—"),
        ("stopped", str(stop.data.get("reason", "")) if stop else "still running or killed"),
    ]
    return '<div class="grid">' + "".join(f"<b>{_esc(k)}</b><span>{_esc(v)}</span>" for k, v in rows) + "</div>"


def _board(label: str, cand: Candidate, suite: str, instances: tuple, problem: str,
           budget: int, options: ReportOptions, work: Path, cache: ResultCache) -> Leaderboard:
    spec = BoardSpec(suite, problem, instances, (default_entry(problem), Entry(label, (cand,))),
                     seeds=options.seeds, budget_steps=budget, workers=options.workers)
    return run_board(spec, cache, work)


def _verdict(board: Leaderboard | None, val_fitness: float | None) -> str:
    if board is None:
        text = _verdict_text(val_fitness)
        return f'<p class="verdict {"good" if text.startswith("better") else "kept"}">{_esc(text)}' \
               f" (validation fitness {val_fitness if val_fitness is not None else '—'}; no leaderboard)</p>"
    default, best = board.stats
    better = best.avg_score > default.avg_score and best.p_value is not None and best.p_value < 0.05
    text = (f"The reported best {'beats' if better else 'does not significantly beat'} the default "
            f"on the validation split: avg_score {best.avg_score:.4f} vs {default.avg_score:.4f}, "
            f"paired Wilcoxon p = {best.p_value:.3g} over {best.runs} runs"
            + ("" if better else "; keep the default heuristics"))
    return f'<p class="verdict {"good" if better else "kept"}">{_esc(text)}</p>'


def build_report(run_dir: Path, options: ReportOptions, cache: ResultCache, work: Path) -> str:
    """The report of ``run_dir`` as one HTML page."""
    from heurevo.config import load_toml
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.session import CONFIG_FILE, STORE_FILE, open_run_store
    from heurevo.solvers.problem import get_problem
    from heurevo.suites.catalog import build_suite, split_suite, suite_cache_dir

    config = load_toml(RunConfig, run_dir / CONFIG_FILE)
    defaults = {n: s.default_source for n, s in get_problem(config.problem).slots().items()}
    store = open_run_store(run_dir)
    try:
        info = store.run_info()
        best = best_candidate(store)
        conv = convergence(store, run_dir / STORE_FILE)
        plots = [data_uri(convergence_figure(conv, f"run {run_dir.name}"))]
        population = [data_uri(population_figure(store))]
        if best:
            population.append(data_uri(lineage_figure(store, best[0].id)))
        best_html = _best_section(store, defaults, options.top)
        failures = _failures_section(store)
        budgets = _budgets_section(store, config)
    finally:
        store.close()
    boards: list[tuple[str, Leaderboard]] = []
    if best and options.leaderboard:
        suite = build_suite(config.suite.name, config.problem, suite_cache_dir())
        val = split_suite(suite, config.suite.validation_fraction, config.seed)["validation"]
        boards.append(("validation", _board("best", best[0], f"{suite.name} validation", tuple(val),
                                            config.problem, config.evaluation.budget_steps, options,
                                            work, cache)))
        if options.test_suite:
            test = build_suite(options.test_suite, config.problem, suite_cache_dir())
            boards.append(("test", _board("best", best[0], test.name, test.instances, config.problem,
                                          config.evaluation.budget_steps, options, work, cache)))
    board_html = "".join(f"<h3>{_esc(name)}</h3>{to_html(board_table(b))}"
                         f'<img alt="performance profile ({_esc(name)})" src="{data_uri(profile_figure(b))}">'
                         f'<img alt="anytime curves ({_esc(name)})" src="{data_uri(anytime_figure(b))}">'
                         for name, b in boards) or "<p>no leaderboard (no evaluated candidate, or disabled)</p>"
    val_fit = best[2].fitness if best and best[2] is not None else None
    img = "".join(f'<img alt="plot" src="{uri}">' for uri in plots)
    pop = "".join(f'<img alt="population plot" src="{uri}">' for uri in population)
    subtitle = (f"problem {config.problem}, suite {config.suite.name}, proposer {config.proposer}, "
                f"seed {config.seed}, status {info.status if info else '?'}"
                + (f"; best candidate {best[0].id}" if best else ""))
    template = string.Template(resources.files("heurevo.benchmarks").joinpath("templates/report.html")
                               .read_text(encoding="utf-8"))
    return template.substitute(
        title=_esc(run_dir.name), subtitle=_esc(subtitle),
        verdict=_verdict(boards[0][1] if boards else None, val_fit), budgets=budgets,
        convergence=img, leaderboard=board_html, best=best_html, failures=failures,
        population=pop, config=_esc((run_dir / CONFIG_FILE).read_text(encoding="utf-8")),
        version=_esc(__version__))
