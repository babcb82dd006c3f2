"""Assemble a run from its config and a run folder: store, suite, evaluator, proposer, loop.

A run folder holds ``config.toml`` (the resolved config), ``run.sqlite`` (the store), ``work/``
(smoke instances) and, while a process works on it, ``lock`` (its pid and host). Starting a run
in a folder that already holds one is refused unless ``resume`` is set; resuming reads the
folder's own config. The store is checked whenever it is opened: a missing, empty or damaged
store is an error, never a fresh start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heurevo.config import dump_toml, load_toml
from heurevo.engine.cire import CireParts, build_parts
from heurevo.engine.controller import Controller
from heurevo.engine.evaluate import StagedEvaluator
from heurevo.engine.proposers.factory import make_client, make_proposer
from heurevo.engine.run import Acceptance, Budgets, RunLoop, RunStats, RunSummary
from heurevo.engine.run_config import RunConfig
from heurevo.engine.run_lock import RunFolderError, RunLock, not_writable
from heurevo.engine.start import StartContext, start_candidate
from heurevo.errors import ConfigError
from heurevo.populations.lineage import best_candidate
from heurevo.populations.records import Candidate, EvaluationResult
from heurevo.populations.store import SQLiteStore, StoreError
from heurevo.solvers.problem import get_problem
from heurevo.suites.catalog import build_suite, split_suite, suite_cache_dir

CONFIG_FILE = "config.toml"
STORE_FILE = "run.sqlite"




@dataclass
class Run:
    """The assembled parts of one run."""

    config: RunConfig
    run_dir: Path
    store: SQLiteStore
    evaluator: StagedEvaluator
    loop: RunLoop
    slot_names: tuple[str, ...]
    start: Candidate | None = None  # the first generation (None: the default heuristic)
    cire: CireParts | None = None
    lock: RunLock | None = None
    notices: tuple[str, ...] = ()  # what the user should be told (a stale lock, resume changes)

    def close(self) -> None:
        """Stop workers and the proposer, close the store (and the notebook), give up the lock."""
        try:
            self.evaluator.close()
            self.loop.proposer.close()
            if self.cire is not None:
                self.cire.close()
            self.store.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def budgets_of(config: RunConfig) -> Budgets:
    """The loop's budgets: 0 or absent means no limit of that kind (evaluations are required)."""
    b = config.budget
    return Budgets(evaluations=b.evaluations, wall_time_s=b.wall_time_s or None,
                   proposals=b.proposals or None, generations=b.generations or None,
                   tokens=b.tokens or None, cost_usd=b.cost_usd or None)


def load_run_config(run_dir: Path) -> RunConfig:
    """The stored config of an existing run folder (a clear error when it is not one)."""
    cfg_path = Path(run_dir) / CONFIG_FILE
    if not cfg_path.is_file():
        raise RunFolderError(f"{run_dir}: no {CONFIG_FILE} here; is this a heurevo run folder?")
    return load_toml(RunConfig, cfg_path)


def _check_slots(config: RunConfig, cfg_path: Path) -> None:
    slots = get_problem(config.problem).slots()
    unknown = [n for n in config.slots if n not in slots]
    if unknown:
        raise ConfigError(f"unknown slot(s) {unknown} for {config.problem}; known: {list(slots)}",
                          key="slots", path=cfg_path)


def _new_folder(run_dir: Path) -> list[Path]:
    """Create ``run_dir`` for a new run; the paths created (to remove if the start fails)."""
    if (run_dir / STORE_FILE).exists() or (run_dir / CONFIG_FILE).exists():
        raise RunFolderError(f"{run_dir} already holds a run; use --resume to continue it "
                             "or choose another --run-dir")
    created = []
    missing = [run_dir, *run_dir.parents]
    missing = [d for d in missing if not d.exists()]
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise not_writable(run_dir, exc) from None
    created.extend(sorted(missing, key=lambda d: len(d.parts)))
    return created


