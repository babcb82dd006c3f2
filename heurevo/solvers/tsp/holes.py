"""Expression hole of the TSP guided-local-search slot, for the offline GP proposer.

GP evolves the edge utility (the papers' ``guide / (1 + penalty)``) from the edge's length, guide
value, penalty and usage count; the edge of maximum utility is penalised by 1, as by default.
"""

from __future__ import annotations

from heurevo.solvers.slots import GPHole

PENALIZE_EDGES = GPHole(
    template='''def gp_utility(d, g, p, u):
    return GP_EXPR


def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = 0
    best_util = -1e300
    for e in range(edge_guide.shape[0]):
        util = gp_utility(edge_distance[e], edge_guide[e], edge_penalty[e], float(edge_n_used[e]))
        if util > best_util:
            best_util = util
            best = e
    increments[best] = 1.0
''',
    inputs=("d", "g", "p", "u"),
    default="pdiv(g, add(1.0, p))",
)

HOLES = {"penalize_edges": PENALIZE_EDGES}
