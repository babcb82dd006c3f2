"""The executor interface: where a candidate's sandboxed evaluation work runs.

The :class:`~heurevo.engine.evaluate.StagedEvaluator` needs two things from an executor: run one
task in a fresh sandboxed child (the default's baseline), and run a candidate's stages on one
worker (:class:`~heurevo.engine.executors.stages.StagePlan`). The run loop, controller and store
never see which executor runs. Executors register by name in :data:`EXECUTORS` (and through the
``heurevo.executors`` entry points); each entry is a factory ``(ExecutorConfig, WorkerSpec,
workers) -> Executor``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from heurevo.engine.executors.stages import StageOutcome, StagePlan
from heurevo.engine.sandbox import SandboxLimits, TaskOutcome
from heurevo.errors import ConfigError, HeurevoError
from heurevo.registry import Registry

TASKS = "heurevo.engine.tasks"


class ExecutorLost(HeurevoError):
    """The executor itself failed (scheduler gone, workers lost past the retry bound).

    Not a verdict on a candidate: nothing is recorded for the evaluation in flight, the run stops
    cleanly and ``--resume`` continues it on any executor.
    """


@dataclass(frozen=True)
class JobQueueConfig:
    """A dask-jobqueue cluster (``[executor.slurm]`` or ``[executor.pbs]``); jobs = 0: not used."""

    queue: str = ""
    account: str = ""
    cores: int = 1
    processes: int = 1  # Dask worker processes per job
    memory: str = "4GB"
    walltime: str = "01:00:00"
    jobs: int = 0
    job_extra_directives: tuple[str, ...] = ()

    def validate(self) -> None:
        """Reject settings that cannot work."""
        for key in ("cores", "processes"):
            if getattr(self, key) < 1:
                raise ConfigError(f"must be >= 1, got {getattr(self, key)}", key=key)
        if self.jobs < 0:
            raise ConfigError(f"must be >= 0, got {self.jobs}", key="jobs")


@dataclass(frozen=True)
class ExecutorConfig:
    """Which executor evaluates candidates: ``local`` (sandboxed pool) or ``dask``.

    For ``dask``: ``scheduler`` connects to a running scheduler (``tcp://host:8786``); else a
    ``[executor.slurm]`` or ``[executor.pbs]`` section with ``jobs > 0`` submits worker jobs;
    else a LocalCluster with ``evaluation.workers`` worker processes starts. Not part of any
    evaluation key: a run may resume on another executor.
    """

    name: str = "local"
    scheduler: str = ""
    retries: int = 2  # how often a task lost with its Dask worker is run again elsewhere
    slurm: JobQueueConfig = field(default_factory=JobQueueConfig)
    pbs: JobQueueConfig = field(default_factory=JobQueueConfig)

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.name not in EXECUTORS:
            raise ConfigError(f"unknown executor '{self.name}'; known: {', '.join(EXECUTORS.names())}", key="name")
        if self.scheduler and not self.scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
            raise ConfigError(f"'{self.scheduler}' is not an address like tcp://host:8786", key="scheduler")
        if not 0 <= self.retries <= 10:
            raise ConfigError(f"must be in [0, 10], got {self.retries}", key="retries")
        if self.slurm.jobs and self.pbs.jobs:
            raise ConfigError("slurm and pbs: give jobs for one batch system, not both")
        self.slurm.validate()
        self.pbs.validate()


@dataclass(frozen=True)
class WorkerSpec:
    """What every sandboxed worker of a run needs: problem, limits, instances, a work folder."""

    problem: str
    limits: SandboxLimits
    work_dir: Path
    instances: tuple[str, ...]  # instance file paths (the smoke instance included)

    def warmup(self, instances: tuple[str, ...] | None = None, work_dir: Path | None = None) -> tuple[str, Any]:
        """The zygote's warm-up task (kernels and instances loaded before any child forks)."""
        return (f"{TASKS}:warmup", {"problem": self.problem,
                                    "smoke_dir": str(work_dir or self.work_dir),
                                    "instances": list(self.instances if instances is None else instances)})

    def read_paths(self, instances: tuple[str, ...] | None = None,
                   work_dir: Path | None = None) -> tuple[str, ...]:
        """The folders a child may read: the work folder and the instances' folders."""
        paths = self.instances if instances is None else instances
        return (str(work_dir or self.work_dir), *sorted({str(Path(p).parent) for p in paths}))


class Executor(Protocol):
    """Runs sandboxed evaluation work; thread-safe; :meth:`close` stops what it started."""

    #: how many candidates it evaluates at once (the run loop's concurrency).
    workers: int

    def notices(self) -> tuple[str, ...]:
        """Lines for the user (where the work runs, the dashboard link)."""
        ...

    def run(self, task: str, payload: Any, timeout_s: float, reply: Any = Any) -> TaskOutcome:
        """Run one task in a fresh sandboxed child; never raises for the task's own failure."""
        ...

    def stages(self, plan: StagePlan) -> StageOutcome:
        """Run one candidate's stages on one worker; raises :class:`ExecutorLost` only."""
        ...

    def close(self) -> None:
        """Stop the workers (and a cluster this executor started)."""
        ...


EXECUTORS: Registry[Any] = Registry("executor", group="heurevo.executors")
EXECUTORS.register_lazy("local", "heurevo.engine.executors.local:LocalExecutor.create",
                        "sandboxed worker processes on this machine")
EXECUTORS.register_lazy("dask", "heurevo.engine.executors.dask_executor:DaskExecutor.create",
                        "Dask distributed: a LocalCluster, a remote scheduler, or SLURM/PBS jobs")


def make_executor(config: ExecutorConfig, spec: WorkerSpec, workers: int) -> Executor:
    """The executor ``config.name`` names, started for ``spec``."""
    return EXECUTORS.get(config.name)(config, spec, workers)
