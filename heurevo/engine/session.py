"""Assemble a run from its config and a run folder: store, suite, evaluator, proposer, loop.

A run folder holds ``config.toml`` (the resolved config), ``run.sqlite`` (the store) and
``work/`` (smoke instances). Starting a run in a folder that already holds evaluations is
refused unless ``resume`` is set; resuming reads the folder's own config.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heurevo.benchmarks.suites import build_suite, split_suite
from heurevo.config import dump_toml, load_toml
from heurevo.engine.cire import CireParts, build_parts
from heurevo.engine.controller import Controller
from heurevo.engine.evaluate import StagedEvaluator
from heurevo.engine.proposers.factory import make_proposer
from heurevo.engine.run import Acceptance, Budgets, RunLoop, RunStats, RunSummary
from heurevo.engine.run_config import RunConfig
from heurevo.errors import ConfigError, HeurevoError
from heurevo.populations.lineage import best_candidate
from heurevo.populations.records import Candidate, EvaluationResult
from heurevo.populations.store import SQLiteStore

CONFIG_FILE = "config.toml"
STORE_FILE = "run.sqlite"


def suite_cache_dir() -> Path:
    """Where generated suites are written (``$HEUREVO_CACHE`` or ~/.cache/heurevo)."""
    base = os.environ.get("HEUREVO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "heurevo")
    return Path(base) / "suites"


@dataclass
class Run:
    """The assembled parts of one run."""

    config: RunConfig
    run_dir: Path
    store: SQLiteStore
    evaluator: StagedEvaluator
    loop: RunLoop
    slot_names: tuple[str, ...]
    cire: CireParts | None = None

    def close(self) -> None:
        """Stop workers and the proposer, and close the store (and the notebook)."""
        self.evaluator.close()
        self.loop.proposer.close()
        if self.cire is not None:
            self.cire.close()
        self.store.close()


def prepare_run(config: RunConfig | None, run_dir: Path, *, resume: bool = False,
                on_progress: Callable[[RunStats], None] | None = None) -> Run:
    """Build every part of a run (without starting it)."""
    run_dir = Path(run_dir)
    cfg_path = run_dir / CONFIG_FILE
    if resume:
        if not cfg_path.is_file():
            raise HeurevoError(f"{run_dir}: no {CONFIG_FILE} here; is this a heurevo run folder?")
        config = load_toml(RunConfig, cfg_path)
    else:
        if config is None:
            raise ValueError("a config is needed to start a run")
        if (run_dir / STORE_FILE).exists():
            raise HeurevoError(f"{run_dir} already holds a run; use --resume to continue it "
                               "or choose another --run-dir")
        run_dir.mkdir(parents=True, exist_ok=True)
        dump_toml(config, cfg_path)
    assert config is not None
    store = SQLiteStore(run_dir / STORE_FILE)
    store.init_run(run_dir.name, config.seed, cfg_path.read_text(encoding="utf-8"))
    suite = build_suite(config.suite.name, config.problem, suite_cache_dir())
    splits = split_suite(suite, config.suite.validation_fraction, config.seed)
    evaluator = StagedEvaluator(config.problem, splits, config.evaluation, config.seed, run_dir / "work")
    slots = evaluator.slots
    proposer = make_proposer(config, slots, store)
    names = config.slots or tuple(proposer.evolvable())
    if not names:
        raise ConfigError(f"the {config.proposer} proposer can evolve none of {config.problem}'s slots",
                          key="slots", path=cfg_path)
    unknown = [n for n in names if n not in slots]
    if unknown:
        raise ConfigError(f"unknown slot(s) {unknown} for {config.problem}; known: {list(slots)}",
                          key="slots", path=cfg_path)
    defaults = {n: s.default_source for n, s in slots.items()}
    cire = build_parts(config.cire, slots, store, run_dir.name, config.problem,
                       prompts=config.proposer != "gp")
    controller = Controller(config.controller, config.problem, names, defaults, config.seed,
                            proposer.operators, clusterer=cire.clusterer)
    b = config.budget
    budgets = Budgets(evaluations=b.evaluations, wall_time_s=b.wall_time_s, proposals=b.proposals,
                      generations=b.generations, tokens=b.tokens, cost_usd=b.cost_usd)
    loop = RunLoop(controller, proposer, evaluator, store, budgets, workers=config.evaluation.workers,
                   usage=proposer.usage, on_progress=on_progress,
                   acceptance=Acceptance(config.evaluation.test, config.evaluation.alpha), hooks=cire)
    return Run(config, run_dir, store, evaluator, loop, names, cire)


def open_run_store(run_dir: Path) -> SQLiteStore:
    """The store of an existing run folder; a clear error when the folder is not one."""
    path = Path(run_dir) / STORE_FILE
    if not path.is_file():
        raise HeurevoError(f"{run_dir}: no {STORE_FILE}; is this a heurevo run folder?")
    return SQLiteStore(path)


def run_best(run_dir: Path) -> tuple[Candidate, EvaluationResult, EvaluationResult | None]:
    """The run's reported best: (candidate, train result, validation result or None)."""
    store = open_run_store(run_dir)
    try:
        best = best_candidate(store)
    finally:
        store.close()
    if best is None:
        raise HeurevoError(f"{run_dir}: no evaluated candidate yet")
    return best


def execute(run: Run) -> RunSummary:
    """Run the loop from the default heuristic; safe to call again on the same folder (resume)."""
    return run.loop.run([run.evaluator.default_candidate])
