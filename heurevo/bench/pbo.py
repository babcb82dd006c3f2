"""``heurevo bench pbo``: flip rate and objective per instance against NuPBO and reference solvers.

For every ``.opb`` in the data folder: our default search at a fixed budget (every result
verified), its flips/s over NuPBO's (``nupbo-60s.csv`` in ``shared/reference``), its objective
against NuPBO's 60 s value and the known optimum (``optima.csv``), and, when installed, SCIP and
CP-SAT at the same wall time (one thread each). Also reports the kernel and slot compile times.

NuPBO's reference values are single runs (seed 1), so one of ours against one of theirs is partly
a seed draw: ``seeds > 1`` also runs the next seeds and reports, per instance, the best and the
median objective over all of them, and how often the median matches NuPBO's value.
"""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from heurevo.benchmarks import pbo_references as refs
from heurevo.benchmarks.tables import Column, TableData, print_table
from heurevo.instances.formats.opb import read_pb
from heurevo.solvers.solve import SolveOptions
from heurevo.suites.shared_data import shared_data_dir


def _read_csv(path: Path, key: str = "file") -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(newline="") as fh:
        return {row[key]: row for row in csv.DictReader(fh)}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


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
    """better / equal / worse than NuPBO's value; "—" where NuPBO has none (no verdict)."""
    if theirs is None:
        return "—"
    if ours is None:
        return "worse"
    return "better" if ours < theirs else "equal" if ours == theirs else "worse"


def run_pbo_bench(data: Path | None, steps: int | None, time_s: float, seed: int, pattern: str,
                  references: bool, out: Path | None, console: Console,
                  seeds: int = 1) -> list[dict[str, Any]]:
    """Run the benchmark, print a table and return one row per instance.

    ``seeds``: runs per instance (seeds ``seed``, ``seed + 1``, ...); the first is the one
    compared with NuPBO's seed-1 value and timed against the reference solvers."""
    if seeds < 1:
        raise ValueError(f"seeds: must be >= 1, got {seeds}")
    folder = data or shared_data_dir("pbo")
    if folder is None or not folder.is_dir():
        console.print("[yellow]PBO bench skipped: no data folder (give --data or set HEUREVO_SHARED_DATA)[/]")
        return []
    files = sorted(folder.glob(pattern))
    nupbo = _read_csv(folder.parent.parent / "reference" / "nupbo-60s.csv")
    optima = _read_csv(folder / "optima.csv")
    use = {name: references and refs.available(name) for name in ("scip", "cpsat")}
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
            runs = [solve_instance(inst, SolveOptions(steps=steps, time_s=None if steps else time_s,
                                                      seed=seed + k)) for k in range(seeds)]
            res = runs[0]
            nu = nupbo.get(path.name, {})
            row: dict[str, Any] = {
                "file": path.name, "objective": res.objective, "status": res.status,
                "verified": res.verified, "seconds": res.seconds, "steps": res.steps,
                "flips_per_s": res.extra.get("flips_per_s", 0.0),
                "nupbo_flips_per_s": _int(nu.get("nupbo_flips_per_s")),
                "nupbo_60s": _int(nu.get("nupbo_60s_objective")),
                "reference": optima.get(path.name, {}).get("reference_obj", ""),
            }
            row["vs_nupbo"] = _compare(row["objective"], row["nupbo_60s"])
            if seeds > 1:
                row["objectives"] = [r.objective for r in runs]
                row["verified_all"] = all(r.verified or r.objective is None for r in runs)
                row["median"] = median_objective(row["objectives"])
                row["median_vs_nupbo"] = _compare(row["median"], row["nupbo_60s"])
            wall = max(res.seconds, 0.1)
            if use["scip"]:
                progress.update(task, description=f"SCIP {path.name}")
                row["scip"] = refs.solve_scip(path, formula, wall).objective
            if use["cpsat"]:
                progress.update(task, description=f"CP-SAT {path.name}")
                row["cpsat"] = refs.solve_cpsat(formula, wall).objective
            rows.append(row)
            progress.advance(task)
    print_table(console, _table(rows, use, steps, time_s, seeds))
    console.print(_summary(rows, timings, seeds), highlight=False)
    if out is not None:
        out.write_text(json.dumps({"rows": rows, "timings": timings, "time_s": time_s,
                                   "steps": steps, "seed": seed, "seeds": seeds}, indent=1))
    return rows


_STATUS = {"OPTIMUM FOUND": "OPT", "SATISFIABLE": "SAT", "UNSATISFIABLE": "UNSAT", "UNKNOWN": "UNK"}


def _fmt(x: Any) -> str:
    return "—" if x is None or x == "" else str(x)


def _table(rows: list[dict[str, Any]], use: dict[str, bool], steps: int | None,
           time_s: float, seeds: int = 1) -> TableData:
    budget = f"{steps} flips" if steps else f"{time_s:g} s"
    names = ["instance", "flips/s", "×NuPBO", "objective", "NuPBO 60s", "vs NuPBO", "reference",
             "status"]
    if seeds > 1:
        names.append(f"{seeds} seeds best / median")
    names += [n for n, key in (("SCIP", "scip"), ("CP-SAT", "cpsat")) if use[key]]
    colour = {"better": "green", "equal": "green", "worse": "red", "—": "dim"}
    table_rows = []
    for r in rows:
        ratio = r["flips_per_s"] / r["nupbo_flips_per_s"] if r["nupbo_flips_per_s"] else None
        name = r["file"].removeprefix("miplib_").removeprefix("normalized-").removesuffix(".opb")
        cells = [name, f"{r['flips_per_s']:,.0f}", f"{ratio:.2f}" if ratio else "—",
                 _fmt(r["objective"]), _fmt(r["nupbo_60s"]),
                 f"[{colour[r['vs_nupbo']]}]{r['vs_nupbo']}[/]", _fmt(r["reference"]),
                 _STATUS.get(r["status"], r["status"])
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
    return TableData(f"PBO: heurevo default slots at {budget} vs NuPBO (C++) and references",
                     columns, tuple(table_rows))


def _summary(rows: list[dict[str, Any]], timings: dict[str, float], seeds: int = 1) -> str:
    ratios = [r["flips_per_s"] / r["nupbo_flips_per_s"] for r in rows
              if r["nupbo_flips_per_s"] and r["flips_per_s"]]
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        rate = f"flip rate vs NuPBO: geometric mean ×{geo:.2f} over {len(ratios)} instances"
    else:
        rate = "flip rate vs NuPBO: no instance has a NuPBO reference"
    judged = [r for r in rows if r["nupbo_60s"] is not None]
    good = sum(r["vs_nupbo"] in ("better", "equal") for r in judged)
    at_ref = sum(str(r["objective"]) == r["reference"] for r in rows)
    med = sum(r.get("median_vs_nupbo") in ("better", "equal") for r in judged)
    over_seeds = f" (median of {seeds} seeds: {med}/{len(judged)})" if seeds > 1 else ""
    verdict = (f"objective equal or better than NuPBO 60 s on {good}/{len(judged)}{over_seeds}"
               if judged else "no NuPBO objective to compare with")
    return (f"{rate}; {verdict}; "
            f"at the reference value on {at_ref}/{len(rows)}\n"
            f"kernel load {timings['kernel_load_s']:.2f} s, default slots compile "
            f"{timings['default_slots_s']:.2f} s, one slot swap {timings['slot_swap_s']:.3f} s")
