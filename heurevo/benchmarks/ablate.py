"""Ablations: the same evolution with one component switched off or one knob swept, then a
leaderboard of what each variant found, with paired tests against the full engine.

Each variant runs real evolutions (one per seed) from a base run config; its leaderboard entry
holds each seed's reported best, and seed ``k`` of the board runs the best of evolution ``k``,
so the Wilcoxon test pairs (instance, seed) across variants. Run folders are kept under the
output folder and a finished one is reused, so an interrupted ablation resumes.

Components (:data:`ABLATIONS`): switch off ``crossover`` or constant ``tune``-ing, the
``explore`` mode on stagnation or the ``smoke`` run; or sweep a knob, with values after ``=``
(``--component minibatch=1,2,8``) or the component's own choice: the ``minibatch`` of instances
per evaluation, the ``population`` size, how much of the evaluation ``feedback`` (trace and
errors) an LLM proposer sees, the ``proposer`` and the ``start``-ing artifact (the default, empty
or random heuristic; :mod:`heurevo.engine.start`). Plug-ins add entries with
``ABLATIONS.register``.
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

#: A component's variants of a config; ``values`` are the sweep's values (``minibatch=1,2,8``),
#: empty for the component's own choice.
Variants = Callable[[RunConfig, tuple[str, ...]], list[tuple[str, RunConfig]]]
ABLATIONS: Registry[Variants] = Registry("ablation")


def _no_values(name: str, values: tuple[str, ...]) -> None:
    if values:
        raise ConfigError(f"'{name}' is switched off, it takes no values (got {','.join(values)})",
                          key="--component")


def _ints(name: str, values: tuple[str, ...], low: int) -> list[int]:
    """The sweep's values as integers >= ``low``."""
    out = []
    for v in values:
        try:
            n = int(v)
        except ValueError:
            n = low - 1
        if n < low:
            raise ConfigError(f"{name}={v}: needs whole numbers >= {low}", key="--component")
        out.append(n)
    return out


def _without_operator(op: str) -> Variants:
    def variants(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
        _no_values(op, values)
        c = cfg.controller
        exploit = {k: v for k, v in c.exploit_operators.items() if k != op}
        explore = {k: v for k, v in c.explore_operators.items() if k != op}
        if exploit == c.exploit_operators and explore == c.explore_operators:
            raise ConfigError(f"the config's operators have no '{op}' to switch off", key="--component")
        return [(f"no-{op}", dataclasses.replace(cfg, controller=dataclasses.replace(
            c, exploit_operators=exploit, explore_operators=explore)))]
    return variants


def _no_explore(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    _no_values("explore", values)
    c = cfg.controller
    return [("no-explore", dataclasses.replace(cfg, controller=dataclasses.replace(
        c, stagnation_generations=10**9)))]


def _minibatch(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    e = cfg.evaluation
    sizes = _ints("minibatch", values, 0) if values else [0, 1]
    return [(f"minibatch={m or 'off'}", dataclasses.replace(cfg, evaluation=dataclasses.replace(e, minibatch=m)))
            for m in sizes if m != e.minibatch]


def _smoke(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    _no_values("smoke", values)
    return [("no-smoke", dataclasses.replace(cfg, evaluation=dataclasses.replace(cfg.evaluation, smoke=False)))]


def _population(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    n = cfg.controller.population_size
    sizes = _ints("population", values, 1) if values else sorted({max(1, n // 2), 2 * n})
    return [(f"population={m}", dataclasses.replace(cfg, controller=dataclasses.replace(
        cfg.controller, population_size=m))) for m in sizes if m != n]


def _feedback(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    if cfg.proposer == "gp":
        raise ConfigError("'feedback' sweeps how much of an evaluation's trace an LLM proposer "
                          "sees; the gp proposer reads none (ablate 'proposer' first)", key="--component")
    floor = 100  # LLMProposerConfig.validate refuses less
    n = cfg.llm_proposer.feedback_chars
    sizes = _ints("feedback", values, floor) if values else sorted({floor, 4 * n})
    return [(f"feedback={m}", dataclasses.replace(cfg, llm_proposer=dataclasses.replace(
        cfg.llm_proposer, feedback_chars=m))) for m in sizes if m != n]


def _proposer(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    from heurevo.engine.proposers.base import PROPOSERS

    names = list(values) or [n for n in ("gp", "llm") if n != cfg.proposer]
    for name in names:
        PROPOSERS.get(name)  # an unknown proposer is refused by name
    defaults = type(cfg.controller)()  # the new proposer's own operator tables
    controller = dataclasses.replace(cfg.controller, exploit_operators=defaults.exploit_operators,
                                     explore_operators=defaults.explore_operators)
    return [(f"proposer={name}", dataclasses.replace(cfg, proposer=name, controller=controller))
            for name in names if name != cfg.proposer]


def _start(cfg: RunConfig, values: tuple[str, ...]) -> list[tuple[str, RunConfig]]:
    from heurevo.engine.start import STARTS

    names = list(values) or [n for n in STARTS.names() if n != cfg.start]
    for name in names:
        if name not in STARTS:
            raise ConfigError(f"start={name}: unknown start; known: {', '.join(STARTS.names())}",
                              key="--component")
    return [(f"start={name}", dataclasses.replace(cfg, start=name)) for name in names
            if name != cfg.start]


ABLATIONS.register("crossover", _without_operator("crossover"), "switch off crossover")
ABLATIONS.register("tune", _without_operator("tune"), "switch off constant tuning")
ABLATIONS.register("explore", _no_explore, "never switch to explore mode on stagnation")
ABLATIONS.register("minibatch", _minibatch, "instances per minibatch stage: minibatch=0,1,2,8 "
                   "(0 = off, whole split at once; default sweep 0 and 1)")
ABLATIONS.register("smoke", _smoke, "no smoke run on a tiny instance before the minibatch")
ABLATIONS.register("population", _population, "population size: population=4,16 (default half and twice)")
ABLATIONS.register("feedback", _feedback, "characters of evaluation feedback an LLM proposer sees: "
                   "feedback=100,4800 (default 100 and 4x the config's)")
ABLATIONS.register("start", _start, "the starting artifact: start=default,empty,random (the "
                   "slots' defaults, the constant 0.0 in every hole, a random GP tree; default "
                   "sweep: the two the config does not use); the guard still compares with the default")
ABLATIONS.register("proposer", _proposer, "other proposers: proposer=gp,llm,autopbo "
                   "(default gp vs llm; LLM proposers need an endpoint)")


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
    for component in spec.components:
        name, eq, values = component.partition("=")
        picked = tuple(v.strip() for v in values.split(",") if v.strip())
        if eq and not picked:
            raise ConfigError(f"'{component}': give values after '=' (minibatch=1,2)", key="--component")
        out += ABLATIONS.get(name.strip())(spec.config, picked)
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
