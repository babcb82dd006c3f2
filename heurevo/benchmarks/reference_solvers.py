"""External reference solvers as leaderboard entries (benchmarks only, never a core dependency).

``--entry cpsat`` (OR-Tools CP-SAT) and ``--entry scip`` (SCIP via pyscipopt) solve a PBO
instance from our own OPB/WBO reader's formula, linearised once (:func:`linear_model`);
``--entry nupbo:PATH`` runs a NuPBO binary given by path; ``--entry lkh`` solves a TSP with
LKH through elkai. Each solver gets a wall-time limit, its run seed and one thread.

A solver's answer counts only after the same independent verifier our kernels face recomputed
it from the instance file (:data:`VERIFIERS`): the objective on the board is the verifier's,
never the solver's claim. The solver's own improvement reports form the run's anytime trace,
shifted so that its last point is the verified objective. The packages are the ``refs`` extra;
a missing one is a one-line error naming it. Plug-ins add solvers with
``REFERENCE_SOLVERS.register``.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heurevo.benchmarks.result_cache import RunResult
from heurevo.errors import ConfigError, HeurevoError, VerificationError
from heurevo.registry import Registry

Trace = tuple[tuple[float, float], ...]  # (seconds, minimised objective) per improvement


@dataclass(frozen=True)
class ExternalRun:
    """What a reference solver returned, before verification."""

    solution: tuple[int, ...] | None  # PBO: 0/1 of x1..xN; TSP: 0-based city order
    seconds: float
    trace: Trace = ()  # the solver's own (seconds, claimed minimised objective) reports
    error: str = ""


@dataclass(frozen=True)
class ReferenceSolver:
    """One configured external solver: its name, problem, version, options and how to run it."""

    name: str
    problem: str
    version: str
    options: str  # canonical text of every option that changes a result
    solve: Callable[[Path, int, float], ExternalRun] = field(compare=False)  # (path, seed, seconds)

    @property
    def key(self) -> str:
        """The cache's entry key: a hash of name, version and options."""
        text = f"ref\x1f{self.name}\x1f{self.version}\x1f{self.options}"
        return "ref-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _need(module: str, package: str, solver: str) -> Any:
    """Import ``module`` or fail with the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise HeurevoError(f"--entry {solver} needs the '{package}' package: "
                           "pip install 'heurevo[refs]'") from None


# --- PBO as a linear 0-1 model ---------------------------------------------------------------
@dataclass
class LinearModel:
    """A 0-1 linear program equivalent to a PB formula, in our minimised convention.

    Variables ``0 .. n_orig-1`` are ``x1 .. xN``; products of literals and WBO relaxations add
    more. Each row is ``(coefficients by variable, lower bound, upper bound)``; the objective
    is ``sum(objective) + constant``, the value the verifier computes for a min/WBO formula
    and its negation for a max formula.
    """

    n_orig: int
    n_vars: int
    rows: list[tuple[dict[int, int], int | None, int | None]] = field(default_factory=list)
    objective: dict[int, int] = field(default_factory=dict)
    constant: int = 0
    products: dict[tuple[int, ...], int] = field(default_factory=dict)

    def new_var(self) -> int:
        """A fresh 0-1 variable."""
        self.n_vars += 1
        return self.n_vars - 1

    def expression(self, terms: Any) -> tuple[dict[int, int], int]:
        """PB terms as (coefficients, constant): ``~x`` is ``1 - x``, a product gets a variable."""
        coefs: dict[int, int] = {}
        const = 0
        for c, lits in terms:
            if len(lits) == 1:
                v = abs(lits[0]) - 1
                if lits[0] > 0:
                    coefs[v] = coefs.get(v, 0) + c
                else:
                    const += c
                    coefs[v] = coefs.get(v, 0) - c
            else:
                y = self._product(tuple(sorted(set(lits))))
                coefs[y] = coefs.get(y, 0) + c
        return {v: c for v, c in coefs.items() if c}, const

    def _product(self, lits: tuple[int, ...]) -> int:
        """A variable equal to the conjunction of ``lits``."""
        if lits in self.products:
            return self.products[lits]
        y = self.new_var()
        self.products[lits] = y
        negated = sum(1 for lit in lits if lit < 0)
        total: dict[int, int] = {y: -1}
        for lit in lits:
            v = abs(lit) - 1
            sign = 1 if lit > 0 else -1
            self.rows.append(({y: 1, v: -sign}, None, 0 if sign > 0 else 1))  # y <= literal
            total[v] = total.get(v, 0) + sign
        self.rows.append((total, None, len(lits) - 1 - negated))  # y >= sum(literals) - (k - 1)
        return y


def linear_model(formula: Any) -> LinearModel:
    """The formula as a 0-1 linear model (soft constraints relaxed by a weighted variable)."""
    model = LinearModel(formula.n_vars, formula.n_vars)
    for con in formula.constraints:
        coefs, const = model.expression(con.terms)
        rhs = con.rhs - const
        lo = {">=": rhs, ">": rhs + 1, "=": rhs}.get(con.relop)
        hi = {"<=": rhs, "<": rhs - 1, "=": rhs}.get(con.relop)
        if con.weight is None:
            model.rows.append((coefs, lo, hi))
            continue
        low = sum(c for c in coefs.values() if c < 0)
        high = sum(c for c in coefs.values() if c > 0)
        r = model.new_var()  # 1 = the soft constraint may be violated (at its weight)
        if lo is not None and lo > low:
            model.rows.append(({**coefs, r: lo - low}, lo, None))
        if hi is not None and hi < high:
            model.rows.append(({**coefs, r: -(high - hi)}, None, hi))
        model.objective[r] = model.objective.get(r, 0) + con.weight
    if formula.is_wbo:
        if formula.soft_top is not None:
            model.rows.append((dict(model.objective), None, formula.soft_top - 1))
    elif formula.objective is not None:
        coefs, const = model.expression(formula.objective)
        sign = -1 if formula.sense == "max" else 1
        model.objective = {v: sign * c for v, c in coefs.items()}
        model.constant = sign * const
    return model


def _monotone(points: list[tuple[float, float]]) -> Trace:
    """Improvements only, in time order."""
    out: list[tuple[float, float]] = []
    for t, v in sorted(points):
        if not out or v < out[-1][1]:
            out.append((float(t), float(v)))
    return tuple(out)


def _cpsat_solve(path: Path, seed: int, seconds: float) -> ExternalRun:
    cp_model = _need("ortools.sat.python.cp_model", "ortools", "cpsat")
    from heurevo.instances.formats.opb import read_pb

    lin = linear_model(read_pb(path))
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(lin.n_vars)]

    def expr(coefs: dict[int, int]) -> Any:
        return cp_model.LinearExpr.weighted_sum([x[v] for v in coefs], list(coefs.values()))

    big = 2**62
    for coefs, lo, hi in lin.rows:
        model.add_linear_constraint(expr(coefs), -big if lo is None else lo, big if hi is None else hi)
    if lin.objective:
        model.minimize(expr(lin.objective))
    points: list[tuple[float, float]] = []

    class Improvements(cp_model.CpSolverSolutionCallback):  # type: ignore[misc,name-defined]
        def on_solution_callback(self) -> None:
            points.append((self.wall_time, self.objective_value + lin.constant))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    t0 = time.perf_counter()
    status = solver.solve(model, Improvements())
    elapsed = time.perf_counter() - t0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExternalRun(None, elapsed, (), solver.status_name(status))
    values = tuple(int(solver.value(x[i])) for i in range(lin.n_orig))
    return ExternalRun(values, elapsed, _monotone(points))


def _scip_solve(path: Path, seed: int, seconds: float) -> ExternalRun:
    scip = _need("pyscipopt", "pyscipopt", "scip")
    from heurevo.instances.formats.opb import read_pb

    lin = linear_model(read_pb(path))
    model = scip.Model()
    model.hideOutput()
    model.setParam("limits/time", seconds)
    model.setParam("randomization/randomseedshift", seed)
    model.setParam("parallel/maxnthreads", 1)
    x = [model.addVar(vtype="B", name=f"x{i}") for i in range(lin.n_vars)]
    for coefs, lo, hi in lin.rows:
        e = scip.quicksum(c * x[v] for v, c in coefs.items())
        if lo is not None and lo == hi:
            model.addCons(e == lo)
            continue
        if lo is not None:
            model.addCons(e >= lo)
        if hi is not None:
            model.addCons(e <= hi)
    model.setObjective(scip.quicksum(c * x[v] for v, c in lin.objective.items()), "minimize")
    t0 = time.perf_counter()
    model.optimize()
    elapsed = time.perf_counter() - t0
    sols = model.getSols()
    if not sols:
        return ExternalRun(None, elapsed, (), str(model.getStatus()))
    best = model.getBestSol()
    values = tuple(round(model.getSolVal(best, x[i])) for i in range(lin.n_orig))
    points = [(model.getSolTime(s), model.getSolObjVal(s) + lin.constant) for s in sols]
    return ExternalRun(values, elapsed, _monotone(points))


def _nupbo_solver(binary: str) -> ReferenceSolver:
    """NuPBO as ``BINARY FILE SEED``, stopped by SIGTERM at the time limit (it prints its best)."""
    exe = Path(binary).expanduser()
    if not exe.is_file():
        raise ConfigError(f"{exe}: no NuPBO binary there", key="--entry")
    digest = hashlib.sha256(exe.read_bytes()).hexdigest()[:16]

    def solve(path: Path, seed: int, seconds: float) -> ExternalRun:
        lines: list[tuple[float, str]] = []
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(exe), str(path), str(seed)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        stream = proc.stdout

        def read() -> None:
            for line in stream:
                lines.append((time.perf_counter() - t0, line.strip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(timeout=10)
        elapsed = time.perf_counter() - t0
        found = [text.split()[1:] for _, text in lines if text.startswith("s ")]
        points = [(t, float(text.split()[1])) for t, text in lines if text.startswith("o ")]
        if not found:  # NuPBO says why on stdout ("wrong in reading obj: ...")
            said = "; ".join(t for _, t in lines if t and not t.startswith(("c ", "o ")))
            return ExternalRun(None, elapsed, (), f"nupbo: {said or 'no output'}")
        return ExternalRun(tuple(int(v) for v in found[-1]), elapsed, _monotone(points))

    return ReferenceSolver("nupbo", "pbo", f"binary {digest}", "", solve)


def _lkh_solve(path: Path, seed: int, seconds: float) -> ExternalRun:
    _need("elkai", "elkai", "lkh")
    from elkai import _elkai

    from heurevo.instances.formats.tsplib import read_tsp, tour_to_indices

    inst = read_tsp(path)
    params = f"RUNS = 1\nSEED = {seed}\nTIME_LIMIT = {seconds}\nPROBLEM_FILE = :stdin:\n"
    t0 = time.perf_counter()
    ids = _elkai.solve_problem(params, Path(path).read_text(encoding="utf-8"))
    elapsed = time.perf_counter() - t0
    order = tuple(int(i) for i in tour_to_indices(inst, [int(inst.node_ids[v - 1]) for v in ids], str(path)))
    return ExternalRun(order, elapsed, ())


def _version(module: str, package: str, solver: str) -> str:
    mod = _need(module, package, solver)
    return f"{package} {getattr(mod, '__version__', '?')}"


def _cpsat(arg: str) -> ReferenceSolver:
    return ReferenceSolver("cpsat", "pbo", _version("ortools", "ortools", "cpsat"),
                           "num_workers=1", _cpsat_solve)


def _scip(arg: str) -> ReferenceSolver:
    version = _version("pyscipopt", "pyscipopt", "scip")
    scip = _need("pyscipopt", "pyscipopt", "scip")
    return ReferenceSolver("scip", "pbo", f"{version} SCIP {scip.Model().version()}",
                           "threads=1", _scip_solve)


def _lkh(arg: str) -> ReferenceSolver:
    return ReferenceSolver("lkh", "tsp", _version("elkai", "elkai", "lkh"), "RUNS=1", _lkh_solve)


#: name → factory of the solver from the text after ``name:`` in ``--entry`` (a path, say).
REFERENCE_SOLVERS: Registry[Callable[[str], ReferenceSolver]] = Registry("reference solver")
REFERENCE_SOLVERS.register("cpsat", _cpsat, "OR-Tools CP-SAT on the linearised PBO formula (ortools)")
REFERENCE_SOLVERS.register("scip", _scip, "SCIP on the linearised PBO formula (pyscipopt)")
REFERENCE_SOLVERS.register("nupbo", _nupbo_solver, "a NuPBO binary: --entry nupbo:PATH")
REFERENCE_SOLVERS.register("lkh", _lkh, "LKH through elkai for TSP (elkai)")


def reference_solver(spec: str) -> ReferenceSolver | None:
    """The reference solver an ``--entry`` names (``cpsat``, ``nupbo:PATH``), else None."""
    name, _, arg = spec.partition(":")
    if name not in REFERENCE_SOLVERS or Path(spec).exists():
        return None
    if name == "nupbo" and not arg:
        raise ConfigError("give the NuPBO binary: --entry nupbo:PATH", key="--entry")
    return REFERENCE_SOLVERS.get(name)(arg)


# --- verification ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    """A solution as the verifier sees it: feasible, minimised objective, and the factor from the
    file's objective to the minimised one (-1 for a PBO ``max:``)."""

    feasible: bool
    objective: float | None
    sign: int = 1


