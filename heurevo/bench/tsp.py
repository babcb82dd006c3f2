"""``heurevo bench tsp``: gap and time on TSPLIB and on the literature's TSP200 test set.

TSPLIB (the shared data, skipped when absent): greedy start, guided local search for
``time_per_100`` seconds per 100 cities, gap to the known optimum. Literature: the 64 TSP200
test instances (:mod:`heurevo.instances.generators.tsp`), nearest-neighbour start from city
0 as in the papers, the default (plain distance) guide and the papers' iteration budget (800
iterations x 40 perturbation steps for TSP200); gap of the mean length to the published LKH
reference mean. With ``elkai`` importable an LKH column is added (benchmarks only: elkai's
licence is non-commercial, it is never a dependency).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from heurevo.errors import HeurevoError
from heurevo.instances.formats.tsplib import read_tsp
from heurevo.instances.generators.tsp import (
    LITERATURE_BUDGET,
    LITERATURE_REFERENCE,
    LITERATURE_TSP200_GAPS,
    literature_set,
)
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.construct import greedy_construct
from heurevo.solvers.tsp.gls import guided_local_search
from heurevo.solvers.tsp.instance import arrays_from_points, arrays_from_tsplib
from heurevo.solvers.tsp.local_search import improve
from heurevo.solvers.tsp.slots import SELECT_NEXT_NODE
from heurevo.solvers.tsp.solve import default_penalize, known_optimum, start_tour
from heurevo.suites.shared_data import shared_data_dir

#: the papers' TSP200 test budget: 800 iterations of 40 perturbation steps (slot calls)
LIT_PERTURBATION_MOVES, LIT_ITERATIONS = LITERATURE_BUDGET[200]


def _elkai() -> Any:
    try:
        import elkai
    except ImportError:
        return None
    return elkai


def _lkh_tour(elkai: Any, matrix: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    tour = elkai.DistanceMatrix(matrix.astype(np.int64).tolist()).solve_tsp(runs=1)
    return np.asarray(tour[:-1], dtype=np.int64), time.perf_counter() - t0


def time_to_length(trace: list[tuple[int, float, float]], length: float) -> float | None:
    """Seconds until the search's best length (a GLS trace) first was at most ``length``."""
    return next((s for _, s, best in trace if best <= length), None)


def _read_all(data: Path, pattern: str) -> tuple[list[tuple[Any, Path]], list[dict[str, str]]]:
    """Parsed instances (smallest first) and the files that could not be read, with why."""
    insts, unreadable = [], []
    for f in sorted(data.glob(pattern)):
        try:
            insts.append((read_tsp(f), f))
        except HeurevoError as exc:
            unreadable.append({"file": f.name, "error": str(exc)})
    return sorted(insts, key=lambda t: t[0].n), unreadable


def _tsplib_rows(insts: list[tuple[Any, Path]], optima: Path | None, time_per_100: float,
                 seed: int, elkai: Any, penalize: Any, progress: Progress) -> list[dict[str, Any]]:
    rows = []
    task = progress.add_task("TSPLIB", total=len(insts))
    for inst, path in insts:
        progress.update(task, description=f"TSPLIB {inst.name}")
        arrays = arrays_from_tsplib(inst)
        t0 = time.perf_counter()
        tour0 = start_tour(arrays, None, seed)
        res = guided_local_search(arrays, tour0, penalize, time_s=time_per_100 * inst.n / 100.0,
                                  seed=seed)
        seconds = time.perf_counter() - t0
        length = verify.tour_length(inst, res.tour)
        opt = known_optimum(inst, path, optima)
        row: dict[str, Any] = {"name": inst.name, "file": path.name, "n": inst.n,
                               "length": length, "optimum": opt,
                               "gap_pct": None if opt is None else 100.0 * (length / opt - 1),
                               "seconds": seconds, "iterations": res.iterations}
        if elkai is not None and arrays.mat.shape[0] == inst.n:
            lt, ls = _lkh_tour(elkai, arrays.mat)
            lkh_len = verify.tour_length(inst, lt)
            row.update(lkh_length=lkh_len, lkh_seconds=ls,
                       lkh_gap_pct=None if opt is None else 100.0 * (lkh_len / opt - 1),
                       time_to_lkh_s=time_to_length(res.trace, lkh_len))
        rows.append(row)
        progress.advance(task)
    return rows


