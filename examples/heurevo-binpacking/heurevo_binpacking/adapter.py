"""Bin packing as heurevo's engine sees it: the priority slot, verified bin counts, a ratio score."""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from heurevo.errors import VerificationError
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.problem import Checked, FileCache, ProblemAdapter, RunOutput
from heurevo.solvers.slots import Slot
from heurevo_binpacking.instance import (
    WEIBULL_CAPACITY,
    BinPackingInstance,
    read_bpp,
    weibull_items,
    write_bpp,
)
from heurevo_binpacking.kernel import pack
from heurevo_binpacking.slots import PRIORITY, SLOTS
from heurevo_binpacking.verify import bins_used


@cache
def default_priority() -> Any:
    """Best Fit, compiled once per process."""
    return compile_slot(PRIORITY, PRIORITY.default_source, filename="<binpacking.priority>").function


class BinPackingAdapter(ProblemAdapter):
    """Online bin packing; the objective is the number of bins (lower is better)."""

    name = "binpacking"

    def __init__(self) -> None:
        self._checked = FileCache(self.load)

    def slots(self) -> dict[str, Slot]:
        """The priority slot (with a GP hole)."""
        return dict(SLOTS)

    def load(self, path: Path) -> BinPackingInstance:
        """Read a BPPLIB ``.bpp`` file."""
        return read_bpp(path)

    def run(self, instance: BinPackingInstance, functions: dict[str, Any], seed: int,
            budget_steps: int) -> RunOutput:
        """One online pass (deterministic; ``seed`` unused); the verifier counts the bins.

        A step is one item placed; an instance with more items than ``budget_steps`` is not run.
        """
        n = instance.items.shape[0]
        if n > budget_steps:
            return RunOutput(None, False, True, 0, 0.0)
        t0 = time.perf_counter()
        claimed, assignment = pack(instance.items, float(instance.capacity),
                                   functions.get("priority") or default_priority())
        seconds = time.perf_counter() - t0
        if claimed < 0:  # a broken priority function: no packing
            return RunOutput(None, False, False, 0, seconds)
        counted = bins_used(instance, assignment)
        verified = counted is not None and counted == claimed
        objective = float(counted) if counted is not None else None
        return RunOutput(objective, counted is not None, verified, n, seconds,
                         ((n, seconds, float(claimed)),),
                         solution=np.asarray(assignment, dtype=np.int32))

    def check(self, path: Path, solution: Any, reference: float | None) -> Checked:
        """Count the bins of ``solution`` (one bin index per item) from the file at ``path``."""
        counted = bins_used(self._checked(path), np.asarray(solution))
        if counted is None:
            raise VerificationError(f"{path.name}: the assignment overfills a bin or misses an item")
        return Checked(float(counted), True, self.score(None, float(counted), True, reference))

    def score(self, instance: BinPackingInstance, objective: float | None, feasible: bool,
              reference: float | None) -> float:
        """reference bins / bins: 1.0 matches the reference, above 1 uses fewer bins."""
        if not feasible or objective is None or objective <= 0:
            return 0.0
        return 1.0 if reference is None else reference / objective

    def smoke_instance(self, directory: Path) -> Path:
        """A 200-item Weibull instance."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "smoke-weibull200.bpp"
        if not path.exists():  # write then rename: workers may ask at the same time
            tmp = directory / f".smoke-{os.getpid()}.bpp"
            write_bpp(tmp, WEIBULL_CAPACITY, weibull_items(200, 1))
            os.replace(tmp, path)
        return path
