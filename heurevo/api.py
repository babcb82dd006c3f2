"""heurevo's public Python API: solve an instance, evolve heuristics, read a run.

Everything here is re-exported from :mod:`heurevo`; nothing heavy (Numba, the engine) is
imported until a function is called.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heurevo.engine.run import RunSummary
    from heurevo.engine.run_config import RunConfig
    from heurevo.solvers.slots import Slot
    from heurevo.solvers.solve import SolveOutcome


@dataclass(frozen=True)
class HeuristicSet:
    """Source code for some slots of one problem (the slots left out keep their defaults).

    ``sources`` maps slot name → source; one source may define several slot functions and
    helpers (as ``heurevo export`` writes), in which case every slot it defines maps to it.
    """

    problem: str
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_source(cls, problem: str, source: str) -> HeuristicSet:
        """The slots whose functions ``source`` defines (raises ``SlotError`` when none)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "heuristics.py"
            path.write_text(source, encoding="utf-8")
            return cls.from_file(problem, path)

    @classmethod
    def from_file(cls, problem: str, path: str | Path) -> HeuristicSet:
        """The slots whose functions the Python file at ``path`` defines."""
        from heurevo.solvers.compile import load_heuristics_file

        return cls(problem, load_heuristics_file(str(path), slots(problem)))

    def write(self, path: str | Path, header: str = "") -> Path:
        """Write the set as one file for ``heurevo solve --heuristics`` (or :func:`solve`)."""
        from heurevo.populations.export import export_source
        from heurevo.populations.records import Candidate

        cand = Candidate.new(self.problem, dict(self.sources), operator="api", proposer="api")
        out = Path(path)
        out.write_text(export_source(cand, slots(self.problem), header), encoding="utf-8")
        return out


def problems() -> list[str]:
    """Names of the registered problems (plug-ins installed as packages included)."""
    from heurevo.solvers.problem import PROBLEMS

    return PROBLEMS.names()


def slots(problem: str) -> dict[str, Slot]:
    """The slots of ``problem`` by name (``slot.describe()`` shows the signature and contract)."""
    from heurevo.solvers.problem import get_problem

    return get_problem(problem).slots()


def _heuristic_set(problem: str, heuristics: HeuristicSet | str | Path | None) -> HeuristicSet | None:
    if heuristics is None or isinstance(heuristics, HeuristicSet):
        return heuristics
    if isinstance(heuristics, Path) or (isinstance(heuristics, str) and "\n" not in heuristics
                                        and Path(heuristics).is_file()):
        return HeuristicSet.from_file(problem, heuristics)
    return HeuristicSet.from_source(problem, heuristics)


def solve(instance: str | Path, *, heuristics: HeuristicSet | str | Path | None = None,
          steps: int | None = None, seed: int = 1, time_s: float | None = None) -> SolveOutcome:
    """Solve an instance file (its suffix picks the problem) and verify the result.

    ``heuristics`` is a :class:`HeuristicSet`, Python source text, or a path to a Python file;
    ``steps`` is the solver's step budget (the problem's default when None).
    """
    from heurevo.errors import SolverError
    from heurevo.solvers.problem import problem_for_suffix
    from heurevo.solvers.solve import SolveOptions, solve_file

    path = Path(instance)
    info = problem_for_suffix(path.suffix)
    if info is None:
        return solve_file(path, SolveOptions())  # raises the usual "unknown instance type" error
    chosen = _heuristic_set(info.name, heuristics)
    if chosen is not None and chosen.problem != info.name:
        raise SolverError(f"{path}: heuristics for '{chosen.problem}' cannot solve a "
                          f"'{info.name}' instance")
    with tempfile.TemporaryDirectory() as tmp:
        file = chosen.write(Path(tmp) / "heuristics.py") if chosen and chosen.sources else None
        return solve_file(path, SolveOptions(steps=steps, time_s=time_s, seed=seed,
                                             heuristics=file, quiet=True))


@dataclass(frozen=True)
class Best:
    """The reported best of a run: its heuristics and fitness (1.0 = the default heuristic)."""

    candidate_id: str
    heuristics: HeuristicSet
    train_fitness: float | None
    validation_fitness: float | None


@dataclass(frozen=True)
class Run:
    """A run folder: its config, its best heuristics and a printable report."""

    run_dir: Path
    summary: RunSummary | None = None

    @property
    def config(self) -> RunConfig:
        """The run's resolved configuration."""
        from heurevo.config import load_toml
        from heurevo.engine.run_config import RunConfig
        from heurevo.engine.session import CONFIG_FILE

        return load_toml(RunConfig, self.run_dir / CONFIG_FILE)

    @property
    def best(self) -> Best:
        """The run's reported best (by validation when the run validated it)."""
        from heurevo.engine.session import run_best

        cand, train, val = run_best(self.run_dir)
        return Best(cand.id, HeuristicSet(cand.problem, dict(cand.sources)), train.fitness,
                    val.fitness if val else None)

    def show(self, top: int = 5) -> None:
        """Print the run's summary, top candidates and the best one's lineage."""
        from rich.console import Console

        from heurevo.engine.session import open_run_store
        from heurevo.engine.views import run_report

        store = open_run_store(self.run_dir)
        try:
            Console().print(run_report(store, top))
        finally:
            store.close()


def load_run(run_dir: str | Path) -> Run:
    """An existing run folder (raises ``HeurevoError`` when it is not one)."""
    from heurevo.engine.session import open_run_store

    open_run_store(Path(run_dir)).close()
    return Run(Path(run_dir))


#: Keywords of :func:`evolve` that set a nested config value.
_SHORTCUTS = {"evaluations": ("budget", "evaluations"), "wall_time_s": ("budget", "wall_time_s"),
              "generations": ("budget", "generations"), "workers": ("evaluation", "workers"),
              "budget_steps": ("evaluation", "budget_steps"), "suite": ("suite", "name")}


def run_config(**keywords: Any) -> RunConfig:
    """A validated :class:`~heurevo.engine.run_config.RunConfig` from keywords.

    Top-level fields (``problem``, ``seed``, ``proposer``, ``slots``, or whole sections as
    mappings) plus shortcuts: ``evaluations``, ``wall_time_s``, ``generations``, ``workers``,
    ``budget_steps``, ``suite`` (a suite name or folder). Errors are ``ConfigError`` naming the key.
    """
    from heurevo.config import from_mapping

    data: dict[str, Any] = {}
    for key, value in keywords.items():
        if key in _SHORTCUTS:
            section, name = _SHORTCUTS[key]
            data.setdefault(section, {})[name] = str(value) if key == "suite" else value
        else:
            data[key] = value
    from heurevo.engine.run_config import RunConfig

    return from_mapping(RunConfig, data, path="<keywords>")


def evolve(config: RunConfig | None = None, *, run_dir: str | Path | None = None,
           resume: bool = False, **keywords: Any) -> Run:
    """Run an evolution to its budget and return the run (see :func:`run_config` for keywords).

    ``run_dir`` defaults to ``<runs_dir>/<problem>-s<seed>`` from the settings; ``resume``
    continues the run already in that folder with its own config.
    """
    from heurevo.config import load_settings
    from heurevo.engine.session import execute, prepare_run

    if config is not None and keywords:
        raise TypeError("evolve() takes a config or keywords, not both")
    cfg = config if config is not None else run_config(**keywords)
    folder = Path(run_dir) if run_dir is not None else (
        load_settings().runs_dir / f"{cfg.problem}-s{cfg.seed}")
    run = prepare_run(None if resume else cfg, folder, resume=resume)
    try:
        summary = execute(run)
    finally:
        run.close()
    return Run(folder, summary)
