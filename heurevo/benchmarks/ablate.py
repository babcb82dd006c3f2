"""Ablations: the same evolution with one component switched off or one knob swept, then a
leaderboard of what each variant found, with paired tests against the full engine.

Each variant runs real evolutions (one per seed) from a base run config; its leaderboard entry
holds each seed's reported best, and seed ``k`` of the board runs the best of evolution ``k``,
so the Wilcoxon test pairs (instance, seed) across variants. Run folders are kept under the
output folder and a finished one is reused, so an interrupted ablation resumes.

Components (:data:`ABLATIONS`): switch off ``crossover`` or constant ``tune``-ing, the
``explore`` mode on stagnation, the ``minibatch`` stage (full split at once, or 1 instance), the
``smoke`` run, a smaller and a larger ``population``, and the ``proposer`` (gp vs the LLM
proposers, which need an endpoint). Plug-ins add entries with ``ABLATIONS.register``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heurevo.benchmarks.leaderboard import BoardSpec, Entry, Leaderboard, run_board
from heurevo.benchmarks.result_cache import ResultCache
from heurevo.engine.run_config import RunConfig
from heurevo.errors import ConfigError, HeurevoError
from heurevo.populations.records import Candidate
from heurevo.registry import Registry

Variants = Callable[[RunConfig], list[tuple[str, RunConfig]]]
ABLATIONS: Registry[Variants] = Registry("ablation")


def _without_operator(op: str) -> Variants:
    def variants(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
        c = cfg.controller
        exploit = {k: v for k, v in c.exploit_operators.items() if k != op}
        explore = {k: v for k, v in c.explore_operators.items() if k != op}
        if exploit == c.exploit_operators and explore == c.explore_operators:
            raise ConfigError(f"the config's operators have no '{op}' to switch off", key="--component")
        return [(f"no-{op}", dataclasses.replace(cfg, controller=dataclasses.replace(
            c, exploit_operators=exploit, explore_operators=explore)))]
    return variants


def _no_explore(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    c = cfg.controller
    return [("no-explore", dataclasses.replace(cfg, controller=dataclasses.replace(
        c, stagnation_generations=10**9)))]


def _minibatch(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    e = cfg.evaluation
    return [(f"minibatch={m or 'off'}", dataclasses.replace(cfg, evaluation=dataclasses.replace(e, minibatch=m)))
            for m in (0, 1) if m != e.minibatch]


def _smoke(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    return [("no-smoke", dataclasses.replace(cfg, evaluation=dataclasses.replace(cfg.evaluation, smoke=False)))]


def _population(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    n = cfg.controller.population_size
    return [(f"population={m}", dataclasses.replace(cfg, controller=dataclasses.replace(
        cfg.controller, population_size=m))) for m in sorted({max(1, n // 2), 2 * n})]


def _proposer(cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    defaults = type(cfg.controller)()  # the new proposer's own operator tables
    controller = dataclasses.replace(cfg.controller, exploit_operators=defaults.exploit_operators,
                                     explore_operators=defaults.explore_operators)
    return [(f"proposer={name}", dataclasses.replace(cfg, proposer=name, controller=controller))
            for name in ("gp", "llm") if name != cfg.proposer]


ABLATIONS.register("crossover", _without_operator("crossover"), "switch off crossover")
ABLATIONS.register("tune", _without_operator("tune"), "switch off constant tuning")
ABLATIONS.register("explore", _no_explore, "never switch to explore mode on stagnation")
ABLATIONS.register("minibatch", _minibatch, "minibatch stage off (whole split) and of 1 instance")
ABLATIONS.register("smoke", _smoke, "no smoke run on a tiny instance before the minibatch")
ABLATIONS.register("population", _population, "half and twice the population size")
ABLATIONS.register("proposer", _proposer, "the other proposer (gp vs llm; llm needs an endpoint)")


@dataclass(frozen=True)
class AblationSpec:
    """A base config, the components to ablate, seeds, and where the board runs."""

    config: RunConfig
    components: tuple[str, ...]
    seeds: int
    out_dir: Path
    board_suite: str  # instances the variants' bests are compared on (held out, ideally)
    board_steps: int = 0  # 0: the runs' evaluation budget
    workers: int = 2


def variants(spec: AblationSpec) -> list[tuple[str, RunConfig]]:
    """``full`` (the base config) and every component's variants."""
    out = [("full", spec.config)]
    for name in spec.components:
        out += ABLATIONS.get(name)(spec.config)
    labels = [label for label, _ in out]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"components repeat a variant: {labels}", key="--component")
    return out


def evolve_best(config: RunConfig, run_dir: Path) -> Candidate:
    """Run (or resume, or reuse a finished) evolution in ``run_dir``; its reported best."""
    from heurevo.engine.session import STORE_FILE, execute, prepare_run, run_best

    existing = (run_dir / STORE_FILE).is_file()
    if existing:
        from heurevo.engine.session import open_run_store

        store = open_run_store(run_dir)
        info = store.run_info()
        store.close()
        if info is not None and info.status == "finished":
            return run_best(run_dir)[0]
    run = prepare_run(None if existing else config, run_dir, resume=existing)
    try:
        summary = execute(run)
    finally:
        run.close()
    if summary.stats.stopped_because.startswith("interrupted"):
        raise KeyboardInterrupt
    return run_best(run_dir)[0]


def run_ablation(spec: AblationSpec, cache: ResultCache,
                 on_run: Callable[[str, int], None] | None = None) -> Leaderboard:
    """Evolve every variant with every seed, then the leaderboard of their bests (full first)."""
    from heurevo.suites.user import board_suite

    if spec.seeds < 1:
        raise HeurevoError(f"--seeds must be >= 1, got {spec.seeds}")
    entries = []
    for label, cfg in variants(spec):
        bests = []
        for k in range(spec.seeds):
            seed = spec.config.seed + k
            if on_run is not None:
                on_run(label, seed)
            bests.append(evolve_best(dataclasses.replace(cfg, seed=seed),
                                     spec.out_dir / label / f"s{seed}"))
        entries.append(Entry(label, tuple(bests)))
    chosen = board_suite(spec.board_suite)
    if chosen.suite.problem != spec.config.problem:
        raise ConfigError(f"suite '{spec.board_suite}' is {chosen.suite.problem}, the runs are "
                          f"{spec.config.problem}", key="--suite")
    board = BoardSpec(f"{chosen.suite.name} (ablation)", spec.config.problem, chosen.suite.instances,
                      tuple(entries), seeds=spec.seeds,
                      budget_steps=spec.board_steps or spec.config.evaluation.budget_steps,
                      workers=spec.workers, references=chosen.references,
                      reference_kind=chosen.reference_kind)
    return run_board(board, cache, spec.out_dir / "board-work")