def _verify_pbo(path: Path, solution: tuple[int, ...]) -> Verified:
    from heurevo.instances.formats.opb import read_pb
    from heurevo.solvers.pbo.verify import evaluate

    formula = read_pb(path)
    sign = formula.objective_sign
    verdict = evaluate(formula, np.asarray(solution[: formula.n_vars], dtype=np.int64))
    if not verdict.feasible:
        return Verified(False, None, sign)
    return Verified(True, float(sign * verdict.objective) if verdict.objective is not None else 0.0, sign)


def _verify_tsp(path: Path, solution: tuple[int, ...]) -> Verified:
    from heurevo.instances.formats.tsplib import read_tsp
    from heurevo.solvers.tsp.verify import tour_length

    return Verified(True, float(tour_length(read_tsp(path), solution)))


#: problem → the independent check of a solution (PBO: 0/1 per variable; TSP: 0-based order).
VERIFIERS: Registry[Callable[[Path, tuple[int, ...]], Verified]] = Registry("verifier")
VERIFIERS.register("pbo", _verify_pbo, "every constraint and the objective from the OPB/WBO file")
VERIFIERS.register("tsp", _verify_tsp, "a permutation; length by TSPLIB rules")


def run_reference(solver: ReferenceSolver, path: str | Path, seed: int, seconds: float) -> RunResult:
    """Run ``solver`` on ``path`` and verify its solution; failures become a failed run."""
    try:
        out = solver.solve(Path(path), seed, seconds)
    except HeurevoError:
        raise
    except Exception as exc:  # a solver's own error (a model it refuses, say) fails the run
        return RunResult("error", None, False, False, 0, 0.0, f"{solver.name}: {exc}"[:500])
    return verified_result(solver.problem, path, out, shift=True)