def _literature(seed: int, elkai: Any, penalize: Any, select: Any, progress: Progress) -> dict[str, Any]:
    points = literature_set("test", 200)
    task = progress.add_task("TSP200 test", total=len(points))
    lengths, times, lkh_lengths, lkh_times = [], [], [], []
    for i, pts in enumerate(points):
        t0 = time.perf_counter()
        arrays = arrays_from_points(pts)
        tour0 = start_tour(arrays, select, seed)
        res = guided_local_search(arrays, tour0, penalize, iterations=LIT_ITERATIONS,
                                  perturbation_moves=LIT_PERTURBATION_MOVES, seed=seed + i)
        times.append(time.perf_counter() - t0)
        lengths.append(verify.euclidean_tour_length(pts, res.tour))
        if elkai is not None:
            lt, ls = _lkh_tour(elkai, np.round(arrays.mat * 1e6))
            lkh_lengths.append(verify.euclidean_tour_length(pts, lt))
            lkh_times.append(ls)
        progress.advance(task)
    ref = LITERATURE_REFERENCE[200]
    out: dict[str, Any] = {"instances": len(points), "iterations": LIT_ITERATIONS,
                           "perturbation_moves": LIT_PERTURBATION_MOVES,
                           "mean_length": float(np.mean(lengths)), "reference": ref,
                           "gap_pct": 100.0 * (float(np.mean(lengths)) / ref - 1),
                           "seconds_per_instance": float(np.mean(times))}
    if lkh_lengths:
        out.update(lkh_gap_pct=100.0 * (float(np.mean(lkh_lengths)) / ref - 1),
                   lkh_seconds_per_instance=float(np.mean(lkh_times)))
    return out


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def _print_tsplib(rows: list[dict[str, Any]], time_per_100: float, console: Console) -> None:
    lkh = any("lkh_length" in r for r in rows)
    table = Table(title=f"TSPLIB: guided local search, {time_per_100:g} s per 100 cities")
    for col in ("instance", "n", "length", "optimum", "gap %", "s"):
        table.add_column(col, justify="right")
    if lkh:
        for col in ("LKH gap %", "LKH s", "s to LKH length", "/ LKH s"):
            table.add_column(col, justify="right")
    for r in rows:
        cells = [r["name"], str(r["n"]), str(r["length"]), str(r["optimum"] or "-"),
                 _fmt(r["gap_pct"]), _fmt(r["seconds"], ".2f")]
        if lkh:
            reach = r.get("time_to_lkh_s")
            cells += [_fmt(r.get("lkh_gap_pct")), _fmt(r.get("lkh_seconds"), ".2f"),
                      "never" if "lkh_length" in r and reach is None else _fmt(reach, ".2f"),
                      _fmt(reach / r["lkh_seconds"], ".3f") if reach and r.get("lkh_seconds")
                      else "-"]
        table.add_row(*cells)
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    missing = [r["name"] for r in rows if r["gap_pct"] is None]
    if gaps:
        table.caption = (f"mean gap {np.mean(gaps):.3f}% (max {max(gaps):.3f}%) over {len(gaps)} "
                         f"instances (target < 1% each), total "
                         f"{sum(r['seconds'] for r in rows):.1f} s")
    if missing:
        table.caption = (f"{table.caption or ''}; no known optimum (optima.csv by file or NAME, "
                         f"or NAME.opt.tour) for {len(missing)}: {', '.join(missing)}")
    console.print(table)


