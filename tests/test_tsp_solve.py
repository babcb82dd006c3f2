"""`heurevo solve` on .tsp files, heuristics overrides, generators and the literature sets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from heurevo.cli import app
from heurevo.instances.formats.tsplib import parse_tsp, read_tour, tour_to_indices
from heurevo.instances.generators.tsp import (
    LITERATURE_BUDGET,
    LITERATURE_REFERENCE,
    clustered_points,
    literature_set,
    tsplib_text,
    uniform_points,
)
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.solve import SolveOptions, solve_file
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.gls import guided_local_search
from heurevo.solvers.tsp.instance import arrays_from_points
from heurevo.solvers.tsp.slots import PENALIZE_EDGES, SELECT_NEXT_NODE
from heurevo.solvers.tsp.solve import start_tour

runner = CliRunner()


@pytest.fixture()
def small_tsp(tmp_path):
    path = tmp_path / "u80.tsp"
    path.write_text(tsplib_text(uniform_points(80, 3), "u80", scale=1000.0))
    return path


def test_cli_solve_json_and_tour_out(small_tsp, tmp_path) -> None:
    out = tmp_path / "best.tour"
    res = runner.invoke(app, ["solve", str(small_tsp), "--steps", "40", "--seed", "2", "--json",
                              "--tour-out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["verified"] is True and data["status"] == "FEASIBLE" and data["steps"] == 40
    inst = parse_tsp(small_tsp.read_text(), small_tsp)
    order = tour_to_indices(inst, read_tour(out))
    assert verify.tour_length(inst, order) == data["objective"]
    assert sorted(data["solution"]) == list(range(1, 81))
    again = runner.invoke(app, ["solve", str(small_tsp), "--steps", "40", "--seed", "2", "--json"])
    assert json.loads(again.output)["objective"] == data["objective"]


def test_cli_text_and_time_budget(small_tsp) -> None:
    res = runner.invoke(app, ["solve", str(small_tsp), "--time", "0.3"])
    assert res.exit_code == 0, res.output
    assert "u80: 80 cities, tour length" in res.output and "verified" in res.output


def test_heuristics_file_overrides_slots(small_tsp, tmp_path) -> None:
    h = tmp_path / "h.py"
    h.write_text(
        "import numpy as np\n\n"
        "def heuristics(distance_matrix):\n"
        "    return distance_matrix * (1.0 + (distance_matrix > np.median(distance_matrix)))\n\n"
        "def select_next_node(current_node, destination_node, unvisited_nodes, dist_from_current,"
        " dist_to_destination, rng_state):\n"
        "    best = 0\n"
        "    for k in range(unvisited_nodes.shape[0]):\n"
        "        if dist_from_current[k] - 0.3 * dist_to_destination[k] < "
        "dist_from_current[best] - 0.3 * dist_to_destination[best]:\n"
        "            best = k\n"
        "    return unvisited_nodes[best]\n")
    outcome = solve_file(small_tsp, SolveOptions(steps=20, heuristics=h))
    assert outcome.verified and outcome.objective > 0


def test_shared_instance_reaches_optimum(shared_tsplib) -> None:
    outcome = solve_file(shared_tsplib / "berlin52.tsp", SolveOptions(steps=300, seed=1))
    assert outcome.extra["optimum"] == 7542
    assert outcome.objective == 7542 and outcome.status == "OPTIMAL"


def test_generators_are_seeded() -> None:
    assert np.array_equal(uniform_points(50, 1), uniform_points(50, 1))
    assert not np.array_equal(uniform_points(50, 1), uniform_points(50, 2))
    c = clustered_points(300, 4, clusters=3)
    assert c.shape == (300, 2) and c.min() >= 0 and c.max() <= 1
    assert np.array_equal(c, clustered_points(300, 4, clusters=3))
    inst = parse_tsp(tsplib_text(c, "c300"))
    assert inst.n == 300 and inst.edge_weight_type == "EUC_2D"


def test_literature_sets_follow_the_papers_draw_order() -> None:
    state = np.random.get_state()
    try:
        np.random.seed(4)
        draws = [np.random.random((64, n, 2)) for n in (20, 50, 100, 200)]
        np.random.seed(5)
        train = np.random.random((10, 200, 2))
    finally:
        np.random.set_state(state)
    assert np.array_equal(literature_set("test", 20), draws[0])
    assert np.array_equal(literature_set("test", 200), draws[3])
    assert np.array_equal(literature_set("train", 200), train)
    with pytest.raises(ValueError, match="sizes"):
        literature_set("val", 500)


def test_tsp20_test_set_matches_the_published_reference() -> None:
    """Near-optimal tours on the reproduced TSP20 set average the papers' LKH value."""
    pen = compile_slot(PENALIZE_EDGES, PENALIZE_EDGES.default_source).function
    sel = compile_slot(SELECT_NEXT_NODE, SELECT_NEXT_NODE.default_source).function
    moves, iters = LITERATURE_BUDGET[20]
    lengths = []
    for pts in literature_set("test", 20):
        a = arrays_from_points(pts)
        r = guided_local_search(a, start_tour(a, sel, 0), pen, iterations=iters,
                                perturbation_moves=moves)
        lengths.append(verify.euclidean_tour_length(pts, r.tour))
    assert np.mean(lengths) == pytest.approx(LITERATURE_REFERENCE[20], rel=2e-4)


