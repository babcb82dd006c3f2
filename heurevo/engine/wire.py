"""The messages between the engine, its zygotes and their children: data only, size-bounded.

Every message is a length-prefixed MessagePack document (``msgspec``). Nothing that comes back
from a worker is unpickled or executed: a reply is decoded into a declared type (a struct, a
dataclass such as :class:`~heurevo.populations.records.InstanceResult`, or plain data), and a
reply that is too large, truncated or does not match its type is refused as
:class:`MalformedReply`.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Literal

import msgspec

_HEADER = struct.Struct("!Q")
#: the largest reply the engine reads from a worker (a reply claiming more is refused unread).
MAX_REPLY_BYTES = 16 * 1024 * 1024
#: the largest request a worker reads (requests come from the engine; this bounds a bug).
MAX_REQUEST_BYTES = 256 * 1024 * 1024


class MalformedReply(Exception):
    """A worker sent something that is not a valid reply of the expected type."""


class Request(msgspec.Struct, array_like=True):
    """Engine → child: run ``task`` (``module:function``) on ``payload``."""

    task: str
    payload: Any = None


class Reply(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """Child → engine: how a task ended; ``value`` stays undecoded until its type is known."""

    kind: Literal["ok", "memory", "failed"]
    value: msgspec.Raw = msgspec.Raw(b"\xc0")
    error: str = ""


class Control(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """Engine ↔ zygote: ``warm`` / ``fork`` / ``kill`` / ``quit`` commands and their answers.

    Answers: ``warmed`` (``value`` = seconds or an error text), ``forked`` (``pid``; ``value`` =
    the layers the child will install), ``exited`` (``pid`` and its raw wait ``status``).
    """

    op: str
    pid: int = 0
    status: int = 0
    task: str = ""
    payload: Any = None
    value: Any = None


def _enc_hook(obj: Any) -> Any:
    """Numpy scalars and arrays become plain numbers and lists."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise NotImplementedError(f"cannot send a {type(obj).__name__} back to the engine")


_ENCODER = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_REPLY_DECODER = msgspec.msgpack.Decoder(Reply)
_CONTROL_DECODER = msgspec.msgpack.Decoder(Control)
_REQUEST_DECODER = msgspec.msgpack.Decoder(Request)


def encode(obj: Any) -> bytes:
    """MessagePack bytes of ``obj`` (structs, dataclasses, plain data, numpy scalars)."""
    return _ENCODER.encode(obj)


def write_frame(fd: int, body: bytes) -> None:
    """Write one length-prefixed frame to ``fd``."""
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_frame(fd: int, max_bytes: int) -> bytes | None:
    """One frame from ``fd``; None at end of file; :class:`MalformedReply` if it is too large or cut."""
    header = _read_up_to(fd, _HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise MalformedReply("reply header cut short")
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise MalformedReply(f"reply of {size} bytes exceeds the {max_bytes}-byte cap")
    body = _read_up_to(fd, size)
    if len(body) < size:
        raise MalformedReply(f"reply cut short ({len(body)} of {size} bytes)")
    return body


def _read_up_to(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, or fewer if it reaches end of file first."""
    chunks = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def decode_request(body: bytes) -> Request:
    """A request frame's body."""
    return _REQUEST_DECODER.decode(body)


def decode_reply(body: bytes, value_type: Any = Any) -> tuple[str, Any, str]:
    """``(kind, value, error)`` of a reply whose value must be a ``value_type``."""
    try:
        reply = _REPLY_DECODER.decode(body)
        value = msgspec.msgpack.decode(reply.value, type=value_type) if reply.kind == "ok" else None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedReply(str(exc)) from None
    return reply.kind, value, reply.error


def decode_control(body: bytes) -> Control:
    """A control message's body (from the engine or from a zygote)."""
    try:
        return _CONTROL_DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedReply(f"control message: {exc}") from None
