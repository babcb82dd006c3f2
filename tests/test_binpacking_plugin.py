"""The bin-packing example plug-in: discovered through entry points, FunSearch's numbers reproduced.

Skipped when the example is not installed (``pip install -e examples/heurevo-binpacking``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("heurevo_binpacking")

from heurevo_binpacking.bench import run_entry, weibull_set
from heurevo_binpacking.instance import read_bpp, weibull_items, write_bpp
from heurevo_binpacking.kernel import NOT_A_NUMBER, WRONG_LENGTH, pack
from heurevo_binpacking.reference import FUNSEARCH_WEIBULL, PUBLISHED_EXCESS
from heurevo_binpacking.slots import PRIORITY
from heurevo_binpacking.verify import bins_used

from heurevo.errors import InstanceFormatError
from heurevo.solvers.compile import compile_slot


def test_discovered_through_entry_points() -> None:
    from heurevo.solvers.problem import PROBLEMS, get_problem, problem_for_suffix
    from heurevo.suites.catalog import SUITES

    assert "binpacking" in PROBLEMS and problem_for_suffix(".bpp").name == "binpacking"
    assert {"binpacking-weibull-1k", "binpacking-weibull-5k-heldout"} <= set(SUITES.names())
    assert list(get_problem("binpacking").slots()) == ["priority"]


def funsearch_protocol_bins(items: np.ndarray, capacity: float, priority) -> int:
    """FunSearch's own evaluation, in NumPy: one bin per item, empty bins offered too."""
    bins = np.full(len(items), capacity)
    for item in items:
        valid = np.nonzero(bins - item >= 0)[0]
        bins[valid[np.argmax(priority(item, bins[valid]))]] -= item
    return int((bins != capacity).sum())


def _python_priority(source: str):
    namespace: dict = {"np": np}
    exec(source, namespace)
    return namespace["priority"]


@pytest.mark.parametrize("source", [PRIORITY.default_source, FUNSEARCH_WEIBULL],
                         ids=["best_fit", "funsearch"])
def test_kernel_packs_like_funsearchs_protocol(source: str) -> None:
    items = weibull_items(400, 7)
    fn = compile_slot(PRIORITY, source).function
    claimed, _ = pack(items, 100.0, fn)
    expected = funsearch_protocol_bins(items, 100.0, _python_priority(source))
    assert claimed == expected


def test_weibull_5k_reproduces_the_published_excess() -> None:
    instances = weibull_set(5000)
    for key, source in (("best_fit", PRIORITY.default_source), ("funsearch", FUNSEARCH_WEIBULL)):
        published, tolerance = PUBLISHED_EXCESS[key]
        result = run_entry(key, source, instances, repeats=1)
        assert abs(result.excess_percent - published) <= tolerance, (key, result)


def _hole_source(tree: str) -> str:
    from heurevo.engine.proposers.gp import build_pset, parse_tree, render

    hole = PRIORITY.extra["gp_hole"]
    return render(hole, parse_tree(tree, build_pset(hole)))


def test_the_gp_hole_filled_with_best_fit_packs_exactly_like_best_fit() -> None:
    """Same bin for every item, on instances with exact fits and ties (integer sizes)."""
    hole_bf = compile_slot(PRIORITY, _hole_source(PRIORITY.extra["gp_hole"].default)).function
    best_fit = compile_slot(PRIORITY, PRIORITY.default_source).function
    rng = np.random.default_rng(5)
    for items in (weibull_items(2000, 11), rng.integers(1, 60, 1500).astype(np.float64),
                  np.full(300, 50.0), np.array([100.0, 30.0, 70.0, 30.0, 40.0, 30.0])):
        bins_bf, assignment_bf = pack(items, 100.0, best_fit)
        bins_hole, assignment_hole = pack(items, 100.0, hole_bf)
        assert bins_hole == bins_bf > 0
        assert np.array_equal(assignment_hole, assignment_bf)


def test_the_gp_hole_can_express_a_heuristic_better_than_best_fit() -> None:
    """Worst fit among the open bins that keep room for an item like this one, else a new bin."""
    items = weibull_items(5000, 12)
    best_fit = compile_slot(PRIORITY, PRIORITY.default_source).function
    evolved = compile_slot(PRIORITY, _hole_source("join(r, s)")).function
    assert pack(items, 100.0, evolved)[0] < pack(items, 100.0, best_fit)[0]


def test_gp_proposals_for_the_hole_compile() -> None:
    from heurevo.engine.proposers.gp import GPProposer
    from heurevo.populations.records import ProposalRequest

    proposer = GPProposer({"priority": PRIORITY})
    assert proposer.evolvable() == ["priority"]
    for seed in range(3):
        request = ProposalRequest("binpacking", ("priority",), "init", (), {}, seed, 1)
        source = proposer.propose(request).sources["priority"]
        items = weibull_items(100, seed)
        bins = pack(items, 100.0, compile_slot(PRIORITY, source).function)[0]
        assert bins >= math.ceil(items.sum() / 100.0)


