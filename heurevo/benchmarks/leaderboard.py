"""Leaderboards: several heuristic sets on every instance and seed of a suite, through the sandbox.

Every entry (the default heuristics, a run's reported best, a heuristics file, or an external
reference solver) runs each instance with each run seed under the same budget (steps, or wall
seconds with ``time_s``), our kernels in sandboxed workers, and every solution is verified
independently (:mod:`heurevo.benchmarks.board_runners`). Runs are cached by content
(:mod:`heurevo.benchmarks.result_cache`), so adding an entry runs only that entry.

Per entry the board reports the mean gap to the reference (the suite's reference value, else the
best objective any entry found) ± its standard deviation, AutoPBO's ``avg_score`` (the problem's
score against the best known value: PBO ``(best + 1) / (found + 1)`` on the shifted objective,
TSP ``best / length``; 0 when no solution), ``#win`` (instances where the entry's mean objective
is the best), feasible runs, mean solver time, and a paired two-sided Wilcoxon signed-rank test
of its per-run scores against the first entry's.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from heurevo.benchmarks.reference_solvers import (
    REFERENCE_SOLVERS,
    ReferenceSolver,
    reference_solver,
)
from heurevo.benchmarks.result_cache import (
    CacheKey,
    ResultCache,
    RunResult,
    file_hash,
    solver_fingerprint,
)
from heurevo.benchmarks.tables import Column, TableData
from heurevo.errors import ConfigError, HeurevoError
from heurevo.populations.records import Candidate
from heurevo.solvers.problem import get_problem, problem_info
from heurevo.stats import mean_ci, paired_test
from heurevo.suites.catalog import SplitInstance

#: Objectives this close (relative) count as equal when deciding wins.
WIN_TOLERANCE = 1e-9
#: Seconds an external reference solver gets per run on a step-budget board.
DEFAULT_REFERENCE_TIME_S = 10.0


@dataclass(frozen=True)
class Entry:
    """A heuristic set on the board: one candidate, or one per run seed (an ablation's runs),
    or an external reference solver."""

    label: str
    candidates: tuple[Candidate, ...]
    reference: ReferenceSolver | None = None

    def candidate(self, seed_index: int) -> Candidate:
        """The candidate that runs seed number ``seed_index``."""
        return self.candidates[seed_index % len(self.candidates)]

    def key(self, seed_index: int) -> str:
        """What the cache knows this entry's run by: the candidate's code hash, or the solver's key."""
        return self.reference.key if self.reference is not None else self.candidate(seed_index).id


@dataclass(frozen=True)
class Reference:
    """An instance's reference objective and where it came from."""

    value: float | None
    kind: str  # "optima.csv", "refs.csv", "best found", "none"


@dataclass(frozen=True)
class BoardSpec:
    """What to run: instances of one problem, entries, seeds and the budget."""

    suite: str
    problem: str
    instances: tuple[SplitInstance, ...]
    entries: tuple[Entry, ...]
    seeds: int = 5
    budget_steps: int = 0  # 0 = the problem's default
    time_s: float | None = None  # a wall-time budget per run instead of steps (not reproducible)
    reference_time_s: float | None = None  # external solvers' limit (default: time_s, else 10 s)
    first_seed: int = 1
    workers: int = 2
    timeout_s: float = 120.0
    references: dict[str, float] | None = None  # known references by instance name
    reference_kind: str = "refs.csv"

    @property
    def seed_values(self) -> list[int]:
        """The run seeds."""
        return [self.first_seed + k for k in range(self.seeds)]

    @property
    def reference_seconds(self) -> float:
        """The external solvers' time limit per run."""
        return self.reference_time_s or self.time_s or DEFAULT_REFERENCE_TIME_S

    @property
    def budget_text(self) -> str:
        """The budget as the tables say it."""
        ours = f"{self.time_s:g} s" if self.time_s is not None else f"{self.budget_steps} steps"
        if any(e.reference is not None for e in self.entries) and self.reference_seconds != self.time_s:
            ours += f" (reference solvers {self.reference_seconds:g} s)"
        return ours


@dataclass(frozen=True)
class BoardRun:
    """One (entry, instance, seed) result."""

    entry: str
    instance: str
    seed: int
    result: RunResult
    cached: bool


@dataclass(frozen=True)
class EntryStats:
    """An entry's row of the board."""

    label: str
    gap_mean: float | None  # percent, over solved runs
    gap_std: float | None
    avg_score: float
    wins: int
    solved: int
    runs: int
    mean_seconds: float
    p_value: float | None  # paired Wilcoxon vs the first entry (None for the first)
    failures: dict[str, int]


@dataclass(frozen=True)
class Leaderboard:
    """The board: its runs, references and per-entry statistics."""

    spec: BoardSpec
    runs: tuple[BoardRun, ...]
    references: dict[str, Reference]
    stats: tuple[EntryStats, ...]
    scores: dict[tuple[str, str, int], float]  # (entry, instance, seed) → score vs the best known

    @property
    def seed_values(self) -> list[int]:
        """The run seeds."""
        return self.spec.seed_values

    @property
    def budget_steps(self) -> int:
        """Steps per run."""
        return self.spec.budget_steps

    @property
    def evaluated(self) -> int:
        """Runs executed by this call (the rest came from the cache)."""
        return sum(not r.cached for r in self.runs)


# --- entries -----------------------------------------------------------------------------
def default_entry(problem: str) -> Entry:
    """The problem's default heuristics."""
    slots = get_problem(problem).slots()
    return Entry("default", (Candidate.new(problem, {n: s.default_source for n, s in slots.items()},
                                           operator="default", proposer="default"),))


def resolve_entry(spec: str, problem: str) -> Entry:
    """``default``, a reference solver (``cpsat``, ``nupbo:PATH``), a run folder (its reported
    best) or a heuristics ``.py`` file."""
    from heurevo.engine.session import STORE_FILE, run_best
    from heurevo.solvers.compile import load_heuristics_file

    if spec == "default":
        return default_entry(problem)
    solver = reference_solver(spec)
    if solver is not None:
        return Entry(solver.name, (), solver)
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / STORE_FILE).is_file():
            raise ConfigError(f"{path} is not a run folder (no {STORE_FILE})", key="--entry")
        cand = run_best(path)[0]
        if cand.problem != problem:
            raise ConfigError(f"run {path} evolved {cand.problem} heuristics, the suite is {problem}",
                              key="--entry")
        return Entry(path.name, (cand,))
    if path.is_file() and path.suffix == ".py":
        slots = get_problem(problem).slots()
        sources = {n: s.default_source for n, s in slots.items()}
        sources.update(load_heuristics_file(str(path), slots))
        return Entry(path.stem, (Candidate.new(problem, sources, operator="file", proposer="file"),))
    raise ConfigError(f"'{spec}' is neither 'default', a reference solver "
                      f"({', '.join(REFERENCE_SOLVERS.names())}), a run folder nor a .py heuristics file",
                      key="--entry")


