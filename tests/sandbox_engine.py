"""A stand-in engine for the kill -9 tests: starts a worker, prints pids, loops in a task.

Usage: python sandbox_engine.py TASK [PREP_TASK]; prints ``zygote child [prep-value]`` then blocks.
"""

import sys

from heurevo.engine.sandbox import SandboxLimits, SandboxWorker

worker = SandboxWorker(SandboxLimits(timeout_s=600, memory_mb=2048))
with worker.session():
    prep = worker.call(sys.argv[2], None).value if len(sys.argv) > 2 else ""
    print(worker.zygote_pid, worker.pid, prep, flush=True)
    worker.call(sys.argv[1], None)
