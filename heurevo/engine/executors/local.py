"""The local executor: a pool of sandboxed zygote workers on this machine."""

from __future__ import annotations

from typing import Any

from heurevo.engine.executors.base import ExecutorConfig, WorkerSpec
from heurevo.engine.executors.stages import StageOutcome, StagePlan, run_stages
from heurevo.engine.sandbox import SandboxPool, TaskOutcome


class LocalExecutor:
    """Evaluation work in a :class:`~heurevo.engine.sandbox.SandboxPool` (one lease per candidate)."""

    def __init__(self, pool: SandboxPool):
        self.pool = pool
        self.workers = len(pool.workers)

    @classmethod
    def create(cls, config: ExecutorConfig, spec: WorkerSpec, workers: int) -> LocalExecutor:
        """A pool of ``workers`` warm zygotes for ``spec``."""
        return cls(SandboxPool(workers, spec.limits, warmup=spec.warmup(), read_paths=spec.read_paths()))

    def notices(self) -> tuple[str, ...]:
        """Nothing to say: local is the default."""
        return ()

    def run(self, task: str, payload: Any, timeout_s: float, reply: Any = Any) -> TaskOutcome:
        """One task in a fresh child of a free worker."""
        return self.pool.run(task, payload, timeout_s, reply=reply)

    def stages(self, plan: StagePlan) -> StageOutcome:
        """The candidate's stages in one fresh child of a free worker."""
        with self.pool.lease() as worker:
            return run_stages(plan, worker)

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()
