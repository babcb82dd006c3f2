"""The Dask executor: candidates' stages run as Dask tasks, each in a worker's own sandbox.

The engine sends plain data only: a worker spec (problem, limits, instance paths with content
hashes), the instance bundle once (a published dataset each worker fetches on its first task,
recomputed from the scheduler's copy if the worker holding it dies) and MessagePack-encoded
plans; replies come back as MessagePack bytes decoded into declared types. A task lost with its worker is run again elsewhere by the scheduler, at most
``retries`` times (``distributed.scheduler.allowed-failures``); past that, or when the scheduler
is lost, :class:`ExecutorLost` stops the run cleanly, with nothing recorded for the evaluation
in flight. See :mod:`heurevo.engine.executors.dask_worker` for the worker's side.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from pathlib import Path
from typing import Any

import msgspec

from heurevo.engine.executors.base import ExecutorConfig, ExecutorLost, WorkerSpec
from heurevo.engine.executors.cluster import Connection, connect
from heurevo.engine.executors.dask_worker import hold, prime_task, run_task, stages_task
from heurevo.engine.executors.stages import StageOutcome, StagePlan
from heurevo.engine.sandbox import TaskOutcome
from heurevo.engine.wire import encode
from heurevo.populations.records import EvalStatus


class _WireOutcome(msgspec.Struct):
    """A :class:`TaskOutcome` as a Dask worker sends it, its value not decoded yet."""

    status: EvalStatus
    value: msgspec.Raw = msgspec.Raw(b"\xc0")
    error: str = ""
    seconds: float = 0.0
    worker_pid: int = 0


class DaskExecutor:
    """Evaluation work on a Dask cluster (LocalCluster, remote scheduler or SLURM/PBS jobs)."""

    def __init__(self, connection: Connection, spec: WorkerSpec, workers: int):
        self.connection = connection
        self.client = connection.client
        self.workers = workers
        bundle, paths = {}, {}
        for path in spec.instances:
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            bundle[digest] = (Path(path).name, data)
            paths[path] = digest
        key = hashlib.sha256(repr((spec.problem, spec.limits, sorted(paths.items()))).encode()).hexdigest()
        self.spec = {"problem": spec.problem, "timeout_s": spec.limits.timeout_s,
                     "memory_mb": spec.limits.memory_mb, "paths": paths, "key": key[:16],
                     "bundle": f"heurevo-instances-{key[:16]}-{uuid.uuid4().hex[:8]}"}
        self.bundle = self.client.submit(hold, bundle, key=self.spec["bundle"])
        self.client.publish_dataset(self.bundle, name=self.spec["bundle"])

    def prime(self) -> None:
        """Start and warm every current worker's sandbox now, all at once (as the local pool does)."""
        addresses = list(self.client.scheduler_info()["workers"])
        futures = [self.client.submit(prime_task, self.spec, workers=[a],
                                      allow_other_workers=False, pure=False) for a in addresses]
        for f in futures:
            self._result(f)

    @classmethod
    def create(cls, config: ExecutorConfig, spec: WorkerSpec, workers: int) -> DaskExecutor:
        """Connect as ``config`` says (a LocalCluster of ``workers`` processes by default)."""
        connection = connect(config, workers)
        try:
            executor = cls(connection, spec, connection.threads)
            executor.prime()  # batch-system workers not up yet start on their first task
            return executor
        except BaseException:
            connection.close()
            raise

    def notices(self) -> tuple[str, ...]:
        """Where the work runs and the dashboard link (when there is one)."""
        link = self.connection.dashboard()
        return (self.connection.where,) + ((f"Dask dashboard: {link}",) if link else ())

    def _result(self, future: Any) -> bytes:
        """The task's bytes; :class:`ExecutorLost` once the scheduler connection is gone.

        A task never raises (its failures are outcomes), so any error is the cluster's. Futures
        submitted while the client reconnects might never finish: the client's state is checked
        every second instead.
        """
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                if self.client.status != "running":
                    future.cancel()
                    raise self._lost(f"the client is {self.client.status}") from None
            except Exception as exc:
                raise self._lost(f"{type(exc).__name__}: {exc}") from None

    @staticmethod
    def _lost(why: str) -> ExecutorLost:
        return ExecutorLost(f"the Dask cluster failed ({why}); the finished evaluations are stored, "
                            "continue with --resume (on any executor)")

    def run(self, task: str, payload: Any, timeout_s: float, reply: Any = Any) -> TaskOutcome:
        """One task in a fresh sandboxed child on some Dask worker."""
        body = self._result(self.client.submit(run_task, self.spec, task, payload, timeout_s,
                                               pure=False))
        try:
            out = msgspec.msgpack.decode(body, type=_WireOutcome)
            value = msgspec.msgpack.decode(out.value, type=reply) if out.status is EvalStatus.OK else None
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return TaskOutcome(EvalStatus.CRASHED, error=f"malformed worker reply: {exc}"[:2000])
        return TaskOutcome(out.status, value, out.error, out.seconds, out.worker_pid)

    def stages(self, plan: StagePlan) -> StageOutcome:
        """The candidate's stages as one Dask task (retried elsewhere if its worker is lost)."""
        body = self._result(self.client.submit(stages_task, self.spec, encode(plan), pure=False))
        try:
            return msgspec.msgpack.decode(body, type=StageOutcome)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise self._lost(f"a Dask worker sent a malformed outcome: {exc}") from None

    def close(self) -> None:
        """Drop the instance bundle, close the client (and the cluster this executor started)."""
        with contextlib.suppress(Exception):  # a lost scheduler forgot it already
            self.client.unpublish_dataset(self.spec["bundle"])
        self.connection.close()
