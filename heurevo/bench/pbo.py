"""``heurevo bench pbo``: flip rate and objective per instance, side by side with NuPBO.

For every ``.opb`` in the data folder: our default search at a fixed budget (every result
verified) and its objective against the known optimum (``optima.csv``). With ``nupbo`` (a NuPBO
binary, see :data:`~heurevo.benchmarks.pbo_references.NUPBO_BUILD`) NuPBO runs in the same
invocation, right after ours on the same instance with the same seed and time limit: its flip
rate and objective (verified by heurevo) per instance, and the geometric mean of the flip-rate
ratio. Ratios use each solver's CPU seconds, so a loaded machine skews them less than wall time.
Without a binary there is no comparison column (stored numbers from another day are no side by
side). When installed, SCIP and CP-SAT run at the same wall time (one thread each). Also reports
the kernel and slot compile times.

``seeds > 1`` also runs the next seeds and reports, per instance, the best and the median
objective over all of them (one of ours against one of NuPBO's is partly a seed draw).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from heurevo.benchmarks import pbo_references as refs
from heurevo.benchmarks.reference_solvers import reference_solver, run_reference
from heurevo.benchmarks.tables import Column, TableData, print_table
from heurevo.errors import HeurevoError
from heurevo.instances.formats.opb import read_pb
from heurevo.solvers.solve import SolveOptions
from heurevo.suites.shared_data import shared_data_dir


def _read_csv(path: Path, key: str = "file") -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(newline="") as fh:
        return {row[key]: row for row in csv.DictReader(fh)}


def compile_times() -> dict[str, float]:
    """Seconds to load the (cached) kernel, compile the default slots, and swap one slot."""
    t0 = time.perf_counter()
    from heurevo.solvers.pbo import search

    t1 = time.perf_counter()
    search.default_functions()
    t2 = time.perf_counter()
    slot = search.pbo_slots()["pick_best_variable"]
    search.functions_for({"pick_best_variable": slot.default_source.replace("0.01", "0.02")})
    t3 = time.perf_counter()
    return {"kernel_load_s": t1 - t0, "default_slots_s": t2 - t1, "slot_swap_s": t3 - t2}


def median_objective(objectives: list[int | None]) -> int | None:
    """The median run's objective (lower median; a run with no solution ranks last)."""
    ranked = sorted(objectives, key=lambda o: math.inf if o is None else o)
    return ranked[(len(ranked) - 1) // 2] if ranked else None


def _compare(ours: int | None, theirs: int | None) -> str:
    """better / equal / worse than NuPBO's objective (None: found nothing feasible)."""
    if theirs is None:
        return "equal" if ours is None else "better"
    if ours is None:
        return "worse"
    return "better" if ours < theirs else "equal" if ours == theirs else "worse"


def _nupbo_row(binary: Path, path: Path, formula: Any, wall: float, seed: int,
               ours: int | None, our_rate: float) -> dict[str, Any]:
    nu = refs.solve_nupbo(binary, path, formula, wall, seed)
    rate = nu.flips_per_cpu_s
    return {"nupbo_objective": nu.objective, "nupbo_flips": nu.flips,
            "nupbo_flips_per_s": nu.flips / nu.seconds if nu.flips and nu.seconds else None,
            "nupbo_cpu_s": nu.cpu_s,
            "flip_ratio": our_rate / rate if rate and our_rate else None,
            "vs_nupbo": _compare(ours, nu.objective) if nu.answered else "—"}


def _installed(name: str) -> bool:
    try:
        return reference_solver(name) is not None
    except HeurevoError:  # its package is missing
        return False


def _reference_objective(name: str, path: Path, formula: Any, seed: int, wall: float) -> int | None:
    """The leaderboard's reference solver ``name`` for ``wall`` seconds: its verified objective in
    the file's own units (a ``max:`` value stays a maximum), None when it found nothing feasible."""
    solver = reference_solver(name)
    assert solver is not None
    run = run_reference(solver, path, seed, wall)
    if run.objective is None:
        return None
    return int(formula.objective_sign * run.objective)


def run_pbo_bench(data: Path | None, steps: int | None, time_s: float, seed: int, pattern: str,
                  references: bool, out: Path | None, console: Console, seeds: int = 1,
                  nupbo: Path | None = None) -> list[dict[str, Any]]:
    """Run the benchmark, print a table and return one row per instance.

    ``seeds``: runs per instance (seeds ``seed``, ``seed + 1``, ...); the first is the one
    compared with NuPBO (same seed) and timed against the reference solvers. ``nupbo``: a NuPBO
    binary to run side by side (ValueError when it is not an executable file)."""
    if seeds < 1:
        raise ValueError(f"seeds: must be >= 1, got {seeds}")
    if nupbo is not None and not (nupbo.is_file() and os.access(nupbo, os.X_OK)):
        raise ValueError(f"--nupbo {nupbo}: not an executable file")
    folder = data or shared_data_dir("pbo")
    if folder is None or not folder.is_dir():
        console.print("[yellow]PBO bench skipped: no data folder (give --data or set HEUREVO_SHARED_DATA)[/]")
        return []
    files = sorted(folder.glob(pattern))
    optima = _read_csv(folder / "optima.csv")
    use = {name: references and _installed(name) for name in ("scip", "cpsat")}
    use["nupbo"] = nupbo is not None
    timings = compile_times()
    from heurevo.solvers.pbo.instance import build_instance
    from heurevo.solvers.pbo.solve import solve_instance

    rows: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("PBO bench", total=len(files))
        for path in files:
            progress.update(task, description=f"heurevo {path.name}")
            formula = read_pb(path)
            inst = build_instance(formula, str(path))
            runs, cpu = [], 0.0
            for k in range(seeds):
                t0 = time.process_time()
                runs.append(solve_instance(inst, SolveOptions(
                    steps=steps, time_s=None if steps else time_s, seed=seed + k)))
                cpu = cpu or time.process_time() - t0
            res = runs[0]
            row: dict[str, Any] = {
                "file": path.name, "objective": res.objective, "status": res.status,
                "verified": res.verified, "seconds": res.seconds, "cpu_s": cpu,
                "steps": res.steps, "flips_per_s": res.extra.get("flips_per_s", 0.0),
                "reference": optima.get(path.name, {}).get("reference_obj", ""),
            }
            if seeds > 1:
                row["objectives"] = [r.objective for r in runs]
                row["verified_all"] = all(r.verified or r.objective is None for r in runs)
                row["median"] = median_objective(row["objectives"])
            wall = time_s if not steps else max(res.seconds, 0.1)
            if nupbo is not None:
                progress.update(task, description=f"NuPBO {path.name}")
                row |= _nupbo_row(nupbo, path, formula, wall, seed, res.objective,
                                  res.steps / cpu if cpu > 0 else 0.0)
                if seeds > 1:
                    row["median_vs_nupbo"] = (_compare(row["median"], row["nupbo_objective"])
                                              if row["vs_nupbo"] != "—" else "—")
            if use["scip"]:
                progress.update(task, description=f"SCIP {path.name}")
                row["scip"] = _reference_objective("scip", path, formula, seed, wall)
            if use["cpsat"]:
                progress.update(task, description=f"CP-SAT {path.name}")
                row["cpsat"] = _reference_objective("cpsat", path, formula, seed, wall)
            rows.append(row)
            progress.advance(task)
    print_table(console, _table(rows, use, steps, time_s, seeds))
    console.print(_summary(rows, timings, seeds, use["nupbo"]), highlight=False)
    if out is not None:
        out.write_text(json.dumps({"rows": rows, "timings": timings, "time_s": time_s,
                                   "steps": steps, "seed": seed, "seeds": seeds,
                                   "nupbo": str(nupbo) if nupbo else None}, indent=1))
    return rows


_STATUS = {"OPTIMUM FOUND": "OPT", "SATISFIABLE": "SAT", "UNSATISFIABLE": "UNSAT", "UNKNOWN": "UNK"}


def _fmt(x: Any) -> str:
    return "—" if x is None or x == "" else str(x)


def _table(rows: list[dict[str, Any]], use: dict[str, bool], steps: int | None,
           time_s: float, seeds: int = 1) -> TableData:
    budget = f"{steps} flips" if steps else f"{time_s:g} s"
    names = ["instance", "flips/s"]
    if use["nupbo"]:
        names += ["NuPBO flips/s", "×NuPBO (CPU)"]
    names += ["objective"] + (["NuPBO", "vs NuPBO"] if use["nupbo"] else []) + ["reference",
                                                                                "status"]
    if seeds > 1:
        names.append(f"{seeds} seeds best / median")
    names += [n for n, key in (("SCIP", "scip"), ("CP-SAT", "cpsat")) if use[key]]
    colour = {"better": "green", "equal": "green", "worse": "red", "—": "dim"}
    table_rows = []
    for r in rows:
        name = r["file"].removeprefix("miplib_").removeprefix("normalized-").removesuffix(".opb")
        cells = [name, f"{r['flips_per_s']:,.0f}"]
        if use["nupbo"]:
            cells += [f"{r['nupbo_flips_per_s']:,.0f}" if r["nupbo_flips_per_s"] else "—",
                      f"{r['flip_ratio']:.2f}" if r["flip_ratio"] else "—"]
        cells.append(_fmt(r["objective"]))
        if use["nupbo"]:
            cells += [_fmt(r["nupbo_objective"]), f"[{colour[r['vs_nupbo']]}]{r['vs_nupbo']}[/]"]
        cells += [_fmt(r["reference"]), _STATUS.get(r["status"], r["status"])
                  + ("" if r["verified"] or r["objective"] is None else " UNVERIFIED")]
        if seeds > 1:
            found = [o for o in r["objectives"] if o is not None]
            cells.append(f"{_fmt(min(found) if found else None)} / {_fmt(r['median'])}"
                         + ("" if r["verified_all"] else " UNVERIFIED"))
        if use["scip"]:
            cells.append(_fmt(r.get("scip")))
        if use["cpsat"]:
            cells.append(_fmt(r.get("cpsat")))
        table_rows.append(tuple(cells))
    columns = tuple(Column(n, "left" if n == "instance" else "right") for n in names)
    against = "NuPBO (C++, same run)" if use["nupbo"] else "the known optima"
    return TableData(f"PBO: heurevo default slots at {budget} vs {against} and references",
                     columns, tuple(table_rows))


def _summary(rows: list[dict[str, Any]], timings: dict[str, float], seeds: int,
             with_nupbo: bool) -> str:
    at_ref = sum(str(r["objective"]) == r["reference"] for r in rows)
    times = (f"kernel load {timings['kernel_load_s']:.2f} s, default slots compile "
             f"{timings['default_slots_s']:.2f} s, one slot swap {timings['slot_swap_s']:.3f} s")
    if not with_nupbo:
        return (f"at the reference value on {at_ref}/{len(rows)}\n"
                f"no NuPBO comparison (give --nupbo PATH to run one side by side); build it with:"
                f"\n  {refs.NUPBO_BUILD}\n{times}")
    ratios = [(r["flip_ratio"], r["file"]) for r in rows if r["flip_ratio"]]
    if ratios:
        geo = math.exp(sum(math.log(x) for x, _ in ratios) / len(ratios))
        low = min(ratios)
        rate = (f"flip rate vs NuPBO (CPU seconds): geometric mean ×{geo:.2f} over "
                f"{len(ratios)} instances, lowest ×{low[0]:.2f} ({low[1]})")
    else:
        rate = "flip rate vs NuPBO: NuPBO printed no flip count (build it as --help says)"
    judged = [r for r in rows if r["vs_nupbo"] != "—"]
    good = sum(r["vs_nupbo"] in ("better", "equal") for r in judged)
    med = sum(r.get("median_vs_nupbo") in ("better", "equal") for r in judged)
    over_seeds = f" (median of {seeds} seeds: {med}/{len(judged)})" if seeds > 1 else ""
    return (f"{rate}; objective equal or better than NuPBO's on {good}/{len(judged)}"
            f"{over_seeds}; at the reference value on {at_ref}/{len(rows)}\n{times}")
