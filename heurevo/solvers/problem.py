"""What the engine needs from a problem: its slots, instances, a verified solve and a score.

Each problem package provides one :class:`ProblemAdapter` and one :class:`ProblemInfo`, the
light record :data:`PROBLEMS` holds: the adapter's ``"module:Class"`` (imported only when the
problem is used), its file suffixes, default step budget and default suites. Every table the
engine and CLI need (suffix dispatch, budgets, suites, held-out suites) is read from there. An
installed package adds a problem by declaring its ``ProblemInfo`` under the ``heurevo.problems``
entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heurevo.errors import SolverError
from heurevo.registry import Registry, resolve
from heurevo.solvers.slots import Slot


@dataclass(frozen=True)
class RunOutput:
    """One verified solver run (the verifier, not the kernel, decides feasible and objective)."""

    objective: float | None
    feasible: bool
    verified: bool
    steps: int
    seconds: float
    trace: tuple[tuple[int, float, float], ...] = ()
    #: the raw solution (assignment, tour, ...), for :meth:`ProblemAdapter.check` in another process
    solution: Any = field(default=None, compare=False, repr=False)


class FileCache:
    """The last ``size`` instance files read by ``load``, by path: what ``check`` reads per run."""

    def __init__(self, load: Callable[[Path], Any], size: int = 64):
        self._load = load
        self._size = size
        self._files: OrderedDict[Path, Any] = OrderedDict()

    def __call__(self, path: Path) -> Any:
        """The loaded file at ``path`` (read once while it stays among the last ``size``)."""
        path = Path(path)
        if path not in self._files:
            self._files[path] = self._load(path)
            if len(self._files) > self._size:
                self._files.popitem(last=False)
        self._files.move_to_end(path)
        return self._files[path]


@dataclass(frozen=True)
class Checked:
    """A solution judged from the instance file alone: the minimised objective and its score."""

    objective: float | None
    feasible: bool
    score: float


@dataclass(frozen=True)
class ProblemInfo:
    """What the registry knows of a problem without importing its solver.

    ``adapter`` is ``"module:Class"`` of its :class:`ProblemAdapter`; ``suffixes`` the instance
    file suffixes it reads (lower case, with the dot); ``default_budget_steps`` the evaluation
    budget per instance run when a config leaves it at 0; ``default_suite`` and
    ``heldout_suite`` name registered suites (training and held-out comparison); ``solve``
    optionally names ``"module:function"`` of a dedicated ``heurevo solve`` implementation
    (empty: files are solved through the adapter).
    """

    name: str
    adapter: str
    description: str
    suffixes: tuple[str, ...]
    default_budget_steps: int
    default_suite: str
    heldout_suite: str
    solve: str = ""


class ProblemAdapter(ABC):
    """A problem as the engine sees it."""

    name: str = ""

    @abstractmethod
    def slots(self) -> dict[str, Slot]:
        """The problem's slots by name, in kernel order."""

    @abstractmethod
    def load(self, path: Path) -> Any:
        """Read an instance file into the arrays the kernel uses."""

    @abstractmethod
    def run(self, instance: Any, functions: dict[str, Any], seed: int, budget_steps: int) -> RunOutput:
        """Solve ``instance`` and verify the result.

        ``functions`` holds compiled functions only for the slots a candidate changes; every
        other slot runs its default.
        """

    @abstractmethod
    def score(self, instance: Any, objective: float | None, feasible: bool,
              reference: float | None) -> float:
        """Quality relative to ``reference`` (1.0 = as good as the reference; higher is better)."""

    @abstractmethod
    def smoke_instance(self, directory: Path) -> Path:
        """Write a tiny instance for smoke runs into ``directory`` and return its path."""

    def check(self, path: Path, solution: Any, reference: float | None) -> Checked | None:
        """Judge ``solution`` (a :attr:`RunOutput.solution`) for the instance file at ``path``.

        Called by the engine, in a process no candidate code ever ran in, so a candidate cannot
        forge its own result. Raise :class:`~heurevo.errors.VerificationError` for a solution
        that is not one (wrong shape, not a tour, ...). The default, ``None``, means the problem
        verifies only inside :meth:`run`; ``heurevo doctor`` says so.
        """
        return None

    def check_solved(self, path: Path, solution: list[int], objective: float | None) -> bool | None:
        """Whether a ``solve``'s printed solution (``SolveOutcome.solution``) is feasible with
        ``objective``, judged from the file at ``path`` by the engine (a sandboxed solve's child
        is not believed). Raise :class:`~heurevo.errors.VerificationError` for one that is not
        a solution. ``None`` (the default): only the child verified it.
        """
        return None


PROBLEMS: Registry[ProblemInfo] = Registry("problem", group="heurevo.problems")


def register_problem(info: ProblemInfo) -> ProblemInfo:
    """Register ``info`` under its name; raises on a duplicate."""
    return PROBLEMS.register(info.name, info, info.description)


# Budget steps: PBO flips, TSP GLS iterations.
register_problem(ProblemInfo("pbo", "heurevo.solvers.pbo.adapter:PBOAdapter",
                             "pseudo-Boolean optimisation", (".opb", ".wbo"), 20_000,
                             "pbo-mixed-small", "pbo-mixed-heldout",
                             "heurevo.solvers.pbo.solve:solve_file"))
register_problem(ProblemInfo("tsp", "heurevo.solvers.tsp.adapter:TSPAdapter",
                             "travelling salesman", (".tsp",), 500,
                             "tsp-uniform-small", "tsp-uniform-heldout",
                             "heurevo.solvers.tsp.solve:solve_file"))


def problem_info(name: str) -> ProblemInfo:
    """The registered record of the named problem (raises ``UnknownNameError``)."""
    info = PROBLEMS.get(name)
    if not isinstance(info, ProblemInfo):
        raise SolverError(f"problem '{name}' is registered as {info!r}, not a ProblemInfo")
    return info


def problem_for_suffix(suffix: str) -> ProblemInfo | None:
    """The registered problem that reads files ending in ``suffix`` (None when none does)."""
    suffix = suffix.lower()
    for name in PROBLEMS.names():
        info = problem_info(name)
        if suffix in info.suffixes:
            return info
    return None


def solver_fingerprint(name: str) -> str:
    """A hash of the code that decides a problem's results: its solver, slots and verifier.

    Covers every module under ``heurevo/solvers`` (the built-in kernels, slots with their
    default sources, verifiers) and the Numba version, plus every module of the package the
    adapter lives in when that is a plug-in outside heurevo; any edit of them changes it.
    Nothing is imported to compute it.
    """
    import hashlib
    from importlib.util import find_spec

    from heurevo._numba_cache import solver_source_hash

    h = hashlib.sha256(solver_source_hash().encode())
    top = problem_info(name).adapter.partition(":")[0].partition(".")[0]
    spec = find_spec(top) if top != "heurevo" else None
    if spec is not None and spec.origin:
        root = Path(spec.origin).resolve().parent
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def get_problem(name: str) -> ProblemAdapter:
    """A fresh adapter for the named problem."""
    return resolve(problem_info(name).adapter)()
