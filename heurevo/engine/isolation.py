"""The operating-system layers around candidate code, each installable (and disableable) alone.

A zygote calls :func:`enter_zygote` first thing (a private network namespace, death with the
engine, a child subreaper); every forked child calls :func:`enter_child` after the warm-up and
before it reads its first request:

- ``pdeathsig``: ``PR_SET_PDEATHSIG(SIGKILL)``, so a child dies with its zygote;
- ``rlimits``: ``RLIMIT_AS`` (memory), ``RLIMIT_CPU`` (the hard backstop to the engine's
  wall-clock limit), ``RLIMIT_FSIZE``, ``RLIMIT_NPROC`` and ``RLIMIT_CORE = 0``;
- ``landlock``: the child reads only Python's prefixes, its import path, the Numba cache, the
  instance folders and a few devices, and writes only its private temp folder;
- ``seccomp``: a filter (``pyseccomp`` over libseccomp): an allow-list of the syscalls a child
  needs (anything unlisted fails with EPERM), and a kill list: the process dies (SIGSYS) on
  ``execve``, a new process, sockets, ``ptrace``, namespaces, ``setsid``, signals to other
  processes and other kernel attack surface; threads stay allowed;
- ``netns``: a new network namespace (user + network where not root), and seccomp denies
  ``socket`` anyway.

Tests may switch single layers off with ``HEUREVO_SANDBOX_DISABLE=seccomp,landlock,...`` to show
that another layer still holds; :func:`disabled_layers` reads it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

LAYERS: tuple[str, ...] = ("seccomp", "landlock", "netns", "pdeathsig", "rlimits")
DISABLE_ENV = "HEUREVO_SANDBOX_DISABLE"

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_THREAD = 0x00010000

#: syscalls whose use kills the child: processes, programs, network, debugging, namespaces,
#: kernel configuration; ``clone`` without CLONE_THREAD and signals to others are added with
#: argument filters in :func:`install_seccomp`.
DENIED_SYSCALLS: tuple[str, ...] = (
    "execve", "execveat", "fork", "vfork", "setsid", "setpgid",
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "pidfd_open",
    "pidfd_send_signal", "tkill", "mount", "umount2", "unshare", "setns", "pivot_root", "chroot",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
    "setrlimit", "prlimit64", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "mknod", "mknodat", "sethostname", "setdomainname", "settimeofday", "clock_settime",
    "adjtimex", "acct", "quotactl", "seccomp",
)

#: every other syscall a child may make (anything on neither list fails with EPERM): what
#: CPython, numpy, Numba's compiler and the kernels need after the imports. A child's calls
#: after ``landlock_restrict_self`` over the real pipeline (``scripts/seccomp_syscalls.py``:
#: brk, exit_group, futex, getcwd, mmap, mprotect, munmap, newfstatat, read, rt_sigaction,
#: setitimer, write), plus what glibc, threads, signals to itself and reads of allowed files
#: use. ``clone`` (threads only), ``kill``/``tgkill`` (itself only) and ``prctl`` (not
#: PR_SET_PDEATHSIG) are allowed with argument filters in :func:`install_seccomp`.
ALLOWED_SYSCALLS: tuple[str, ...] = (
    # memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "membarrier",
    # files (Landlock decides which)
    "read", "write", "readv", "writev", "pread64", "pwrite64", "open", "openat", "close",
    "close_range", "lseek", "fstat", "stat", "lstat", "newfstatat", "statx", "access",
    "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "fcntl", "dup", "dup2",
    "dup3", "ioctl", "unlink", "unlinkat", "mkdir", "mkdirat", "rename", "renameat",
    "renameat2", "ftruncate", "fsync", "fdatasync", "flock", "getcwd", "umask", "pipe2",
    # time and timers
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
    "setitimer", "getitimer", "alarm", "times", "getrusage",
    # signals to itself
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigpending",
    "rt_sigtimedwait", "restart_syscall",
    # who and where
    "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getpgrp", "uname", "sysinfo", "getrlimit", "sched_getaffinity", "sched_yield", "getcpu",
    "getrandom",
    # threads
    "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "futex", "exit",
    "exit_group", "arch_prctl",
    # waiting
    "poll", "ppoll", "select", "pselect6",
)

_libc = ctypes.CDLL(None, use_errno=True)

try:  # loaded in the zygote: finding libseccomp runs ldconfig, which a sandboxed child may not
    import pyseccomp
except (ImportError, RuntimeError, OSError) as _exc:
    pyseccomp = None
    _SECCOMP_MISSING = f"{type(_exc).__name__}: {_exc}"
try:
    import landlock
except ImportError as _exc:
    landlock = None
    _LANDLOCK_MISSING = f"{type(_exc).__name__}: {_exc}"


def disabled_layers() -> frozenset[str]:
    """Layers switched off through ``HEUREVO_SANDBOX_DISABLE`` (test-only; unknown names refused)."""
    names = frozenset(n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip())
    unknown = names - set(LAYERS)
    if unknown:
        raise ValueError(f"{DISABLE_ENV}: unknown layer(s) {sorted(unknown)}; known: {', '.join(LAYERS)}")
    return names


@dataclass(frozen=True)
class ChildPolicy:
    """What one forked child may use."""

    memory_mb: int = 4096  # RLIMIT_AS; 0 = unlimited
    cpu_s: int = 3600  # RLIMIT_CPU backstop
    fsize_mb: int = 64  # RLIMIT_FSIZE
    read_paths: tuple[str, ...] = ()  # besides Python, the import path and the Numba cache
    disabled: frozenset[str] = field(default_factory=frozenset)


def _prctl(option: int, arg: int) -> int:
    return _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0)


def set_pdeathsig(sig: int = signal.SIGKILL) -> str:
    """Receive ``sig`` (default SIGKILL) when the parent (thread) exits."""
    if _prctl(PR_SET_PDEATHSIG, sig) != 0:
        return f"off: prctl failed ({os.strerror(ctypes.get_errno())})"
    return "on"


def enter_zygote(disabled: frozenset[str], watch_parent: int) -> dict[str, str]:
    """Zygote-wide layers, before any thread starts: network namespace, pdeathsig, subreaper.

    The zygote's death signal is SIGTERM, which it handles by killing its child and every
    orphan before it exits (SIGKILL would leave an escaped grandchild behind).
    """
    status: dict[str, str] = {}
    if "netns" in disabled:
        status["netns"] = "disabled"
    else:
        status["netns"] = _new_netns()
    if "pdeathsig" not in disabled and watch_parent:
        set_pdeathsig(signal.SIGTERM)
        if os.getppid() != watch_parent:  # the engine died before the prctl took effect
            os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # escaped grandchildren come back to the zygote
    return status


def _new_netns() -> str:
    for flags, what in ((CLONE_NEWNET, "network namespace"),
                        (CLONE_NEWUSER | CLONE_NEWNET, "user + network namespace")):
        if _libc.unshare(flags) == 0:
            return f"on ({what})"
    return f"off: unshare refused ({os.strerror(ctypes.get_errno())}); seccomp still denies sockets"


def set_rlimits(policy: ChildPolicy) -> str:
    """Memory, CPU, file size, process count and core dump limits."""
    fsize = policy.fsize_mb << 20
    limits = [(resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_FSIZE, fsize, fsize),
              (resource.RLIMIT_NPROC, 0, 0)]  # RLIMIT_CPU: inherited, see arm_cpu_limit
    if policy.memory_mb > 0:
        limits.append((resource.RLIMIT_AS, policy.memory_mb << 20, policy.memory_mb << 20))
    for which, soft, hard in limits:
        resource.setrlimit(which, (soft, hard))
    return "on" + (" (NPROC not enforced for root)" if os.geteuid() == 0 else "")


def arm_cpu_limit(cpu_s: float) -> None:
    """In the zygote before a fork: an ``RLIMIT_CPU`` its child inherits (soft: SIGXCPU, hard: +1 s).

    A forked child's CPU clock starts at zero, so the child gets at least ``cpu_s`` seconds.
    Setting the limit costs ~25 ms (measured), so it is re-armed only when the zygote's own CPU
    time has eaten half of the margin.
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    used_s = used.ru_utime + used.ru_stime
    soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
    want = max(1, int(cpu_s))
    if soft == resource.RLIM_INFINITY or soft < used_s + want / 2 or soft > used_s + 2 * want + 2:
        limit = int(used_s) + want
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))