def unique_labels(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """The entries with duplicate labels numbered (``best``, ``best#2``)."""
    seen: dict[str, int] = {}
    out = []
    for e in entries:
        n = seen.get(e.label, 0) + 1
        seen[e.label] = n
        out.append(e if n == 1 else replace(e, label=f"{e.label}#{n}"))
    return tuple(out)


# --- running -------------------------------------------------------------------------------
Progress = Callable[[int, int], None]  # (done, total) of the runs this call executes


def run_kind(spec: BoardSpec, entry: Entry) -> str:
    """Which runner runs ``entry`` (:data:`~heurevo.benchmarks.board_runners.RUNNERS`)."""
    if entry.reference is not None:
        return "reference"
    return "time" if spec.time_s is not None else "steps"


def budget_key(spec: BoardSpec, entry: Entry) -> str:
    """The budget as the cache keys it: its kind and size (``steps=100000``, ``time=2s``)."""
    if entry.reference is not None:
        return f"time={spec.reference_seconds:g}s"
    return f"time={spec.time_s:g}s" if spec.time_s is not None else f"steps={spec.budget_steps}"


def run_board(spec: BoardSpec, cache: ResultCache, work_dir: Path,
              progress: Progress | None = None) -> Leaderboard:
    """Run every uncached (entry, instance, seed) (sandboxed or external, always verified),
    then compute the board."""
    from heurevo.benchmarks.board_runners import RUNNERS, Tally

    if spec.seeds < 1:
        raise HeurevoError(f"--seeds must be >= 1, got {spec.seeds}")
    if not spec.entries:
        raise HeurevoError("a leaderboard needs at least one --entry")
    if spec.time_s is not None and not 0 < spec.time_s < float("inf"):
        raise HeurevoError(f"--time must be > 0, got {spec.time_s}")
    for e in spec.entries:
        if e.reference is not None and e.reference.problem != spec.problem:
            raise ConfigError(f"--entry {e.label} solves {e.reference.problem}, the suite is "
                              f"{spec.problem}", key="--entry")
    budget = spec.budget_steps or problem_info(spec.problem).default_budget_steps
    spec = replace(spec, budget_steps=budget)
    solver = solver_fingerprint()
    hashes = {i.name: file_hash(i.path) for i in spec.instances}
    entries = {e.label: e for e in spec.entries}
    keys = {(e.label, i.name, s): CacheKey(e.key(k), hashes[i.name], s, budget_key(spec, e), solver)
            for e in spec.entries for i in spec.instances for k, s in enumerate(spec.seed_values)}
    found = {k: cache.get(key) for k, key in keys.items()}
    todo = [k for k, v in found.items() if v is None]
    first_of: dict[CacheKey, tuple[str, str, int]] = {}  # entries with the same code run once
    for k in todo:
        first_of.setdefault(keys[k], k)
    groups: dict[str, list[tuple[str, str, int]]] = {}
    for item in first_of.values():
        groups.setdefault(run_kind(spec, entries[item[0]]), []).append(item)
    tally = Tally(len(first_of), progress)
    ran: dict[tuple[str, str, int], RunResult] = {}
    for kind, items in groups.items():
        ran |= RUNNERS.get(kind)(spec, items, keys, cache, work_dir, tally)
    fresh = {k: ran[first_of[keys[k]]] for k in todo}
    runs = tuple(BoardRun(e, i, s, found[(e, i, s)] or fresh[(e, i, s)], (e, i, s) not in fresh)
                 for (e, i, s) in keys)
    return summarise(spec, runs, Scorer(spec, cache, hashes, solver))


# --- statistics ----------------------------------------------------------------------------
class Scorer:
    """The problem's score of an objective against a reference; loads instances only when needed.

    With a cache, scores are remembered by instance content, so a board whose results all come
    from the cache never reads an instance file.
    """

    def __init__(self, spec: BoardSpec, cache: ResultCache | None = None,
                 hashes: dict[str, str] | None = None, solver: str = ""):
        self.adapter = get_problem(spec.problem)
        self.paths = {i.name: i.path for i in spec.instances}
        self.cache, self.hashes, self.solver = cache, hashes or {}, solver
        self.loaded: dict[str, Any] = {}

    def __call__(self, instance: str, objective: float, reference: float) -> float:
        key = (self.hashes.get(instance, ""), objective, reference, self.solver)
        if self.cache is not None and key[0]:
            known = self.cache.score(*key)
            if known is not None:
                return known
        if instance not in self.loaded:
            self.loaded[instance] = self.adapter.load(Path(self.paths[instance]))
        value = float(self.adapter.score(self.loaded[instance], objective, True, reference))
        if self.cache is not None and key[0]:
            self.cache.put_score(*key, value)
        return value


def gap_percent(objective: float, reference: float) -> float:
    """Percent above the reference (objectives are minimised)."""
    return 100.0 * (objective - reference) / max(1.0, abs(reference))


def summarise(spec: BoardSpec, runs: tuple[BoardRun, ...], scorer: Scorer | None = None) -> Leaderboard:
    """References, scores, wins and paired tests of the board's runs."""
    scorer = scorer or Scorer(spec)
    paths = {i.name: i.path for i in spec.instances}
    known = spec.references or {}
    best: dict[str, float] = {}
    for r in runs:
        if r.result.solved:
            best[r.instance] = min(best.get(r.instance, float("inf")), float(r.result.objective))  # type: ignore[arg-type]
    references: dict[str, Reference] = {}
    for name in paths:
        if known.get(name) is not None:
            references[name] = Reference(known[name], spec.reference_kind)
        else:
            references[name] = Reference(best.get(name), "best found" if name in best else "none")
    best_known = {n: min(v for v in (best.get(n), references[n].value) if v is not None)
                  for n in paths if n in best or references[n].value is not None}

    def score(r: BoardRun) -> float:
        if not r.result.solved or r.instance not in best_known:
            return 0.0
        return scorer(r.instance, float(r.result.objective), best_known[r.instance])  # type: ignore[arg-type]

    scores = {(r.entry, r.instance, r.seed): score(r) for r in runs}
    labels = [e.label for e in spec.entries]
    means = _mean_objectives(runs)
    stats = []
    pairs = sorted({(r.instance, r.seed) for r in runs})
    for label in labels:
        mine = [r for r in runs if r.entry == label]
        gaps = [gap_percent(float(r.result.objective), references[r.instance].value)  # type: ignore[arg-type]
                for r in mine if r.result.solved and references[r.instance].value is not None]
        gap = mean_ci(gaps) if gaps else None
        wins = 0
        for name in paths:
            vals = [v for (lab, inst), v in means.items() if inst == name and v is not None]
            m = means.get((label, name))
            if m is not None and vals and m <= min(vals) + WIN_TOLERANCE * max(1.0, abs(min(vals))):
                wins += 1
        failures: dict[str, int] = {}
        for r in mine:
            if r.result.status != "ok":
                failures[r.result.status] = failures.get(r.result.status, 0) + 1
        p_value = None
        if label != labels[0]:
            a = [scores[(label, i, s)] for i, s in pairs]
            b = [scores[(labels[0], i, s)] for i, s in pairs]
            p_value = paired_test(a, b, alternative="two-sided").p_value
        stats.append(EntryStats(
            label, gap.mean if gap else None, gap.std if gap else None,
            statistics.fmean(scores[(label, i, s)] for i, s in pairs), wins,
            sum(r.result.solved for r in mine), len(mine),
            statistics.fmean(r.result.seconds for r in mine), p_value, failures))
    return Leaderboard(spec, runs, references, tuple(stats), scores)


def _mean_objectives(runs: tuple[BoardRun, ...]) -> dict[tuple[str, str], float | None]:
    """Mean objective per (entry, instance) over seeds; None when any seed found no solution."""
    grouped: dict[tuple[str, str], list[float | None]] = {}
    for r in runs:
        grouped.setdefault((r.entry, r.instance), []).append(
            float(r.result.objective) if r.result.solved else None)  # type: ignore[arg-type]
    return {k: None if any(v is None for v in vals) else statistics.fmean(vals)  # type: ignore[misc]
            for k, vals in grouped.items()}


# --- renderings ----------------------------------------------------------------------------
def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def board_table(board: Leaderboard) -> TableData:
    """One row per entry: gap, avg_score, #win, solved, time, p-value."""
    rows = []
    for s in board.stats:
        gap = "—" if s.gap_mean is None else f"{s.gap_mean:.3f} ± {s.gap_std:.3f}"
        fails = ", ".join(f"{k} {v}" for k, v in sorted(s.failures.items())) or ""
        rows.append((s.label, gap, f"{s.avg_score:.4f}", str(s.wins), f"{s.solved}/{s.runs}",
                     f"{s.mean_seconds:.3f}", "—" if s.p_value is None else f"{s.p_value:.3g}", fails))
    kinds = sorted({r.kind for r in board.references.values()})
    spec = board.spec
    caption = (f"{len(spec.instances)} instances × {spec.seeds} seeds at {spec.budget_text}; "
               f"every solution verified; reference: {', '.join(kinds)}; p: paired two-sided "
               f"Wilcoxon of per-run scores vs {spec.entries[0].label}")
    if spec.time_s is not None or any(e.reference is not None for e in spec.entries):
        caption += "; time budgets depend on the machine and its load: not reproducible elsewhere"
    cols = (Column("entry", "left"), Column("gap % ± std"), Column("avg_score"), Column("#win"),
            Column("solved"), Column("mean s"), Column("p vs first"), Column("failures", "left"))
    return TableData(f"leaderboard: {spec.suite} ({spec.problem})", cols, tuple(rows), caption)


def per_instance_table(board: Leaderboard) -> TableData:
    """One row per instance: the reference and each entry's mean objective over seeds."""
    means = _mean_objectives(board.runs)
    labels = [e.label for e in board.spec.entries]
    rows = []
    for inst in board.spec.instances:
        ref = board.references[inst.name]
        rows.append((inst.name, _fmt_obj(ref.value), ref.kind,
                     *(_fmt_obj(means.get((lab, inst.name))) for lab in labels)))
    cols = (Column("instance", "left"), Column("reference"), Column("kind", "left"),
            *(Column(lab) for lab in labels))
    return TableData("mean objective per instance (lower is better; — = a seed found no solution)",
                     cols, tuple(rows))


def _fmt_obj(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def board_json(board: Leaderboard, per_instance: bool = False) -> dict[str, Any]:
    """The board as JSON-ready data (``p_value`` per entry; runs when ``per_instance``)."""
    spec = board.spec
    out: dict[str, Any] = {
        "suite": spec.suite, "problem": spec.problem, "budget_steps": board.budget_steps,
        "time_s": spec.time_s, "budget_kind": "time" if spec.time_s is not None else "steps",
        "reference_time_s": spec.reference_seconds if any(e.reference for e in spec.entries) else None,
        "seeds": spec.seeds, "instances": len(spec.instances), "evaluated": board.evaluated,
        "reused": len(board.runs) - board.evaluated,
        "entries": [{"label": s.label, "gap_mean": s.gap_mean, "gap_std": s.gap_std,
                     "avg_score": s.avg_score, "wins": s.wins, "solved": s.solved, "runs": s.runs,
                     "mean_seconds": s.mean_seconds, "p_value": s.p_value, "failures": s.failures}
                    for s in board.stats],
        "references": {k: {"value": v.value, "kind": v.kind} for k, v in board.references.items()},
    }
    if per_instance:
        out["runs"] = [{"entry": r.entry, "instance": r.instance, "seed": r.seed,
                        "status": r.result.status, "objective": r.result.objective,
                        "verified": r.result.verified, "seconds": r.result.seconds,
                        "cached": r.cached, "trace": [list(p) for p in r.result.trace],
                        "step_trace": [list(p) for p in r.result.step_trace]}
                       for r in board.runs]
    return out
