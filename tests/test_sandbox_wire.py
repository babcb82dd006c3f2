"""Replies carry data only: a child that forges its reply is refused, and nothing it sent runs."""

from __future__ import annotations

import pickle

import pytest
from sandbox_helpers import worker_env

from heurevo.engine.sandbox import SandboxLimits, SandboxWorker
from heurevo.engine.tasks import Prepared
from heurevo.engine.wire import MalformedReply, decode_reply, encode
from heurevo.populations.records import EvalStatus, InstanceResult


@pytest.fixture()
def worker():
    w = SandboxWorker(SandboxLimits(timeout_s=10, memory_mb=2048), env=worker_env())
    yield w
    w.close()


def test_pickle_reply_is_refused_and_never_unpickled(worker, tmp_path) -> None:
    marker = tmp_path / "unpickled"
    out = worker.call("sandbox_tasks:forge_pickle", str(marker), reply=list[InstanceResult])
    assert out.status is EvalStatus.CRASHED and "malformed worker reply" in out.error
    assert not marker.exists()
    # the same bytes *would* have run code in the engine had it used pickle
    import sandbox_tasks

    pickle.loads(pickle.dumps(sandbox_tasks._Bomb(str(marker)))).close()
    assert marker.exists()
    assert worker.call("sandbox_tasks:echo", 3).value == 3  # the engine and the zygote survive


def test_oversized_reply_is_refused_unread(worker) -> None:
    out = worker.call("sandbox_tasks:forge_oversized", None)
    assert out.status is EvalStatus.CRASHED and "exceeds" in out.error and "cap" in out.error
    assert out.seconds < 5


def test_schema_violating_reply_is_refused(worker) -> None:
    out = worker.call("sandbox_tasks:forge_schema", None, reply=list[InstanceResult])
    assert out.status is EvalStatus.CRASHED and "malformed worker reply" in out.error
    assert "$[0].instance" in out.error


def test_reply_of_wrong_type_from_honest_task_is_refused(worker) -> None:
    out = worker.call("sandbox_tasks:echo", {"ok": "yes"}, reply=Prepared)
    assert out.status is EvalStatus.CRASHED and "malformed worker reply" in out.error
    good = worker.call("sandbox_tasks:echo", {"ok": True, "feedback": "", "seconds": 0.5}, reply=Prepared)
    assert good.ok and good.value == Prepared(True, "", 0.5)


def test_value_a_worker_cannot_encode_is_failed_not_crashed(worker) -> None:
    out = worker.call("sandbox_tasks:echo", None)
    assert out.ok and out.value is None
    out = worker.call("sandbox_tasks:boom", 1)
    assert out.status is EvalStatus.FAILED


def test_decode_reply_refuses_garbage() -> None:
    for body in (b"", b"\xc1", pickle.dumps({"kind": "ok"}), encode(["ok", 1, 2, 3])):
        with pytest.raises(MalformedReply):
            decode_reply(body)
