"""TSP kernels against slow plain-Python references; GLS determinism and slot swapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heurevo.engine.quick_checks import run_quick_checks
from heurevo.errors import SlotError, VerificationError
from heurevo.instances.formats.tsplib import parse_tsp
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.rng import new_rng_state
from heurevo.solvers.tsp import distance as D
from heurevo.solvers.tsp import verify
from heurevo.solvers.tsp.construct import greedy_construct, nn_construct
from heurevo.solvers.tsp.gls import gls_iterations, guided_local_search
from heurevo.solvers.tsp.instance import arrays_from_points, arrays_from_tsplib, candidate_lists
from heurevo.solvers.tsp.local_search import improve
from heurevo.solvers.tsp.slots import HEURISTICS, PENALIZE_EDGES, SELECT_NEXT_NODE
from heurevo.solvers.tsp.solve import guide_matrix, start_tour


def _pen(source: str | None = None):
    return compile_slot(PENALIZE_EDGES, source or PENALIZE_EDGES.default_source).function


def _sel(source: str | None = None):
    return compile_slot(SELECT_NEXT_NODE, source or SELECT_NEXT_NODE.default_source).function


def _integer_instance(n: int, seed: int, wtype: str = "EUC_2D"):
    pts = np.random.default_rng(seed).integers(0, 60, size=(n, 2))  # small grid: many ties
    body = "\n".join(f"{i + 1} {x} {y}" for i, (x, y) in enumerate(pts))
    return parse_tsp(f"NAME: r\nTYPE: TSP\nDIMENSION: {n}\nEDGE_WEIGHT_TYPE: {wtype}\n"
                     f"NODE_COORD_SECTION\n{body}\nEOF\n")


@pytest.mark.parametrize("wtype", ["EUC_2D", "CEIL_2D", "ATT", "GEO", "MAN_2D", "MAX_2D"])
def test_kernel_distances_equal_reference(wtype: str) -> None:
    inst = _integer_instance(30, 1, wtype)
    d = verify.edge_length_function(inst)
    for limit in (10_000, 0):
        a = arrays_from_tsplib(inst, matrix_limit=limit)
        for i in range(inst.n):
            for j in range(inst.n):
                if i != j:  # TSPLIB's GEO formula gives 1 for a city to itself; tours never ask
                    assert a.distance(i, j) == d(i, j), (wtype, i, j)


def test_scalar_distance_equals_kernel_distance() -> None:
    rng = np.random.default_rng(0)
    scale = {D.GEO: 1.5, D.FLOAT_EUC: 1.0}
    for kind in (D.EUC_2D, D.CEIL_2D, D.ATT, D.GEO, D.MAN_2D, D.MAX_2D, D.EUC_3D, D.FLOAT_EUC):
        xy = rng.random((40, 3)) * scale.get(kind, 3000.0)
        for i in range(40):
            for j in range(40):
                assert D.coord_scalar(kind, *xy[i], *xy[j]) == D.coord_dist(kind, xy, i, j), kind


def test_gls_with_and_without_matrix_agree() -> None:
    """The matrix fast path and the generic (coordinates, penalty lookups) path are one search."""
    inst = _integer_instance(90, 9)
    tour0 = np.random.default_rng(9).permutation(inst.n)
    runs = [guided_local_search(arrays_from_tsplib(inst, matrix_limit=limit), tour0, _pen(),
                                iterations=30, seed=2) for limit in (10_000, 0)]
    assert np.array_equal(runs[0].tour, runs[1].tour) and runs[0].length == runs[1].length


def _nn_reference(d, n: int, start: int = 0) -> list[int]:
    tour, left = [start], set(range(n)) - {start}
    while left:
        cur = tour[-1]
        nxt = min(left, key=lambda v: (d(cur, v), v))
        tour.append(nxt)
        left.remove(nxt)
    return tour


def _greedy_reference(d, n: int, nbrs: np.ndarray) -> list[int]:
    edges = [(d(i, int(j)), min(i, int(j)), max(i, int(j))) for i in range(n) for j in nbrs[i]]
    order = sorted(range(len(edges)), key=lambda e: edges[e][0])  # stable, like the kernel
    comp = list(range(n))

    def root(x: int) -> int:
        while comp[x] != x:
            x = comp[x]
        return x

    adj: list[list[int]] = [[] for _ in range(n)]
    for e in order:
        _, u, v = edges[e]
        if len(adj[u]) < 2 and len(adj[v]) < 2 and root(u) != root(v):
            comp[root(u)] = root(v)
            adj[u].append(v)
            adj[v].append(u)
    ends = [v for v in range(n) if len(adj[v]) < 2]
    tour: list[int] = []
    cur = ends[0]
    while True:
        prev = -1
        while True:  # walk the fragment
            tour.append(cur)
            nxt = [w for w in adj[cur] if w != prev and w not in tour]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
        ends = [v for v in ends if v not in tour]
        if not ends:
            return tour
        cur = min(ends, key=lambda v: (d(tour[-1], v), v))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nn_and_greedy_equal_plain_python(seed: int) -> None:
    inst = _integer_instance(60, seed)
    a = arrays_from_tsplib(inst, k=6)
    d = verify.edge_length_function(inst)
    out = np.empty(inst.n, dtype=np.int64)
    assert nn_construct(a.kind, a.xy, a.mat, 0, _sel(), new_rng_state(1), out) == -1
    assert out.tolist() == _nn_reference(d, inst.n)
    g = greedy_construct(a.kind, a.xy, a.mat, a.neighbours)
    assert g.tolist() == _greedy_reference(d, inst.n, a.neighbours)


def _two_opt_gain(d, tour: list[int], i: int, j: int) -> int:
    """Plain-Python gain of reversing tour[i+1..j] (new tour built and measured)."""
    new = tour[: i + 1] + tour[i + 1: j + 1][::-1] + tour[j + 1:]
    length = lambda t: sum(d(t[k - 1], t[k]) for k in range(len(t)))  # noqa: E731
    return length(tour) - length(new)


@pytest.mark.parametrize("seed", [3, 4])
def test_local_search_reaches_a_neighbour_list_local_optimum(seed: int) -> None:
    inst = _integer_instance(70, seed)
    a = arrays_from_tsplib(inst, k=6)
    d = verify.edge_length_function(inst)
    start = np.random.default_rng(seed).permutation(inst.n)
    tour, moves = improve(a, start)
    while moves:  # don't-look bits may stop early; repeat to the fixed point
        tour, moves = improve(a, tour)
    t = verify.check_permutation(tour, inst.n)
    assert verify.tour_length(inst, t) < verify.tour_length(inst, start)
    pos = {v: k for k, v in enumerate(t)}
    n = inst.n
    for i in range(n):  # every 2-opt move the neighbour lists admit gains nothing
        a_, b_ = t[i], t[(i + 1) % n]
        for c in a.neighbours[a_]:
            j = pos[int(c)]
            if d(a_, int(c)) >= d(a_, b_) or j in (i, (i + 1) % n):
                continue
            lo, hi = min(i, j), max(i, j)
            assert _two_opt_gain(d, t, lo, hi) <= 0
    for k in range(n):  # no single city is cheaper to move next to one of its neighbours
        p, s, nx = t[k - 1], t[k], t[(k + 1) % n]
        g = d(p, s) + d(s, nx) - d(p, nx)
        for c in map(int, a.neighbours[s]):
            if c in (p, nx) or d(s, c) >= g:
                continue
            for w in (t[(pos[c] + 1) % n], t[pos[c] - 1]):
                if w != s:
                    assert d(c, s) + d(s, w) - d(c, w) - g >= 0


def test_gls_is_deterministic_improves_and_swaps_slots_without_recompiling() -> None:
    pts = np.random.default_rng(5).random((120, 2))
    a = arrays_from_points(pts)
    tour0 = start_tour(a, _sel(), 0)
    ls, _ = improve(a, tour0)
    r1 = guided_local_search(a, tour0, _pen(), iterations=60, seed=3)
    r2 = guided_local_search(a, tour0, _pen(), iterations=60, seed=3)
    assert np.array_equal(r1.tour, r2.tour) and r1.length == r2.length
    assert r1.iterations == 60
    assert r1.length < a.length(ls) - 1e-9
    assert verify.euclidean_tour_length(pts, r1.tour) == pytest.approx(r1.length)
    used_based = """
