"""Which syscalls a sandboxed child makes after its filter would be installed (for the allow-list).

Runs a workload (default: a few PBO and TSP candidates through the real pipeline: compile,
quick checks, solver runs) under ``strace -ff`` with seccomp switched off, keeps each child's
calls after ``landlock_restrict_self`` (the layer installed just before seccomp), and prints
their names sorted, as ``heurevo.engine.isolation.ALLOWED_SYSCALLS`` lists them::

    python scripts/seccomp_syscalls.py [workload.py]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CALL = re.compile(r"^(?:\d+ )?([a-z_0-9]+)\(")


def child_syscalls(trace_dir: Path) -> set[str]:
    """Syscall names each traced child made after it restricted itself with Landlock."""
    found: set[str] = set()
    for path in trace_dir.iterdir():
        lines = path.read_text(errors="replace").splitlines()
        marks = [i for i, line in enumerate(lines) if line.startswith("landlock_restrict_self")]
        if not marks:
            continue
        for line in lines[marks[0] + 1:]:
            m = CALL.match(line)
            if m:
                found.add(m.group(1))
    return found


def main(argv: list[str]) -> None:
    """Trace the workload and print the syscall names."""
    workload = argv[0] if argv else str(Path(__file__).with_name("seccomp_workload.py"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HEUREVO_SANDBOX_DISABLE": "seccomp"}
        subprocess.run(["strace", "-f", "-ff", "-qq", "-o", f"{tmp}/t", sys.executable, workload],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        names = sorted(child_syscalls(Path(tmp)))
    print(len(names), "syscalls")
    print(", ".join(f'"{n}"' for n in names))


if __name__ == "__main__":
    main(sys.argv[1:])
