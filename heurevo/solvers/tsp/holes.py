"""Expression holes of the TSP guided-local-search slot, for the offline GP proposer.

GP evolves two expressions over an edge's length, guide value, penalty and usage count: the
edge utility (the papers' ``guide / (1 + penalty)``), whose maximum picks the edge to penalise,
and the penalty increment given to that edge (1 by default; clamped to [0.01, 100] so every
tree is a valid slot). The increment scales the penalties against the distances, like the
GLS weight alpha, which matters more as instances grow.
"""

from __future__ import annotations

from heurevo.solvers.slots import GPHole

PENALIZE_EDGES = GPHole(
    template='''def gp_utility(d, g, p, u):
    return GP_EXPR


def gp_increment(d, g, p, u):
    return GP_INC


def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = 0
    best_util = -1e300
    for e in range(edge_guide.shape[0]):
        util = gp_utility(edge_distance[e], edge_guide[e], edge_penalty[e], float(edge_n_used[e]))
        if util > best_util:
            best_util = util
            best = e
    inc = gp_increment(edge_distance[best], edge_guide[best], edge_penalty[best],
                       float(edge_n_used[best]))
    if not inc >= 0.01:  # also catches NaN
        inc = 0.01
    increments[best] = min(inc, 100.0)
''',
    inputs=("d", "g", "p", "u"),
    default="join(pdiv(g, add(1.0, p)), 1.0)",
    markers=("GP_EXPR", "GP_INC"),
)

HOLES = {"penalize_edges": PENALIZE_EDGES}