def read_paths(extra: tuple[str, ...]) -> list[str]:
    """Everything a child may read: Python, its import path, system libraries, Numba's cache."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path, *extra,
             "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib",
             "/proc/self", "/sys/devices/system/cpu", "/dev/urandom"}
    numba_config = sys.modules.get("numba.core.config")  # heurevo sets CACHE_DIR there
    cache = os.environ.get("NUMBA_CACHE_DIR") or getattr(numba_config, "CACHE_DIR", "")
    if cache:
        paths.add(cache)
    return sorted(p for p in paths if p and os.path.exists(p))


def install_landlock(policy: ChildPolicy, write_dir: str) -> str:
    """Reads only :func:`read_paths`; writes only ``write_dir`` and /dev/null."""
    if landlock is None:
        return f"off: {_LANDLOCK_MISSING}"
    try:
        from landlock import FSAccess

        abi = landlock.landlock_abi_version()
        ruleset = landlock.Ruleset(restrict_rules=FSAccess.all())
        read_dir = FSAccess.READ_FILE | FSAccess.READ_DIR
        for path in read_paths(policy.read_paths):
            ruleset.allow(path, rules=read_dir if os.path.isdir(path) else FSAccess.READ_FILE)
        ruleset.allow("/dev/null", rules=FSAccess.READ_FILE | FSAccess.WRITE_FILE)
        ruleset.allow(write_dir, rules=FSAccess.all() & ~FSAccess.EXECUTE)
        ruleset.apply()
    except (ImportError, OSError, Exception) as exc:
        return f"off: {type(exc).__name__}: {exc}"
    return f"on (ABI {abi})"


def install_seccomp() -> str:
    """Load the syscall filter: an allow-list (EPERM for anything unlisted), and a kill list.

    From now on a syscall of :data:`DENIED_SYSCALLS` kills the process with SIGSYS (reported
    as "sandbox violation"); one on neither list fails with EPERM.
    """
    if pyseccomp is None:
        return f"off: {_SECCOMP_MISSING}"
    sc = pyseccomp
    try:
        flt = sc.SyscallFilter(sc.ERRNO(errno.EPERM))
        allowed = 0
        for name in ALLOWED_SYSCALLS:
            try:
                flt.add_rule(sc.ALLOW, name)
                allowed += 1
            except (RuntimeError, ValueError):  # not a syscall on this architecture
                continue
        for name in DENIED_SYSCALLS:
            flt.add_rule(sc.KILL_PROCESS, name)
        flt.add_rule(sc.ALLOW, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, CLONE_THREAD))
        flt.add_rule(sc.KILL_PROCESS, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # flags unreadable: libc falls back to clone
        me = os.getpid()
        for name in ("kill", "tgkill"):
            flt.add_rule(sc.ALLOW, name, sc.Arg(0, sc.EQ, me))
            flt.add_rule(sc.KILL_PROCESS, name, sc.Arg(0, sc.NE, me))
        flt.add_rule(sc.ALLOW, "prctl", sc.Arg(0, sc.NE, PR_SET_PDEATHSIG))
        flt.add_rule(sc.KILL_PROCESS, "prctl", sc.Arg(0, sc.EQ, PR_SET_PDEATHSIG))
        flt.load()
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        return f"off: {type(exc).__name__}: {exc}"
    return f"on ({allowed} allowed, {len(DENIED_SYSCALLS) + 5} killing, others EPERM)"


def numba_cache_read_only() -> None:
    """A child never writes Numba's on-disk cache (Landlock forbids it): a kernel first compiled
    in a child (a plug-in kernel specialised on new argument types, say) stays in that child's
    memory instead of failing the evaluation with EACCES when Numba tries to save it."""
    caching = sys.modules.get("numba.core.caching")
    if caching is not None:
        caching.Cache.save_overload = lambda self, sig, data: None


def enter_child(policy: ChildPolicy, write_dir: str) -> dict[str, str]:
    """Install the per-child layers in order (seccomp last); returns each layer's status."""
    numba_cache_read_only()
    steps: list[tuple[str, Callable[[], str]]] = [
        ("pdeathsig", set_pdeathsig), ("rlimits", lambda: set_rlimits(policy)),
        ("landlock", lambda: install_landlock(policy, write_dir)), ("seccomp", install_seccomp)]
    status: dict[str, str] = {}
    for name, install in steps:
        if name in policy.disabled:
            status[name] = "disabled"
            continue
        t0 = time.perf_counter()
        result = install()
        status[name] = f"{result} [{1000 * (time.perf_counter() - t0):.1f} ms]"
    return status


def missing_layers(status: dict[str, str]) -> list[str]:
    """The layers of a child's status report that are not on (``layer: reason``)."""
    return [f"{name}: {status.get(name, 'not reported')}" for name in LAYERS
            if not status.get(name, "").startswith("on")]


@contextlib.contextmanager
def instance_alarm(seconds: float) -> Iterator[None]:
    """A per-instance wall-clock limit: SIGALRM, left at its default action, ends the process.

    The kernel delivers it even inside compiled code that never returns to Python; the engine
    reports a child killed by SIGALRM as a timeout. ``seconds <= 0``: no limit.
    """
    if seconds <= 0:
        yield
        return
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def probe_exec(_: object) -> str:
    """Doctor's probe task: try to run a program (seccomp kills this, Landlock refuses it)."""
    os.execv(sys.executable, [sys.executable, "-c", "pass"])
    return "ran"  # pragma: no cover - execv does not return


def probe_write(path: str) -> str:
    """Doctor's probe task: try to create ``path`` outside the child's temp folder."""
    with open(path, "w") as fh:
        fh.write("escaped")
    return "written"
