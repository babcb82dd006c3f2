"""The child side of a sandboxed worker: runs named tasks on plain data for one candidate.

A child is forked by its zygote (:mod:`heurevo.engine.zygote`), installs the OS layers
(:mod:`heurevo.engine.isolation`), sends one ``ok`` reply carrying the layers' status, then
answers each request ``(task, payload)`` with a :class:`~heurevo.engine.wire.Reply` until the
request pipe closes. Tasks are ``"module:function"`` names; their return values are encoded as
MessagePack data, so nothing the child sends can run in the engine.
"""

from __future__ import annotations

import importlib
import traceback
import typing
from typing import Any

import msgspec

from heurevo.engine.wire import (
    MAX_REQUEST_BYTES,
    Reply,
    decode_request,
    encode,
    read_frame,
    write_frame,
)


def resolve_task(name: str) -> Any:
    """Import ``module:function``."""
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func)


def call_task(name: str, payload: Any) -> Any:
    """Run task ``name`` on ``payload``, first converted to the struct its annotation names.

    Requests arrive as plain MessagePack data; a task whose ``payload`` parameter is annotated
    with a ``msgspec.Struct`` gets that struct (unknown or missing fields raise), other tasks
    get the data as it is.
    """
    fn = resolve_task(name)
    wanted = typing.get_type_hints(fn).get("payload")
    if isinstance(wanted, type) and issubclass(wanted, msgspec.Struct):
        payload = msgspec.convert(payload, wanted)
    return fn(payload)


def ok_reply(value: Any) -> bytes:
    """The encoded ``ok`` reply carrying ``value``."""
    return encode(Reply("ok", msgspec.Raw(encode(value))))


def _answer(task: str, payload: Any) -> bytes:
    try:
        return ok_reply(call_task(task, payload))
    except MemoryError:
        return encode(Reply("memory", error="MemoryError: the task ran out of its memory limit"))
    except BaseException as exc:  # any failure of candidate code is data, not a crash
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return encode(Reply("failed", error="".join(tb[-8:]).strip()))


def serve(req_fd: int, resp_fd: int) -> None:
    """Answer requests until the request pipe closes."""
    while True:
        body = read_frame(req_fd, MAX_REQUEST_BYTES)
        if body is None:
            return
        request = decode_request(body)
        write_frame(resp_fd, _answer(request.task, request.payload))
