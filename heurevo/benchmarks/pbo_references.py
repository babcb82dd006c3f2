"""Reference PBO solvers for the benchmark: SCIP (pyscipopt) and CP-SAT (ortools), both optional,
and a NuPBO binary given by path (run in the same invocation, one instance at a time).

Each returns the *raw* objective of the original formula, recomputed by heurevo's verifier from
the reference solver's assignment (so SCIP's ``* Obj. scale`` comments cannot distort it), or
None when the solver is not installed or found nothing feasible in the time limit.
"""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heurevo.instances.formats.pbmodel import PBFormula
from heurevo.solvers.pbo.verify import evaluate


@dataclass(frozen=True)
class ReferenceResult:
    """Best verified objective a reference solver found, and whether it proved it optimal."""

    objective: int | None
    proven: bool
    seconds: float


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


def available(name: str) -> bool:
    """Whether the reference solver ``"scip"`` or ``"cpsat"`` can be imported."""
    module = {"scip": "pyscipopt", "cpsat": "ortools"}[name]
    return importlib.util.find_spec(module) is not None


def _verified(formula: PBFormula, values: np.ndarray) -> int | None:
    verdict = evaluate(formula, values)
    return verdict.objective if verdict.feasible else None


def solve_scip(path: Path, formula: PBFormula, time_s: float) -> ReferenceResult:
    """SCIP reading the OPB file natively, one thread, ``time_s`` seconds."""
    import pyscipopt

    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(path))
    model.setParam("limits/time", time_s)
    model.optimize()
    seconds = float(model.getSolvingTime())
    if model.getNSols() == 0:
        return ReferenceResult(None, False, seconds)
    sol = model.getBestSol()
    values = np.zeros(formula.n_vars, dtype=np.int8)
    for var in model.getVars():
        name = var.name.removeprefix("t_")
        if name.startswith("x") and name[1:].isdigit() and int(name[1:]) <= formula.n_vars:
            values[int(name[1:]) - 1] = round(model.getSolVal(sol, var))
    return ReferenceResult(_verified(formula, values), model.getStatus() == "optimal", seconds)


def solve_cpsat(formula: PBFormula, time_s: float) -> ReferenceResult:
    """CP-SAT on a model built from the formula (AND variables for products), one worker."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{i + 1}") for i in range(formula.n_vars)]
    ands: dict[tuple[int, ...], cp_model.IntVar] = {}

    def literal(lit: int) -> cp_model.IntVar:
        return x[lit - 1] if lit > 0 else x[-lit - 1].Not()

    def term(lits: tuple[int, ...]) -> cp_model.IntVar:
        if len(lits) == 1:
            return literal(lits[0])
        key = tuple(sorted(set(lits)))
        if key not in ands:
            y = model.NewBoolVar(f"and{len(ands)}")
            model.AddBoolAnd([literal(lit) for lit in key]).OnlyEnforceIf(y)
            model.AddBoolOr([literal(lit).Not() for lit in key] + [y])
            ands[key] = y
        return ands[key]

    soft = []
    for c in formula.constraints:
        expr = sum(coef * term(lits) for coef, lits in c.terms)
        relation = {">=": expr >= c.rhs, "<=": expr <= c.rhs, "=": expr == c.rhs,
                    ">": expr >= c.rhs + 1, "<": expr <= c.rhs - 1}[c.relop]
        if c.weight is None:
            model.Add(relation)
        else:
            ok = model.NewBoolVar("")
            model.Add(relation).OnlyEnforceIf(ok)
            soft.append(c.weight * ok.Not())
    if formula.is_wbo:
        model.Minimize(sum(soft))
    elif formula.objective is not None:
        obj = sum(coef * term(lits) for coef, lits in formula.objective)
        model.Maximize(obj) if formula.sense == "max" else model.Minimize(obj)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_s
    solver.parameters.num_workers = 1
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ReferenceResult(None, False, solver.WallTime())
    values = np.array([solver.Value(v) for v in x], dtype=np.int8)
    return ReferenceResult(_verified(formula, values), status == cp_model.OPTIMAL, solver.WallTime())