def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = rng_randint(rng_state, tour.shape[0])
    for e in range(tour.shape[0]):
        if edge_distance[e] * edge_n_used[e] / (1.0 + edge_penalty[e]) > edge_distance[best] * edge_n_used[best] / (1.0 + edge_penalty[best]):
            best = e
    increments[best] = 0.5
"""
    r3 = guided_local_search(a, tour0, _pen(used_based), iterations=60, seed=3)
    verify.check_permutation(r3.tour, a.n)
    assert r3.length != r1.length
    assert len(gls_iterations.signatures) == 1


def test_slot_that_penalises_nothing_is_counted_and_harmless() -> None:
    a = arrays_from_points(np.random.default_rng(6).random((40, 2)))
    lazy = "def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):\n    pass\n"
    r = guided_local_search(a, start_tour(a, None, 0), _pen(lazy), iterations=5)
    assert r.empty_slot_calls == 5
    verify.check_permutation(r.tour, a.n)


def test_select_slot_returning_a_visited_city_is_a_slot_error() -> None:
    a = arrays_from_points(np.random.default_rng(7).random((10, 2)))
    bad = _sel("def select_next_node(current_node, destination_node, unvisited_nodes, dist_from_current, dist_to_destination, rng_state):\n    return current_node\n")
    with pytest.raises(SlotError, match="not an unvisited city"):
        start_tour(a, bad, 0)


def test_literature_guide_slot_compiles_in_nopython() -> None:
    a = arrays_from_points(np.random.default_rng(8).random((30, 2)))
    fn = compile_slot(HEURISTICS, HEURISTICS.default_source).function
    g = guide_matrix(a, fn)
    assert g.shape == (30, 30) and g[0, 0] == 1e-5 and g[0, 1] == a.distance(0, 1)
    ranked = compile_slot(HEURISTICS, "import numpy as np\n\ndef heuristics(distance_matrix):\n"
                          "    out = np.empty_like(distance_matrix)\n"
                          "    for i in range(distance_matrix.shape[0]):\n"
                          "        out[i] = distance_matrix[i] / distance_matrix[i].mean()\n"
                          "    return out\n").function
    r = guided_local_search(a, start_tour(a, None, 0), _pen(), iterations=10, guide=guide_matrix(a, ranked))
    verify.check_permutation(r.tour, a.n)
    with pytest.raises(SlotError, match="finite"):
        guide_matrix(a, lambda d: d[:3])


_WRITES = [
    (PENALIZE_EDGES, "tour[0] = 1", "    increments[0] = 1.0\n"),
    (PENALIZE_EDGES, "edge_penalty[:] = 0.0", "    increments[0] = 1.0\n"),
    (PENALIZE_EDGES, "edge_n_used[0] += 1", "    increments[0] = 1.0\n"),
    (SELECT_NEXT_NODE, "dist_to_destination[0] = 0.0", "    return unvisited_nodes[0]\n"),
    (SELECT_NEXT_NODE, "unvisited_nodes[0] = current_node", "    return unvisited_nodes[0]\n"),
    (HEURISTICS, "distance_matrix[0, 0] = 1.0", "    return distance_matrix.copy()\n"),
]


@pytest.mark.parametrize(("slot", "write", "tail"), _WRITES, ids=[w[1] for w in _WRITES])
def test_a_slot_writing_a_read_only_array_does_not_compile(slot, write: str, tail: str) -> None:
    from numba import types

    for name, t in zip(slot.arg_names, slot.numba_signature.args, strict=True):
        if isinstance(t, types.Array):
            assert t.mutable == (name in slot.mutable_args), name
    source = f"{slot.def_line()}\n{tail}"
    compile_slot(slot, source)  # the same body without the write compiles
    with pytest.raises(SlotError, match="does not compile"):
        compile_slot(slot, f"{slot.def_line()}\n    {write}\n{tail}")


@pytest.mark.parametrize("slot", [PENALIZE_EDGES, SELECT_NEXT_NODE, HEURISTICS])
def test_default_slots_pass_their_quick_checks(slot) -> None:
    assert run_quick_checks(slot, compile_slot(slot, slot.default_source).function) == []


def test_verifier_rejects_broken_tours() -> None:
    inst = _integer_instance(8, 0)
    for bad, msg in (([0, 1, 2, 3, 4, 5, 6, 6], "twice"), ([0, 1, 2], "has 3 cities"),
                     ([0, 1, 2, 3, 4, 5, 6, 8], "outside")):
        with pytest.raises(VerificationError, match=msg):
            verify.tour_length(inst, bad)
    assert verify.euclidean_tour_length(np.array([[0, 0], [3, 4]]), [0, 1]) == pytest.approx(10.0)
    assert math.isclose(verify.euclidean_tour_length(np.array([[0.0, 0.0]]), [0]), 0.0)


def test_gp_hole_default_is_the_default_search_and_increment_matters() -> None:
    """The GP template with its default expressions walks the default's search exactly."""
    from heurevo.engine.proposers.gp import build_pset, parse_tree, render
    from heurevo.solvers.tsp.holes import PENALIZE_EDGES as HOLE

    a = arrays_from_points(np.random.default_rng(8).random((150, 2)))
    tour0 = start_tour(a, None, 0)
    pset = build_pset(HOLE)
    runs = {}
    for name, expr in (("default", HOLE.default), ("inc5", "join(pdiv(g, add(1.0, p)), 5.0, 1.0)")):
        src = render(HOLE, parse_tree(expr, pset))
        runs[name] = guided_local_search(a, tour0, _pen(src), iterations=40, seed=2)
    base = guided_local_search(a, tour0, _pen(), iterations=40, seed=2)
    assert np.array_equal(runs["default"].tour, base.tour)
    assert not np.array_equal(runs["inc5"].tour, base.tour)


