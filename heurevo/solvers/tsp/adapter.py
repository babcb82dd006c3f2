"""The TSP problem as the engine sees it: GLS with its slots, verified tour lengths, gap score.

A budget step is one GLS iteration. Runs start from the greedy tour (or the nearest-neighbour
style tour of an evolved ``select_next_node``); an evolved ``heuristics`` guide is computed once
per instance. Lengths are recomputed by the independent verifier with TSPLIB rules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from heurevo.errors import VerificationError
from heurevo.instances.formats.tsplib import TsplibInstance, read_tsp
from heurevo.instances.generators.tsp import tsplib_text, uniform_points
from heurevo.solvers.problem import Checked, FileCache, ProblemAdapter, RunOutput
from heurevo.solvers.slots import Slot
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.holes import HOLES
from heurevo.solvers.tsp.instance import TspArrays, arrays_from_tsplib
from heurevo.solvers.tsp.solve import TSP_SLOTS, run_slots


@dataclass(frozen=True)
class LoadedTsp:
    """A parsed TSPLIB file and its kernel arrays."""

    instance: TsplibInstance
    arrays: TspArrays


class TSPAdapter(ProblemAdapter):
    """Symmetric TSP with guided local search."""

    name = "tsp"

    def __init__(self) -> None:
        self._checked = FileCache(read_tsp)

    def slots(self) -> dict[str, Slot]:
        """penalize_edges (with a GP hole), select_next_node, heuristics."""
        slots = dict(TSP_SLOTS)
        return {n: s.with_extra(gp_hole=HOLES[n]) if n in HOLES else s for n, s in slots.items()}

    def load(self, path: Path) -> LoadedTsp:
        """Read a TSPLIB file and build its arrays."""
        inst = read_tsp(path)
        return LoadedTsp(inst, arrays_from_tsplib(inst))

    def run(self, instance: LoadedTsp, functions: dict[str, Any], seed: int,
            budget_steps: int) -> RunOutput:
        """``budget_steps`` GLS iterations; the tour length is recomputed by the verifier."""
        res = run_slots(instance.arrays, functions, seed, iterations=budget_steps)
        length = verify.tour_length(instance.instance, res.tour)
        verified = length == round(res.length)
        return RunOutput(float(length), True, verified, res.iterations, res.seconds,
                         tuple((int(i), float(s), float(c)) for i, s, c in res.trace),
                         solution=np.asarray(res.tour, dtype=np.int32))

    def check(self, path: Path, solution: Any, reference: float | None) -> Checked:
        """The tour's length under TSPLIB rules, from the file at ``path`` (the last 64 cached)."""
        length = float(verify.tour_length(self._checked(path), np.asarray(solution)))
        return Checked(length, True, self.score(None, length, True, reference))

    def check_solved(self, path: Path, solution: list[int], objective: float | None) -> bool:
        """The tour as TSPLIB node ids, its length recomputed under TSPLIB rules."""
        inst = self._checked(path)
        index = {int(node): i for i, node in enumerate(inst.node_ids)}
        try:
            tour = [index[int(node)] for node in solution]
        except KeyError as exc:
            raise VerificationError(f"{path.name}: the tour visits node {exc.args[0]}, not in the "
                                    "instance") from None
        return objective is not None and float(verify.tour_length(inst, tour)) == float(objective)

    def score(self, instance: LoadedTsp, objective: float | None, feasible: bool,
              reference: float | None) -> float:
        """reference / length: 1.0 matches the reference, above 1 is shorter."""
        if not feasible or objective is None or objective <= 0:
            return 0.0
        return 1.0 if reference is None else reference / objective

    def smoke_instance(self, directory: Path) -> Path:
        """A 30-city uniform instance in TSPLIB format."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "smoke-uniform30.tsp"
        if not path.exists():  # write then rename: workers may ask at the same time
            tmp = directory / f".smoke-{os.getpid()}.tsp"
            tmp.write_text(tsplib_text(uniform_points(30, 1), "smoke-uniform30"))
            os.replace(tmp, path)
        return path
