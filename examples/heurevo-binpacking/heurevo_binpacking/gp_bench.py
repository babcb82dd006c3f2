"""GP against Best Fit on held-out instances: ``python -m heurevo_binpacking.bench --evolve``.

For each GP seed: an evolution with heurevo's GP proposer on a training folder of Weibull
instances (``heurevo.evolve``, sandboxed and verified like any run, its validation guard
included), then the run's reported best against the default (Best Fit) on the held-out suite
``binpacking-weibull-5k-heldout`` through heurevo's sandboxed comparison (every packing verified).
Prints the bins of every held-out instance per entry (FunSearch's heuristic too, as a
reference), each entry's excess over the L1 bound and a paired Wilcoxon test of its bins against
Best Fit's (one pair per instance: packing is deterministic), and the mean and spread over the
GP seeds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from heurevo.stats import paired_test
from heurevo_binpacking import PROBLEM
from heurevo_binpacking.bench import excess_percent, run_entry
from heurevo_binpacking.instance import read_bpp
from heurevo_binpacking.reference import FUNSEARCH_WEIBULL
from heurevo_binpacking.slots import PRIORITY, SLOTS
from heurevo_binpacking.suites import write_weibull

TREE_COMMENT = "# gp-tree: "


@dataclass(frozen=True)
class EvolveSettings:
    """What the benchmark runs: GP seeds, evaluations per run, training set, workers."""

    gp_seeds: tuple[int, ...] = (0, 1, 2)
    evaluations: int = 200
    train_items: int = 5000
    train_seeds: tuple[int, ...] = tuple(range(1, 11))
    workers: int = 2
    heldout_suite: str = PROBLEM.heldout_suite or "binpacking-weibull-5k-heldout"


@dataclass(frozen=True)
class EntryBins:
    """One entry's bins per held-out instance and its verdict against Best Fit."""

    name: str
    bins: tuple[int, ...]
    excess_percent: float
    better: int  # instances where it uses fewer bins than Best Fit
    worse: int
    p_value: float  # one-sided paired Wilcoxon: fewer bins than Best Fit
    note: str = ""


def versus_best_fit(name: str, bins: list[int], best_fit: list[int], lower_bounds: list[int],
                    note: str = "") -> EntryBins:
    """Excess over the L1 bound and the paired test of ``bins`` against Best Fit's."""
    test = paired_test([float(b) for b in best_fit], [float(b) for b in bins], alternative="greater")
    return EntryBins(name, tuple(bins), excess_percent(bins, lower_bounds), test.better, test.worse,
                     test.p_value, note)


def evolve_and_compare(seed: int, settings: EvolveSettings, train: Path, work: Path,
                       names: list[str]) -> tuple[list[int], list[int], str]:
    """One GP run; (Best Fit's bins, the best's bins) on the held-out instances, and a note."""
    import heurevo  # the engine loads only when the benchmark runs
    from heurevo.engine.compare import compare
    from heurevo.engine.session import run_best
    from heurevo.populations.export import is_default
    from heurevo.suites.catalog import suite_cache_dir

    run_dir = work / f"gp-s{seed}"
    t0 = time.perf_counter()
    heurevo.evolve(problem="binpacking", proposer="gp", seed=seed, evaluations=settings.evaluations,
                   workers=settings.workers, suite=str(train), run_dir=run_dir)
    seconds = time.perf_counter() - t0
    cand, train_result, validation = run_best(run_dir)
    source = cand.sources.get("priority", "")
    tree = source.splitlines()[0][len(TREE_COMMENT):] if source.startswith(TREE_COMMENT) else "?"
    fitness = f"train {train_result.fitness:.4f}" + (
        f", validation {validation.fitness:.4f}" if validation is not None else "")
    if is_default(cand, SLOTS):
        return [], [], f"evolve {seconds:.0f} s; the guard kept Best Fit ({fitness})"
    result = compare(cand, settings.heldout_suite, suite_cache_dir(), run_dir / "work",
                     budget_steps=PROBLEM.default_budget_steps, seeds=1, workers=settings.workers)
    rows = {r.instance: r for r in result.rows}
    if not all(rows[n].verified for n in names):
        raise RuntimeError(f"GP seed {seed}: a held-out packing failed verification")
    best_fit = [int(rows[n].default_objective) for n in names]  # type: ignore[arg-type]
    evolved = [int(rows[n].evolved_objective) for n in names]  # type: ignore[arg-type]
    return best_fit, evolved, f"evolve {seconds:.0f} s; {tree} ({fitness})"


