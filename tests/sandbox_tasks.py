"""Tasks that the sandbox tests run in worker processes (imported there by name)."""

import ctypes
import os
import time

import numpy as np


def echo(x):
    return x


def sleep(seconds):
    time.sleep(seconds)
    return "woke"


def boom(x):
    raise ValueError(f"bad input {x}")


def segfault(_):
    ctypes.string_at(0)


def allocate(nbytes):
    return int(np.ones(nbytes, dtype=np.uint8).sum())


def exit_code(code):
    os._exit(code)


def connect(_):
    import socket

    socket.create_connection(("127.0.0.1", 9), timeout=1)


def pid(_):
    return os.getpid()
