"""The sandboxed worker process: runs named tasks on plain data, one at a time, until told to stop.

Started by :mod:`heurevo.engine.sandbox` as ``python -m heurevo.engine.worker REQ_FD RESP_FD
MEMORY_MB NO_NETWORK``. It limits its own address space, cuts itself off the network (a new
network namespace where the kernel allows it, and a socket module that refuses in any case),
sends stdout to /dev/null, and answers each request ``(task, payload)`` with
``(status, value_or_error)``. Tasks are ``"module:function"`` names; the payload is plain data.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import pickle
import resource
import socket
import struct
import sys
import traceback
from typing import Any

_HEADER = struct.Struct("!Q")
CLONE_NEWNET = 0x40000000


def read_message(fd: int) -> Any | None:
    """Read one length-prefixed pickle from ``fd``; None at end of file."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    body = _read_exact(fd, size)
    if body is None:
        return None
    return pickle.loads(body)


def write_message(fd: int, obj: Any) -> None:
    """Write one length-prefixed pickle to ``fd``."""
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data = _HEADER.pack(len(body)) + body
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _limit_memory(memory_mb: int) -> None:
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _cut_network() -> None:
    """Best effort: a private network namespace, and sockets that refuse to open."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(CLONE_NEWNET)  # needs privileges; harmless failure otherwise
    except (OSError, AttributeError):
        pass

    class _NoSocket(socket.socket):
        def __init__(self, *args: Any, **kwargs: Any):
            raise PermissionError("network access is disabled in heurevo sandbox workers")

    socket.socket = _NoSocket  # type: ignore[misc]
    socket.create_connection = _NoSocket  # type: ignore[assignment]


def resolve_task(name: str) -> Any:
    """Import ``module:function``."""
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func)


def serve(req_fd: int, resp_fd: int) -> None:
    """Answer requests until the request pipe closes or a ``None`` request arrives."""
    while True:
        msg = read_message(req_fd)
        if msg is None:
            return
        task, payload = msg
        try:
            value = resolve_task(task)(payload)
            reply: tuple[str, Any] = ("ok", value)
        except MemoryError:
            reply = ("memory", "MemoryError: the task ran out of its memory limit")
        except BaseException as exc:  # any failure of candidate code is data, not a crash
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            reply = ("failed", "".join(tb[-8:]).strip())
        try:
            write_message(resp_fd, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            write_message(resp_fd, ("failed", f"result could not be sent back: {exc}"))


def main(argv: list[str]) -> None:
    """Worker entry point."""
    req_fd, resp_fd, memory_mb, no_network = int(argv[0]), int(argv[1]), int(argv[2]), argv[3] == "1"
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    _limit_memory(memory_mb)
    if no_network:
        _cut_network()
    serve(req_fd, resp_fd)


if __name__ == "__main__":
    main(sys.argv[1:])
