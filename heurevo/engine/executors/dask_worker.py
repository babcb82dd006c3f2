"""The Dask worker's side: each Dask worker process hosts its own warm sandboxed zygote(s).

A task arrives as plain data: the run's worker spec (problem, limits, instance paths with their
content hashes, the name of the instance bundle) and a MessagePack-encoded :class:`StagePlan` or
task request. The bundle is a published Dask dataset, computed from data the scheduler holds, so
it survives the loss of any worker. The first task of a run on a worker fetches it (once per
worker), writes the instances into the worker's local directory (by hash, checked), starts a
:class:`~heurevo.engine.sandbox.SandboxPool` there and warms it; later tasks reuse it. Candidate
code runs only in the zygote's forked children, never in the Dask worker's process, so a
crashing, hanging or hostile candidate costs a child, not the Dask worker. Replies go back as
MessagePack bytes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import msgspec

from heurevo.engine.executors.base import WorkerSpec
from heurevo.engine.executors.stages import Block, StagePlan, run_stages
from heurevo.engine.sandbox import SandboxLimits, SandboxPool
from heurevo.engine.wire import encode

#: runs whose zygotes a Dask worker keeps warm (older ones are stopped).
MAX_HOSTS = 2
_HOSTS: OrderedDict[str, _Host] = OrderedDict()
_LOCK = threading.Lock()


class _Host:
    """One run's instances on this Dask worker's disk and its warm sandbox pool."""

    def __init__(self, spec: dict[str, Any], bundle: dict[str, tuple[str, bytes]], root: Path, threads: int):
        self.paths = {path: str(_materialise(root / "instances", digest, *bundle[digest]))
                      for path, digest in spec["paths"].items()}
        local = WorkerSpec(spec["problem"], SandboxLimits(timeout_s=spec["timeout_s"],
                                                          memory_mb=spec["memory_mb"]),
                           root / "work" / spec["key"], tuple(self.paths.values()))
        local.work_dir.mkdir(parents=True, exist_ok=True)
        self.pool = SandboxPool(threads, local.limits, warmup=local.warmup(),
                                read_paths=local.read_paths())

    def localise(self, payload: Any) -> Any:
        """``payload`` with the engine's instance paths replaced by this worker's copies."""
        if not isinstance(payload, dict):
            return payload
        runs = [[self.paths[path], *rest] for path, *rest in payload.get("instances", [])]
        return {**payload, "instances": runs}


def _materialise(folder: Path, digest: str, name: str, data: bytes) -> Path:
    """The instance file ``folder/<digest>/<name>``, written once (its content hash checked)."""
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"instance {name}: content does not match its hash {digest[:12]}")
    target = folder / digest / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def hold(bundle: dict[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """The instance bundle as a task result (recomputed from the scheduler's copy if lost)."""
    return bundle


def _host(spec: dict[str, Any]) -> _Host:
    """This worker's host for the run ``spec`` describes (started on its first task)."""
    from distributed import get_worker, worker_client

    with _LOCK:
        host = _HOSTS.get(spec["key"])
        if host is None:
            with worker_client() as client:  # leaves the worker's thread free meanwhile
                bundle = client.get_dataset(spec["bundle"]).result()
            worker = get_worker()
            host = _HOSTS[spec["key"]] = _Host(spec, bundle, Path(worker.local_directory) / "heurevo",
                                               max(1, worker.state.nthreads))
            while len(_HOSTS) > MAX_HOSTS:
                _HOSTS.popitem(last=False)[1].pool.close()
        _HOSTS.move_to_end(spec["key"])
        return host


def prime_task(spec: dict[str, Any]) -> int:
    """Set this worker up for the run (instances written, zygotes warm); its process id."""
    _host(spec)
    return os.getpid()


def stages_task(spec: dict[str, Any], plan: bytes) -> bytes:
    """Run an encoded :class:`StagePlan` in this worker's sandbox; the encoded outcome."""
    host = _host(spec)
    p = msgspec.msgpack.decode(plan, type=StagePlan)

    def local(block: Block | None) -> Block | None:
        return None if block is None else msgspec.structs.replace(block, payload=host.localise(block.payload))

    p = msgspec.structs.replace(p, smoke=local(p.smoke), extra=local(p.extra),
                                blocks=[local(b) for b in p.blocks])
    with host.pool.lease() as worker:
        return encode(run_stages(p, worker))


def run_task(spec: dict[str, Any], task: str, payload: dict[str, Any], timeout_s: float) -> bytes:
    """Run one task in a fresh sandboxed child here; the encoded outcome (its value checked by
    the engine against the type it expects)."""
    host = _host(spec)
    return encode(host.pool.run(task, host.localise(payload), timeout_s))
