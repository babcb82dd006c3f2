"""One writer per run folder: a lock file holding the owner's pid and host.

``evolve`` (and ``--resume``) take the lock before writing anything; a second process is refused
with a message naming the owner. A lock left behind by a process that died on this host (a
``kill -9``, a crash) is taken over, and the caller is told so. A lock from another host is never
taken over: the folder may be on a shared file system and that host may still be running.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from heurevo.errors import HeurevoError

LOCK_FILE = "lock"


class RunFolderError(HeurevoError):
    """A run folder cannot be used: locked by another process, not writable, or not a run."""


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_owner(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def not_writable(folder: Path, exc: OSError) -> RunFolderError:
    """The one-line error for a run folder the process may not write to."""
    return RunFolderError(f"{folder}: run folder is not writable ({exc.strerror or exc}); "
                          "check its permissions or choose another --run-dir")


@dataclass
class RunLock:
    """A held lock on one run folder; :meth:`release` (or process exit) gives it up."""

    path: Path
    notice: str = ""  # what the caller should tell the user (a stale lock taken over)

    @classmethod
    def acquire(cls, folder: Path) -> RunLock:
        """Take the folder's lock or raise :class:`RunFolderError` naming the current owner."""
        path = Path(folder) / LOCK_FILE
        host = socket.gethostname()
        notice = ""
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _read_owner(path)
                pid, owner_host = owner.get("pid"), owner.get("host")
                if not isinstance(pid, int) or owner_host != host or _pid_alive(pid):
                    where = f"pid {pid} on host {owner_host}" if owner else "an unknown process"
                    raise RunFolderError(
                        f"{folder}: run folder is in use by {where} (lock file {path}); wait for "
                        "it to finish, or delete the lock file if that process is gone") from None
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                notice = (f"took over the stale lock of pid {pid} on {host} "
                          "(that process is no longer running)")
                continue
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                    raise not_writable(Path(folder), exc) from None
                raise RunFolderError(f"{folder}: cannot create the lock file: {exc.strerror}") from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"pid": os.getpid(), "host": host, "since": time.time()}, fh)
            return cls(path, notice)
        raise RunFolderError(f"{folder}: another process took the lock at the same time; try again")

    def release(self) -> None:
        """Remove the lock file if it is still ours."""
        if _read_owner(self.path).get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