def test_a_move_and_its_undo_never_both_improve_at_large_penalised_costs() -> None:
    """Near-zero-gain 2-opt moves on 1e6-5e7 costs: summed in either order, round-off made both
    directions 'improve' by more than an absolute 1e-10 in about 3% of cases."""
    from heurevo.solvers.tsp.local_search import improves

    rng = np.random.default_rng(9)
    for _ in range(20_000):
        ab, cd, ac = rng.uniform(1e6, 5e7, 3)
        bd = ab + cd - ac + rng.uniform(-1e-8, 1e-8)
        if bd <= 0:
            continue
        forward = ac + bd - ab - cd
        back = ab + cd - ac - bd
        assert not (improves(forward, ab + cd) and improves(back, ac + bd))


@pytest.mark.slow
def test_gls_ends_when_a_slot_keeps_penalising_the_same_edge(tmp_path) -> None:
    """Found by evolution: one edge's penalty grows without end; round-off in the 1e7-sized
    penalised costs once made a move and its undo both 'improve' and the search never ended."""
    import subprocess
    import sys

    from heurevo.instances.generators.tsp import tsplib_text, uniform_points

    inst = tmp_path / "uniform500-s26.tsp"
    inst.write_text(tsplib_text(uniform_points(500, 26), "uniform500-s26"))
    slot = tmp_path / "same_edge.py"
    slot.write_text(
        "def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):\n"
        "    best = 0\n    for e in range(edge_guide.shape[0]):\n"
        "        if edge_guide[e] / 2.682 > edge_guide[best] / 2.682:\n            best = e\n"
        "    increments[best] = 2.93\n")
    res = subprocess.run([sys.executable, "-m", "heurevo", "solve", str(inst), "--steps", "500",
                          "--heuristics", str(slot), "--json"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert '"verified": true' in res.stdout and '"steps": 500' in res.stdout


def _clusters(per: int, seed: int) -> np.ndarray:
    """Four tight clusters at the corners of a large square (nearest-neighbour lists of 8 never
    leave a cluster, so the kNN graph has four components)."""
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0], [0.0, 1000.0]])
    return np.concatenate([c + rng.random((per, 2)) * 10.0 for c in corners])