def test_the_gp_benchmark_tests_bins_against_best_fit_per_instance() -> None:
    from heurevo_binpacking.gp_bench import versus_best_fit

    best_fit = [105 + k % 3 for k in range(20)]
    lower = [100] * 20
    fewer = versus_best_fit("gp", [b - 1 - k % 2 for k, b in enumerate(best_fit)], best_fit, lower)
    same = versus_best_fit("gp", best_fit, best_fit, lower)
    mixed = versus_best_fit("gp", [b + (1 if k < 10 else -1) for k, b in enumerate(best_fit)],
                            best_fit, lower)
    assert (fewer.better, fewer.worse) == (20, 0) and fewer.p_value < 1e-4
    assert fewer.excess_percent < same.excess_percent == pytest.approx(5.95)
    assert same.p_value == 1.0 and (same.better, same.worse) == (0, 0)
    assert (mixed.better, mixed.worse) == (10, 10) and mixed.p_value > 0.3


def test_verifier_rejects_broken_packings(tmp_path: Path) -> None:
    inst = read_bpp(write_bpp(tmp_path / "w.bpp", 100, weibull_items(300, 3)))
    claimed, assignment = pack(inst.items, 100.0, compile_slot(PRIORITY, PRIORITY.default_source).function)
    assert bins_used(inst, assignment) == claimed >= inst.lower_bound
    crowded = assignment.copy()
    crowded[:] = 0  # everything in one bin: over capacity
    missing = assignment.copy()
    missing[5] = -1
    assert bins_used(inst, crowded) is None and bins_used(inst, missing) is None
    assert bins_used(inst, assignment[:-1]) is None


def test_broken_priority_ends_the_pass_with_an_error_code() -> None:
    items = weibull_items(50, 1)
    short = compile_slot(PRIORITY, "def priority(item, bins_remaining_capacity):\n"
                                   "    return bins_remaining_capacity[:1].copy()\n").function
    nan = compile_slot(PRIORITY, "def priority(item, bins_remaining_capacity):\n"
                                 "    return bins_remaining_capacity * np.nan\n").function
    assert pack(items, 100.0, short)[0] == WRONG_LENGTH
    assert pack(items, 100.0, nan)[0] == NOT_A_NUMBER


@pytest.mark.parametrize(("text", "line", "message"), [
    ("3\n100\n10\n20\n", 1, "says 3 items, the file has 2"),
    ("2\n100\n10\nabc\n", 4, "expected a number"),
    ("2\n100\n10\n120\n", 4, "not in (0, capacity 100]"),
])
def test_bad_instance_files_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.bpp"
    path.write_text(text)
    with pytest.raises(InstanceFormatError) as exc:
        read_bpp(path)
    assert exc.value.line == line and message in str(exc.value)


def test_heurevo_solve_reads_a_plug_in_file(tmp_path: Path) -> None:
    from heurevo.solvers.solve import SolveOptions, solve_file

    path = write_bpp(tmp_path / "w.bpp", 100, weibull_items(500, 2))
    out = solve_file(path, SolveOptions())
    assert out.problem == "binpacking" and out.verified and out.objective >= read_bpp(path).lower_bound


@pytest.mark.slow
def test_a_short_gp_evolution_runs_on_the_plug_in(tmp_path: Path) -> None:
    import heurevo

    run = heurevo.evolve(problem="binpacking", proposer="gp", seed=2, evaluations=4, workers=1,
                         run_dir=tmp_path / "run")
    assert run.summary is not None and run.summary.stats.evaluations >= 4
    assert run.config.suite.name == "binpacking-weibull-1k"
    best = run.best
    assert best.train_fitness is not None and best.train_fitness >= 1.0  # the default is a member
    assert list(best.heuristics.sources) == ["priority"]


@pytest.mark.slow
def test_the_gp_benchmark_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny budget on small instances: every entry has one bin count per held-out instance."""
    import json

    from heurevo_binpacking.gp_bench import EvolveSettings, run_benchmark

    settings = EvolveSettings(gp_seeds=(0,), evaluations=6, train_items=1000, train_seeds=(1, 2, 3),
                              workers=1, heldout_suite="binpacking-or-u500")
    summary = run_benchmark(settings, tmp_path)
    names = [e["name"] for e in summary["entries"]]
    assert names == ["best_fit", "funsearch", "gp-s0"]
    lower = summary["lower_bounds"]
    for entry in summary["entries"]:
        assert len(entry["bins"]) == len(lower) == 20
        assert all(b >= lb for b, lb in zip(entry["bins"], lower, strict=True))
    assert json.loads((tmp_path / "results.json").read_text())["entries"][2]["name"] == "gp-s0"
    assert "gp-s0" in capsys.readouterr().out