def test_bench_tsp_names_every_instance_and_reads_optima_by_file_or_name(tmp_path) -> None:
    """``bench tsp --data DIR --optima CSV``: an optimum keyed by NAME (file name differs) or by
    file name is used, an instance without one keeps its row and is named, an unreadable file
    is reported, not dropped."""
    import io

    from rich.console import Console

    from heurevo.bench.tsp import run_tsp_bench, time_to_length

    data = tmp_path / "data"
    data.mkdir()
    (data / "a30ceil.tsp").write_text(tsplib_text(uniform_points(30, 1), "a30", scale=1000.0))
    (data / "b20.tsp").write_text(tsplib_text(uniform_points(20, 2), "b20", scale=1000.0))
    (data / "c25.tsp").write_text(tsplib_text(uniform_points(25, 3), "c25", scale=1000.0))
    (data / "broken.tsp").write_text("NAME: broken\nDIMENSION: x\n")
    optima = tmp_path / "elsewhere.csv"
    optima.write_text("name,optimal_length\na30,1\nb20,2\n")  # tiny optima: any gap is positive
    buf = io.StringIO()
    res = run_tsp_bench(data, 0.01, 1, "*.tsp", literature=False, lkh=False, out=None,
                        console=Console(file=buf, width=300), large=0, optima=optima)
    rows = {r["name"]: r for r in res["tsplib"]}
    assert set(rows) == {"a30", "b20", "c25"}
    assert rows["a30"]["optimum"] == 1 and rows["b20"]["optimum"] == 2
    assert rows["c25"]["optimum"] is None and rows["c25"]["gap_pct"] is None
    assert rows["a30"]["gap_pct"] > 0
    text = " ".join(buf.getvalue().split())  # the caption wraps at the table's width
    assert "for 1: c25" in text and "skipped broken.tsp" in text
    assert [u["file"] for u in res["unreadable"]] == ["broken.tsp"]
    trace = [(0, 0.1, 50.0), (3, 0.4, 40.0), (9, 0.9, 30.0)]
    assert time_to_length(trace, 40.0) == 0.4 and time_to_length(trace, 29.0) is None


def test_plain_solve_loads_no_engine_or_heavy_libraries(small_tsp) -> None:
    """Start-up: `heurevo solve FILE` without --heuristics imports neither the sandbox, the
    engine's comparison/evaluation modules nor scikit-learn, pandas or torch."""
    import subprocess
    import sys

    code = ("import sys\nfrom heurevo.cli import run_cli\n"
            f"assert run_cli(['solve', {str(small_tsp)!r}, '--steps', '2']) == 0\n"
            "print(' '.join(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=300).stdout.split("\n")[-2].split()
    tops = {m.split(".")[0] for m in out}
    assert not tops & {"sklearn", "pandas", "torch", "sentence_transformers", "matplotlib"}, tops
    assert not {"heurevo.engine.sandbox", "heurevo.engine.evaluate", "heurevo.engine.compare",
                "heurevo.solvers.pbo.kernel"} & set(out)


def test_the_cached_default_penalty_is_the_slots_default_source() -> None:
    """The solver runs a Numba-cached copy of the default ``penalize_edges``; the slot's
    default source (what candidates start from) must behave exactly like it."""
    from heurevo.solvers.tsp.solve import run_slots

    arrays = arrays_from_points(clustered_points(150, 3), name="c150")
    from_source = compile_slot(PENALIZE_EDGES, PENALIZE_EDGES.default_source).function
    a = run_slots(arrays, {}, 3, iterations=300)
    b = run_slots(arrays, {"penalize_edges": from_source}, 3, iterations=300)
    assert a.length == b.length and np.array_equal(a.tour, b.tour) and a.iterations == b.iterations
