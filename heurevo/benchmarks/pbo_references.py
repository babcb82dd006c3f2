"""NuPBO side by side for ``heurevo bench pbo``: a binary given by path, run in the same
invocation one instance at a time, with its flip count and CPU time (for the flip-rate ratio).

The objective is the *raw* objective of the original formula, recomputed by heurevo's verifier
from NuPBO's printed assignment, or None when it found nothing feasible in the time limit. SCIP
and CP-SAT columns come from the leaderboard's :mod:`~heurevo.benchmarks.reference_solvers`.
"""

from __future__ import annotations

import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heurevo.instances.formats.pbmodel import PBFormula
from heurevo.solvers.pbo.verify import evaluate

#: How to build a NuPBO binary the benchmark can read (it prints its flip count on exit).
NUPBO_BUILD = ("git clone https://github.com/shaowei-cai-group/NuPBO && cd NuPBO/source_code && "
               "sed -i 's|// cout << \"c total_step|cout << \"c total_step|' basis_pms.cpp && "
               "g++ -O3 basis_pms.cpp MaxSATFormula.cpp main.cpp init.cpp settings.cpp "
               "parse_arguments.cpp heuristic.cpp -o NuPBO")


@dataclass(frozen=True)
class NuPBOResult:
    """A NuPBO run: its verified objective (None: nothing feasible), flips (None: not printed),
    wall and CPU seconds (its parse included: milliseconds on these files)."""

    objective: int | None
    flips: int | None
    seconds: float
    cpu_s: float
    answered: bool  # printed an assignment or "no feasible solution found" (it read the file)

    @property
    def flips_per_cpu_s(self) -> float | None:
        """Flips per CPU second (what a loaded machine does not skew)."""
        return self.flips / self.cpu_s if self.flips is not None and self.cpu_s > 0 else None


def solve_nupbo(binary: Path, path: Path, formula: PBFormula, time_s: float,
                seed: int = 1) -> NuPBOResult:
    """Run ``binary path seed`` for ``time_s`` seconds, then SIGTERM (NuPBO then prints its best
    assignment and, when built as :data:`NUPBO_BUILD` says, its flip count). The objective is
    recomputed by heurevo's verifier from the printed assignment."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([str(binary), str(path), str(seed)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=time_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    seconds = min(time.perf_counter() - start, time_s)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    steps = re.search(r"^c total_step: (\d+)", out, re.MULTILINE)
    values = None
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["s"] and len(parts) == formula.n_vars + 1 and set(parts[1:]) <= {"0", "1"}:
            values = np.array([int(x) for x in parts[1:]], dtype=np.int8)
    objective = _verified(formula, values) if values is not None else None
    answered = values is not None or "no feasible solution found" in out
    return NuPBOResult(objective, int(steps.group(1)) if steps else None, seconds, cpu_s,
                       answered)


def _verified(formula: PBFormula, values: np.ndarray) -> int | None:
    verdict = evaluate(formula, values)
    return verdict.objective if verdict.feasible else None
