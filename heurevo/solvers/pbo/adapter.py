"""The PBO problem as the engine sees it (slots, instances, verified runs, AutoPBO score).

``RunOutput.objective`` is the *minimised* value (the ``min:`` objective, the WBO cost, or the
negated ``max:`` objective), so lower is better for every instance; it is recomputed by the
independent verifier from the original formula, never taken from the kernel.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from heurevo.errors import VerificationError
from heurevo.instances.formats.opb import read_pb, write_pb
from heurevo.instances.generators.pbo import generate
from heurevo.solvers.pbo.holes import HOLES
from heurevo.solvers.pbo.instance import PBOInstance, build_instance
from heurevo.solvers.pbo.search import default_functions, search
from heurevo.solvers.pbo.slots import PBO_SLOTS, pbo_slots
from heurevo.solvers.pbo.solve import formula_objective
from heurevo.solvers.pbo.verify import evaluate
from heurevo.solvers.problem import Checked, FileCache, ProblemAdapter, RunOutput
from heurevo.solvers.slots import Slot


class PBOAdapter(ProblemAdapter):
    """Pseudo-Boolean optimisation with the StructPBO kernel."""

    name = "pbo"

    def __init__(self) -> None:
        self._checked = FileCache(self.load)

    def slots(self) -> dict[str, Slot]:
        """The seven StructPBO slots (five with GP expression holes)."""
        slots = pbo_slots()
        return {n: s.with_extra(gp_hole=HOLES[n]) if n in HOLES else s for n, s in slots.items()}

    def load(self, path: Path) -> PBOInstance:
        """Read and normalise an OPB/WBO file."""
        return build_instance(read_pb(path), str(path))

    def run(self, instance: PBOInstance, functions: dict[str, Any], seed: int,
            budget_steps: int) -> RunOutput:
        """Search for ``budget_steps`` flips and verify the best assignment independently."""
        if instance.unsat_lines:
            return RunOutput(None, False, True, 0, 0.0)
        defaults = default_functions()
        fns = tuple(functions.get(s.name, defaults[i]) for i, s in enumerate(PBO_SLOTS))
        res = search(instance, steps=budget_steps, seed=seed, functions=fns)
        sign = instance.obj_sign
        trace = tuple((int(step), float(secs), float(cost + instance.obj_offset))
                      for step, secs, cost in res.trace)
        if res.best_values is None or res.best_cost is None:
            return RunOutput(None, False, True, res.steps, res.seconds, trace)
        verdict = evaluate(instance.formula, res.best_values[: instance.n_orig])
        claimed = formula_objective(instance, res.best_cost) if instance.has_objective else None
        verified = verdict.feasible and verdict.objective == claimed
        minimised = float(sign * verdict.objective) if verdict.objective is not None else 0.0
        return RunOutput(minimised if verdict.feasible else None, verdict.feasible, verified,
                         res.steps, res.seconds, trace,
                         solution=np.asarray(res.best_values[: instance.n_orig], dtype=np.uint8))

    def check(self, path: Path, solution: Any, reference: float | None) -> Checked:
        """Evaluate the 0/1 assignment under the formula read from ``path`` (the last 64 cached)."""
        instance = self._checked(path)
        values = np.asarray(solution)
        if values.ndim != 1 or values.size != instance.n_orig or ((values != 0) & (values != 1)).any():
            raise VerificationError(f"{path.name}: a solution must be {instance.n_orig} values 0/1, "
                                    f"got shape {values.shape}")
        verdict = evaluate(instance.formula, values)
        objective = float(instance.obj_sign * verdict.objective) if verdict.objective is not None else 0.0
        objective = objective if verdict.feasible else None
        return Checked(objective, verdict.feasible,
                       self.score(instance, objective, verdict.feasible, reference))

    def check_solved(self, path: Path, solution: list[int], objective: float | None) -> bool:
        """The literals (``i`` true, ``-i`` false, one per variable in order) under the formula."""
        instance = self._checked(path)
        lits = np.asarray(solution, dtype=np.int64)
        if lits.shape != (instance.n_orig,) or (np.abs(lits) != np.arange(1, instance.n_orig + 1)).any():
            raise VerificationError(f"{path.name}: a solution lists the {instance.n_orig} variables "
                                    f"in order, got {lits.size} literals")
        verdict = evaluate(instance.formula, (lits > 0).astype(np.uint8))
        return verdict.feasible and verdict.objective == objective

    def score(self, instance: PBOInstance, objective: float | None, feasible: bool,
              reference: float | None) -> float:
        """AutoPBO's (best + 1) / (found + 1) on the shifted, non-negative objective; 0 if infeasible.

        Above 1 when the candidate beats the reference.
        """
        if not feasible or objective is None:
            return 0.0
        if reference is None:
            return 1.0
        found = objective - instance.obj_offset
        ref = reference - instance.obj_offset
        return (ref + 1.0) / (found + 1.0)

    def smoke_instance(self, directory: Path) -> Path:
        """A 30-element weighted set cover written as OPB."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "smoke-setcover.opb"
        if not path.exists():  # write then rename: workers may ask at the same time
            tmp = directory / f".smoke-{os.getpid()}.opb"
            write_pb(generate("setcover", 30, 1), tmp)
            os.replace(tmp, path)
        return path