def test_candidate_lists_link_clusters_that_nearest_neighbours_do_not() -> None:
    pts = _clusters(30, 1)
    a = arrays_from_points(pts)
    nearest = candidate_lists(a.kind, a.xy, a.mat, 8, quadrant=0, delaunay=False)
    assert np.all(nearest // 30 == np.arange(pts.shape[0])[:, None] // 30)  # no edge out
    assert np.any(a.neighbours // 30 != np.arange(pts.shape[0])[:, None] // 30)
    d = a.mat[np.arange(a.n)[:, None], a.neighbours]
    assert np.all(np.diff(d, axis=1) >= 0)  # sorted by distance: the kernels rely on it
    assert not np.any(a.neighbours == np.arange(a.n)[:, None])



def _improvable_inter_cluster_edges(a, tour: np.ndarray, per: int) -> int:
    """Inter-cluster tour edges some exhaustive 2-opt or single-city move would shorten."""
    n = a.n
    d = a.mat
    nxt = np.roll(tour, -1)
    count = 0
    for i in range(n):
        u, v = tour[i], nxt[i]
        if u // per == v // per:
            continue
        duv = d[u, v]
        # 2-opt with every other edge (x, y): (u, v), (x, y) -> (u, x), (v, y)
        x, y = tour, nxt
        gain2 = duv + d[x, y] - d[u, x] - d[v, y]
        gain2[[i, (i - 1) % n, (i + 1) % n]] = 0.0
        # moving v (or u) between any x, y
        w = nxt[(i + 1) % n]
        gain_v = duv + d[v, w] - d[u, w] + d[x, y] - d[x, v] - d[v, y]
        gain_v[[i, (i + 1) % n]] = 0.0
        if gain2.max() > 1e-7 or gain_v.max() > 1e-7:
            count += 1
    return count


@pytest.mark.parametrize(("quadrant", "delaunay"), [(1, True), (0, True), (1, False), (0, False)])
def test_clusters_with_disconnected_nearest_neighbours_reach_a_local_optimum(quadrant: int,
                                                                            delaunay: bool) -> None:
    """From a random tour (every cluster entered many times) local search on Delaunay or
    quadrant candidates leaves only the four short links between neighbouring clusters and none
    of them improvable; on plain nearest-neighbour lists long links stay."""
    from dataclasses import replace

    per = 30
    a = arrays_from_points(_clusters(per, 2))
    a = replace(a, neighbours=candidate_lists(a.kind, a.xy, a.mat, 8, quadrant=quadrant,
                                              delaunay=delaunay))
    tour, _ = improve(a, np.random.default_rng(3).permutation(a.n))
    verify.check_permutation(tour, a.n)
    links = int(np.sum(tour // per != np.roll(tour, -1) // per))
    stuck = _improvable_inter_cluster_edges(a, tour, per)
    if quadrant or delaunay:
        assert links == 4 and stuck == 0
        longest = max(a.mat[u, v] for u, v in zip(tour, np.roll(tour, -1), strict=True))
        assert longest < 1020  # no diagonal link across the square
    else:
        assert links > 4 and stuck > 0

def test_known_optimum_matches_file_name_or_instance_name(tmp_path) -> None:
    from heurevo.solvers.tsp.solve import known_optimum

    text = ("NAME: dsj4\nTYPE: TSP\nDIMENSION: 4\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
            "1 0 0\n2 0 10\n3 10 10\n4 10 0\nEOF\n")
    path = tmp_path / "dsj4ceil.tsp"
    path.write_text(text)
    inst = parse_tsp(text)
    (tmp_path / "optima.csv").write_text("name,optimal_length\ndsj4,41\n")
    assert known_optimum(inst, path) == 41  # by NAME
    (tmp_path / "optima.csv").write_text("name,optimal_length\ndsj4,41\ndsj4ceil,40\n")
    assert known_optimum(inst, path) == 40  # the file's own row wins
    (tmp_path / "optima.csv").write_text("name,optimal_length\nother,1\n")
    assert known_optimum(inst, path) is None
