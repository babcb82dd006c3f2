"""Reproduce FunSearch's Weibull 5k numbers: ``python -m heurevo_binpacking.bench``.

Prints, for Best Fit and FunSearch's heuristic, the excess over the L1 bound on five generated
5,000-item Weibull instances next to the published value, and the kernel's time per instance.
With ``--evolve``: GP runs against Best Fit on held-out instances (:mod:`heurevo_binpacking.gp_bench`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from heurevo.solvers.compile import compile_slot
from heurevo_binpacking import PROBLEM
from heurevo_binpacking.instance import WEIBULL_CAPACITY, BinPackingInstance, weibull_items
from heurevo_binpacking.kernel import pack
from heurevo_binpacking.reference import FUNSEARCH_WEIBULL, PUBLISHED_EXCESS
from heurevo_binpacking.slots import PRIORITY
from heurevo_binpacking.verify import bins_used


@dataclass(frozen=True)
class EntryResult:
    """One heuristic on a set of instances: mean excess (percent) and kernel seconds per instance."""

    name: str
    excess_percent: float
    seconds_per_instance: float
    bins: tuple[int, ...]


def weibull_set(n_items: int = 5000, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> list[BinPackingInstance]:
    """FunSearch's protocol: Weibull(45, 3) instances of ``n_items`` items, capacity 100."""
    return [BinPackingInstance(f"weibull{n_items}-s{s}", WEIBULL_CAPACITY, weibull_items(n_items, s))
            for s in seeds]


def excess_percent(bins: list[int], lower_bounds: list[int]) -> float:
    """FunSearch's excess: (mean bins - mean L1 bound) / mean L1 bound, in percent."""
    lb = statistics.fmean(lower_bounds)
    return 100.0 * (statistics.fmean(bins) - lb) / lb


def run_entry(name: str, source: str, instances: list[BinPackingInstance], repeats: int = 20) -> EntryResult:
    """Compile ``source`` for the priority slot and pack every instance (verified)."""
    fn = compile_slot(PRIORITY, source, filename=f"<{name}>").function
    pack(instances[0].items, float(instances[0].capacity), fn)  # warm up
    bins, best = [], float("inf")
    for inst in instances:
        claimed, assignment = pack(inst.items, float(inst.capacity), fn)
        counted = bins_used(inst, assignment)
        if counted is None or counted != claimed:
            raise RuntimeError(f"{name}: the packing of {inst.name} failed verification")
        bins.append(counted)
    for _ in range(repeats):
        t0 = time.perf_counter()
        for inst in instances:
            pack(inst.items, float(inst.capacity), fn)
        best = min(best, (time.perf_counter() - t0) / len(instances))
    return EntryResult(name, excess_percent(bins, [i.lower_bound for i in instances]), best, tuple(bins))


def main(argv: list[str] | None = None) -> None:
    """Print the reproduction table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000,
                        help="items per instance (--evolve: per training instance)")
    parser.add_argument("--evolve", action="store_true",
                        help="GP runs against Best Fit on the held-out suite instead")
    parser.add_argument("--gp-seeds", type=int, default=3, help="--evolve: GP runs (seeds 0..N-1)")
    parser.add_argument("--evaluations", type=int, default=200, help="--evolve: evaluations per run")
    parser.add_argument("--workers", type=int, default=2, help="--evolve: sandboxed workers")
    parser.add_argument("--heldout-suite", default=PROBLEM.heldout_suite,
                        help="--evolve: the suite the runs' best are judged on")
    parser.add_argument("--work", type=Path, default=None,
                        help="--evolve: folder for the runs (default: a new temporary folder)")
    args = parser.parse_args(argv)
    if args.evolve:
        from heurevo_binpacking.gp_bench import EvolveSettings
        from heurevo_binpacking.gp_bench import main as evolve_main

        evolve_main(EvolveSettings(gp_seeds=tuple(range(args.gp_seeds)), evaluations=args.evaluations,
                                   train_items=args.items, workers=args.workers,
                                   heldout_suite=args.heldout_suite), args.work)
        return
    instances = weibull_set(args.items)
    lb = [i.lower_bound for i in instances]
    print(f"Weibull {args.items} items x {len(instances)} instances, L1 bounds {lb}")
    print(f"{'entry':<10} {'excess %':>9} {'published':>10} {'ms/instance':>12}  bins")
    for key, source in (("best_fit", PRIORITY.default_source), ("funsearch", FUNSEARCH_WEIBULL)):
        r = run_entry(key, source, instances)
        pub, tol = PUBLISHED_EXCESS[key]
        print(f"{key:<10} {r.excess_percent:>9.2f} {pub:>6.2f}±{tol:<3} {1e3 * r.seconds_per_instance:>12.2f}"
              f"  {list(r.bins)}")


if __name__ == "__main__":
    main()
