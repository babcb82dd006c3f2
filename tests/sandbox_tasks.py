"""Tasks that the sandbox tests run in worker children (imported there by name).

Several play an escaped candidate: they call what the static checks would never let through
(``os.execv``, ``os.fork``, raw writes to the reply pipe) to show the OS layers hold anyway.
"""

import ctypes
import os
import pickle
import signal
import socket
import struct
import sys
import time

import numpy as np


def echo(x):
    return x


def sleep(seconds):
    time.sleep(seconds)
    return "woke"


def spin(_):
    while True:
        pass


def boom(x):
    raise ValueError(f"bad input {x}")


def segfault(_):
    ctypes.string_at(0)


def allocate(nbytes):
    return int(np.ones(nbytes, dtype=np.uint8).sum())


def exit_code(code):
    os._exit(code)


def connect(port):
    with socket.create_connection(("127.0.0.1", int(port or 9)), timeout=2) as s:
        return s.recv(16).decode()


def pid(_):
    return os.getpid()


def execve(_):
    os.execv("/bin/true", ["/bin/true"])


def fork_child(_):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def setsid_grandchild(marker):
    """Fork a child in its own session that keeps running; return its pid."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.write(w, b"x")
        while True:
            time.sleep(0.05)
    os.read(r, 1)
    return pid


def kill_other(target):
    os.kill(int(target), signal.SIGTERM)
    return "sent"


def write_file(path):
    with open(path, "w") as fh:
        fh.write("escaped")
    return path


def read_file(path):
    with open(path) as fh:
        return fh.read(100)


def write_bytes(nbytes):
    with open("big.bin", "wb") as fh:
        fh.write(b"\0" * int(nbytes))
    return int(nbytes)


def _reply_fd():
    frame = sys._getframe()
    while frame is not None:
        if "resp_fd" in frame.f_locals:
            return frame.f_locals["resp_fd"]
        frame = frame.f_back
    raise RuntimeError("no reply pipe found")


def _raw(body):
    os.write(_reply_fd(), struct.pack("!Q", len(body)) + body)


class _Bomb:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def forge_pickle(path):
    """Write a pickle that would create ``path`` if the engine unpickled it."""
    _raw(pickle.dumps(_Bomb(path)))
    return "honest"


def forge_oversized(_):
    os.write(_reply_fd(), struct.pack("!Q", 1 << 40) + b"\0" * 64)
    return "honest"


def forge_schema(_):
    """A well-formed ok reply whose value is not what the engine asked for."""
    import msgspec

    from heurevo.engine.wire import Reply

    _raw(msgspec.msgpack.encode(Reply("ok", msgspec.Raw(msgspec.msgpack.encode([{"instance": 5}])))))
    return []


def poison(_):
    """Everything a warm process could share: instance arrays, the adapters' classes."""
    from heurevo.engine import tasks

    touched = 0
    for inst in tasks._INSTANCES.values():
        for value in vars(inst).values():
            if isinstance(value, np.ndarray) and value.flags.writeable and value.size:
                value[...] = 0
                touched += 1
    for adapter in tasks._ADAPTERS.values():
        type(adapter).score = lambda *args: 1000.0
    return touched


def spin_compiled(_):
    """A loop in Numba-compiled code (it ignores every signal but SIGKILL)."""
    from numba import njit

    @njit(cache=False)
    def forever(n):
        s = 0
        while n > 0:
            s = (s * 31 + 7) % 1000003
        return s

    return forever(1)


def spin_with_instance_alarm(seconds):
    """Loop in compiled code under the per-instance alarm that ``run_instances`` uses."""
    from heurevo.engine.isolation import instance_alarm

    with instance_alarm(float(seconds)):
        return spin_compiled(None)


def thread_sum(n):
    """Threads stay allowed under seccomp (clone with CLONE_THREAD)."""
    import threading

    out = []
    threads = [threading.Thread(target=lambda i=i: out.append(i)) for i in range(int(n))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(out)


def forged_run(payload):
    """An escaped candidate lying about its runs: real runs, then each reply tampered as
    ``payload["forge"]`` says (the rest of the payload is a RunRequest)."""
    import dataclasses

    import msgspec

    from heurevo.engine.tasks import RunRequest, run_instances

    forge = payload.pop("forge")
    replies = run_instances(msgspec.convert(payload, RunRequest))
    out = []
    for r in replies:
        if forge == "better":  # claim a better objective than the solution has
            r = msgspec.structs.replace(r, run=dataclasses.replace(
                r.run, objective=r.run.objective - 1, score=1000.0))
        elif forge == "infeasible-as-feasible":  # a solution that breaks the constraints
            sol = np.frombuffer(r.solution, dtype=r.solution_dtype).copy()
            sol[:] = 1 - sol
            r = msgspec.structs.replace(r, solution=sol.tobytes())
        elif forge == "dtype":
            r = msgspec.structs.replace(r, solution_dtype="object")
        elif forge == "short":
            r = msgspec.structs.replace(r, solution=r.solution[:-4])
        elif forge == "renamed":
            r = msgspec.structs.replace(r, run=dataclasses.replace(r.run, instance="other.opb"))
        out.append(r)
    return out


def set_affinity(_):
    """A syscall on neither seccomp list (sched_setaffinity): refused with EPERM, not killed."""
    try:
        os.sched_setaffinity(0, os.sched_getaffinity(0))
    except PermissionError:
        return "EPERM"
    return "allowed"