def _remove_created(run_dir: Path, created: list[Path]) -> None:
    """Undo a failed start: the files this start wrote, then the folders it made (if empty)."""
    for name in (CONFIG_FILE, STORE_FILE, STORE_FILE + "-wal", STORE_FILE + "-shm"):
        with contextlib.suppress(OSError):
            (run_dir / name).unlink()
    shutil.rmtree(run_dir / "work", ignore_errors=True)
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def prepare_run(config: RunConfig | None, run_dir: Path, *, resume: bool = False,
                on_progress: Callable[[RunStats], None] | None = None) -> Run:
    """Build every part of a run (without starting it).

    A new run validates everything it can (config, suite, slot names) before it writes the
    folder, and removes what it wrote when assembling fails. ``resume`` continues the folder's
    run with ``config`` if given (reconciled by :class:`heurevo.engine.run_flags.RunFlags`) or
    its stored config; either way the folder's lock is held until :meth:`Run.close`."""
    run_dir = Path(run_dir)
    cfg_path = run_dir / CONFIG_FILE
    notices: list[str] = []
    if resume:
        stored = load_run_config(run_dir)
        config = config or stored
        created: list[Path] = []
    else:
        if config is None:
            raise ValueError("a config is needed to start a run")
        _check_slots(config, cfg_path)
        build_suite(config.suite.name, config.problem, suite_cache_dir())
        created = _new_folder(run_dir)
    lock = RunLock.acquire(run_dir)
    if lock.notice:
        notices.append(lock.notice)
    parts: list[object] = []
    try:
        if resume:
            open_run_store(run_dir).close()  # a missing, empty or damaged store stops here
        if not resume or config != stored:
            dump_toml(config, cfg_path)
        store = SQLiteStore(run_dir / STORE_FILE)
        parts.append(store)
        store.init_run(run_dir.name, config.seed, cfg_path.read_text(encoding="utf-8"))
        suite = build_suite(config.suite.name, config.problem, suite_cache_dir())
        splits = split_suite(suite, config.suite.validation_fraction, config.seed)
        evaluator = StagedEvaluator(config.problem, splits, config.evaluation, config.seed,
                                    run_dir / "work", executor=config.executor)
        parts.append(evaluator)
        notices.extend(evaluator.executor.notices())
        slots = evaluator.slots
        proposer = make_proposer(config, slots, store)
        parts.append(proposer)
        names = config.slots or tuple(proposer.evolvable())
        if not names:
            raise ConfigError(f"the {config.proposer} proposer can evolve none of "
                              f"{config.problem}'s slots", key="slots", path=cfg_path)
        _check_slots(dataclasses.replace(config, slots=names), cfg_path)
        start = start_candidate(config.start, StartContext(
            config.problem, slots, names, config.seed, config.gp), evaluator.default_candidate)
        cire = build_parts(config.cire, slots, store, run_dir.name, config.problem,
                           prompts=config.proposer != "gp",
                           judge_client=make_client(config, store) if config.cire.judge.enabled else None)
    except BaseException:
        for part in reversed(parts):
            with contextlib.suppress(Exception):
                part.close()  # type: ignore[attr-defined]
        lock.release()
        if not resume:
            _remove_created(run_dir, created)
        raise
    defaults = {n: s.default_source for n, s in slots.items()}
    controller = Controller(config.controller, config.problem, names, defaults, config.seed,
                            proposer.operators, clusterer=cire.clusterer)
    loop = RunLoop(controller, proposer, evaluator, store, budgets_of(config),
                   workers=evaluator.executor.workers, usage=proposer.usage,
                   on_progress=on_progress,
                   acceptance=Acceptance(config.evaluation.test, config.evaluation.alpha), hooks=cire)
    return Run(config, run_dir, store, evaluator, loop, names, start, cire, lock, tuple(notices))


def open_run_store(run_dir: Path) -> SQLiteStore:
    """The checked store of an existing run (missing, empty, damaged or run-less: an error)."""
    path = Path(run_dir) / STORE_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir}: no {STORE_FILE}; is this a heurevo run folder?")
    store = SQLiteStore(path, create=False)
    if store.run_info() is None:
        store.close()
        raise StoreError(f"{path}: the store holds no run (it was never started or was emptied)")
    return store


def run_best(run_dir: Path) -> tuple[Candidate, EvaluationResult, EvaluationResult | None]:
    """The run's reported best: (candidate, train result, validation result or None)."""
    store = open_run_store(run_dir)
    try:
        with store.reading():
            best = best_candidate(store)
    finally:
        store.close()
    if best is None:
        raise RunFolderError(f"{run_dir}: no evaluated candidate yet")
    return best


def execute(run: Run) -> RunSummary:
    """Run the loop from the config's start (the default heuristic unless ``start`` says
    otherwise; the guard always compares with the default); safe to call again (resume)."""
    default = run.evaluator.default_candidate
    return run.loop.run([run.start or default], default=default)


def stored_train_evaluations(store: SQLiteStore) -> int:
    """How many train evaluations the store holds: what the run has done, interrupted or not."""
    with store.reading():
        return sum(key.split("/")[1] == "train" for key, _ in store.evaluations())