def _print_literature(lit: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Literature TSP200 test set ({lit['instances']} instances), gap to the "
                        f"LKH mean {lit['reference']}")
    for col in ("method", "gap %", "s / instance", "gap vs ours"):
        table.add_column(col, justify="right")
    ours = lit["gap_pct"]
    table.add_row(f"heurevo GLS ({lit['iterations']} it x {lit['perturbation_moves']} moves)",
                  f"{ours:.4f}", f"{lit['seconds_per_instance']:.3f}", "1.00")
    if "lkh_gap_pct" in lit:
        table.add_row("LKH-3 (elkai, 1 run)", f"{lit['lkh_gap_pct']:.4f}",
                      f"{lit['lkh_seconds_per_instance']:.3f}", "-")
    for name, gap in LITERATURE_TSP200_GAPS.items():
        ratio = f"{gap / ours:.2f}" if ours > 0 else "-"
        table.add_row(f"{name} (published)", f"{gap:.4f}", "~1.5" if "KGLS" in name else "-", ratio)
    table.caption = "target: gap <= 0.15% at <= 0.2 s per instance; 'gap vs ours' = their gap / ours"
    console.print(table)


def large_local_search(n: int, seed: int) -> dict[str, Any]:
    """Greedy start and 2-opt + Or-opt to a local optimum on ``n`` uniform random cities, timed."""
    small = arrays_from_points(np.random.default_rng(0).random((50, 2)))
    improve(small, greedy_construct(small.kind, small.xy, small.mat, small.neighbours))  # compile
    t0 = time.perf_counter()
    arrays = arrays_from_points(np.random.default_rng(seed).random((n, 2)), name=f"uniform{n}")
    t1 = time.perf_counter()
    tour = greedy_construct(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours)
    t2 = time.perf_counter()
    tour, moves = improve(arrays, tour)
    t3 = time.perf_counter()
    return {"n": n, "arrays_s": t1 - t0, "greedy_s": t2 - t1, "local_search_s": t3 - t2,
            "total_s": t3 - t0, "moves": moves, "length": arrays.length(tour)}


def run_tsp_bench(data: Path | None, time_per_100: float, seed: int, pattern: str,
                  literature: bool, lkh: bool, out: Path | None, console: Console,
                  large: int = 100_000, optima: Path | None = None) -> dict[str, Any]:
    """Run the TSP benchmark, print rich tables, optionally write JSON; returns the results.

    ``optima`` is a CSV (``name,optimal_length``, keyed by file name or NAME); by default each
    folder's own ``optima.csv``. Unreadable files and instances without an optimum are named.
    """
    elkai = _elkai() if lkh else None
    penalize = default_penalize()
    select = compile_slot(SELECT_NEXT_NODE, SELECT_NEXT_NODE.default_source).function
    warm = arrays_from_points(np.random.default_rng(0).random((12, 2)))
    guided_local_search(warm, start_tour(warm, select, 0), penalize, iterations=2)  # compile
    folder = data if data is not None else shared_data_dir("tsplib")
    results: dict[str, Any] = {"time_per_100": time_per_100, "seed": seed,
                               "lkh": elkai is not None}
    with Progress(console=console, transient=True) as progress:
        if folder is not None and folder.is_dir():
            insts, unreadable = _read_all(folder, pattern)
            results["unreadable"] = unreadable
            results["tsplib"] = _tsplib_rows(insts, optima, time_per_100, seed, elkai, penalize,
                                             progress)
        else:
            console.print("[yellow]TSPLIB data not found: skipping that part[/]")
        if literature:
            results["literature"] = _literature(seed, elkai, penalize, select, progress)
    if results.get("tsplib"):
        _print_tsplib(results["tsplib"], time_per_100, console)
    for bad in results.get("unreadable", []):
        console.print(f"skipped {bad['file']}: {bad['error']}", markup=False, highlight=False)
    if lkh and elkai is None:
        console.print("no LKH column: install elkai (pip install 'heurevo[refs]') for it")
    if "literature" in results:
        _print_literature(results["literature"], console)
    if large:
        with console.status(f"{large} random cities: greedy + local search..."):
            big = results["large"] = large_local_search(large, seed)
        console.print(f"{big['n']} uniform cities: kNN lists {big['arrays_s']:.2f} s, greedy "
                      f"{big['greedy_s']:.2f} s, 2-opt + Or-opt to a local optimum "
                      f"{big['local_search_s']:.2f} s ({big['moves']} moves); total "
                      f"{big['total_s']:.2f} s (target < 2 s)")
    if out is not None:
        out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results