def verified_result(problem: str, path: str | Path, out: ExternalRun, *, steps: int = 0,
                    shift: bool = False, file_units: bool = False) -> RunResult:
    """``out`` checked by the problem's verifier: the run's objective is the verifier's.

    With ``shift`` the trace (in the solver's own units, NuPBO's soft weights say) is moved so
    that its last point is the verified objective; with ``file_units`` it is in the file's
    objective (a PBO ``max:`` value) and is turned into the minimised one.
    """
    if out.solution is None:
        return RunResult("ok", None, False, True, steps, out.seconds, out.error[:500])
    try:
        verdict = VERIFIERS.get(problem)(Path(path), out.solution)
    except VerificationError as exc:
        return RunResult("wrong", None, False, False, steps, out.seconds, str(exc)[:500])
    if not verdict.feasible or verdict.objective is None:
        return RunResult("ok", None, False, True, steps, out.seconds, "infeasible solution")
    objective = verdict.objective
    trace = tuple((t, verdict.sign * v) for t, v in out.trace) if file_units else out.trace
    if trace and shift:
        trace = tuple((t, v + objective - trace[-1][1]) for t, v in trace)
    if not trace or trace[-1][1] != objective:
        trace = (*trace, (out.seconds, objective))
    return RunResult("ok", objective, True, True, steps, out.seconds, "", trace)