def run_benchmark(settings: EvolveSettings, work: Path) -> dict[str, object]:
    """Evolve per GP seed, compare on the held-out suite, print and return the results."""
    from heurevo.suites.catalog import build_suite, suite_cache_dir

    train = work / "train"
    write_weibull(train, settings.train_items, list(settings.train_seeds))
    suite = build_suite(settings.heldout_suite, "binpacking", suite_cache_dir())
    instances = [read_bpp(Path(i.path)) for i in suite.instances]
    names = [i.name for i in suite.instances]
    lower_bounds = [i.lower_bound for i in instances]
    best_fit = list(run_entry("best_fit", PRIORITY.default_source, instances, repeats=1).bins)
    entries = [versus_best_fit("best_fit", best_fit, best_fit, lower_bounds),
               versus_best_fit("funsearch", list(run_entry("funsearch", FUNSEARCH_WEIBULL, instances,
                                                           repeats=1).bins),
                               best_fit, lower_bounds, "FunSearch's published heuristic")]
    print(f"training: {len(settings.train_seeds)} Weibull instances of {settings.train_items} items; "
          f"held-out: {settings.heldout_suite} ({len(names)} instances); "
          f"{settings.evaluations} evaluations per GP seed, {settings.workers} workers", flush=True)
    for seed in settings.gp_seeds:
        sandbox_bf, evolved, note = evolve_and_compare(seed, settings, train, work, names)
        if sandbox_bf and sandbox_bf != best_fit:
            raise RuntimeError(f"GP seed {seed}: the sandboxed default disagrees with Best Fit")
        entries.append(versus_best_fit(f"gp-s{seed}", evolved or best_fit, best_fit, lower_bounds, note))
        print(f"  gp-s{seed}: {note}", flush=True)
    print_tables(names, lower_bounds, entries)
    gp = [e for e in entries if e.name.startswith("gp-")]
    summary = {"instances": names, "lower_bounds": lower_bounds, "settings": asdict(settings),
               "entries": [asdict(e) for e in entries],
               "gp_excess_mean": statistics.fmean(e.excess_percent for e in gp),
               "gp_excess_std": statistics.stdev(e.excess_percent for e in gp) if len(gp) > 1 else 0.0}
    (work / "results.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def print_tables(names: list[str], lower_bounds: list[int], entries: list[EntryBins]) -> None:
    """Bins per held-out instance, then each entry against Best Fit, then the GP seeds' spread."""
    print(f"\n{'instance':<18} {'L1':>5} " + " ".join(f"{e.name:>10}" for e in entries))
    for k, name in enumerate(names):
        print(f"{Path(name).stem:<18} {lower_bounds[k]:>5} " + " ".join(f"{e.bins[k]:>10}" for e in entries))
    print(f"\n{'entry':<10} {'excess %':>9} {'bins':>8} {'fewer':>6} {'more':>5} {'wilcoxon p':>11}")
    for e in entries:
        p = "-" if e.name == "best_fit" else f"{e.p_value:.3g}"
        print(f"{e.name:<10} {e.excess_percent:>9.2f} {sum(e.bins):>8} {e.better:>6} {e.worse:>5} {p:>11}")
    gp = [e for e in entries if e.name.startswith("gp-")]
    if gp:
        spread = statistics.stdev(e.excess_percent for e in gp) if len(gp) > 1 else 0.0
        significant = sum(e.p_value < 0.05 for e in gp)
        print(f"\nGP over {len(gp)} seeds: excess {statistics.fmean(e.excess_percent for e in gp):.2f}% "
              f"± {spread:.2f} (std) vs Best Fit {entries[0].excess_percent:.2f}%; "
              f"{significant} of {len(gp)} seeds beat Best Fit significantly (p < 0.05)")


def main(settings: EvolveSettings, work: Path | None) -> None:
    """Run the benchmark in ``work`` (a new temporary folder when None)."""
    folder = work or Path(tempfile.mkdtemp(prefix="heurevo-binpacking-gp-"))
    print(f"work folder: {folder}")
    run_benchmark(settings, folder)
