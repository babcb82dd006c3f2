"""Connect to (or start) the Dask cluster an :class:`ExecutorConfig` describes."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

from heurevo.engine.executors.base import ExecutorConfig, ExecutorLost, JobQueueConfig

#: Dask settings for the scheduler this engine starts and its LocalCluster workers: no sampling
#: profiler (a thread per worker waking every 10 ms), slower event-loop ticks and system monitor.
#: Each wake-up is cheap, but 8 workers and their nannies on 2 busy cores pay them in latency.
QUIET = {"distributed.worker.profile.enabled": False,
         "distributed.admin.tick.interval": "500ms",
         "distributed.admin.system-monitor.interval": "2s"}


@dataclass
class Connection:
    """A Dask client, the cluster object this process started (None for a remote scheduler)."""

    client: Any
    cluster: Any
    where: str  # one line: what runs the work
    threads: int  # tasks the cluster runs at once (as far as known now)

    def dashboard(self) -> str:
        """The dashboard's address, or "" when the scheduler serves none."""
        link = getattr(self.client, "dashboard_link", "") or ""
        if self.cluster is not None and importlib.util.find_spec("bokeh") is None:
            return ""  # a LocalCluster without bokeh has no dashboard to show
        return link

    def close(self) -> None:
        """Close the client, and the cluster if this process started it."""
        with contextlib.suppress(Exception):  # a scheduler already gone cannot be told goodbye
            self.client.close(timeout=10)
        if self.cluster is not None:
            with contextlib.suppress(Exception):  # the workers die with their nannies anyway
                self.cluster.close(timeout=20)


def jobqueue_cluster(kind: str, cfg: JobQueueConfig) -> Any:
    """A dask-jobqueue ``SLURMCluster`` or ``PBSCluster`` for ``cfg``, no job submitted yet."""
    import dask_jobqueue

    cls = dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster
    kwargs: dict[str, Any] = {"cores": cfg.cores, "processes": cfg.processes, "memory": cfg.memory,
                              "walltime": cfg.walltime,
                              "job_extra_directives": list(cfg.job_extra_directives)}
    if cfg.queue:
        kwargs["queue"] = cfg.queue
    if cfg.account:
        kwargs["account"] = cfg.account
    return cls(**kwargs)


def connect(config: ExecutorConfig, workers: int) -> Connection:
    """A client for ``config``: a remote scheduler, SLURM/PBS jobs, or a new LocalCluster."""
    import dask
    from distributed import Client

    dask.config.set({"distributed.scheduler.allowed-failures": config.retries, **QUIET})
    try:
        if config.scheduler:
            client = Client(config.scheduler, timeout="20s")
            threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            return Connection(client, None, f"Dask scheduler {config.scheduler}", max(1, threads))
        for kind in ("slurm", "pbs"):
            jq: JobQueueConfig = getattr(config, kind)
            if jq.jobs:
                cluster = jobqueue_cluster(kind, jq)
                cluster.scale(jobs=jq.jobs)
                return Connection(Client(cluster), cluster,
                                  f"Dask on {kind.upper()}: {jq.jobs} job(s) x {jq.processes} "
                                  f"worker(s)", jq.jobs * jq.cores)
        cluster = local_cluster(workers)
        return Connection(Client(cluster), cluster, f"Dask LocalCluster: {workers} worker process(es)",
                          workers)
    except (OSError, TimeoutError) as exc:
        raise ExecutorLost(f"cannot reach the Dask scheduler ({exc})") from None


def local_cluster(workers: int, dashboard: bool = True) -> Any:
    """A LocalCluster of ``workers`` single-threaded worker processes with the :data:`QUIET` settings.

    Its processes log only critical messages: a task's failure reaches the engine through its
    future, and the heartbeat tracebacks a worker prints while the cluster shuts down are noise.
    """
    import dask
    from distributed import LocalCluster

    dask.config.set(QUIET)
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                        dashboard_address=":0" if dashboard else None, silence_logs=logging.CRITICAL)
