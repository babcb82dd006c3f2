"""Expression holes of the TSP guided-local-search slot, for the offline GP proposer.

GP evolves one tree with three expressions over an edge's length ``d``, guide value ``g``,
penalty ``p`` and usage count ``u`` (the published GLS variants differ in exactly these):

* the edge utility (the papers' ``guide / (1 + penalty)``; KGLS-style variants weigh width or
  usage), whose maximum picks the edge to penalise;
* the penalty increment of a penalised edge (1 by default; clamped to [0.01, 100]). The solver
  walks ``length + lambda * penalty`` with ``lambda`` fixed from the first tour, so the
  increment sets the penalty weight relative to tour length;
* how many edges to penalise per step: a ratio ``r`` computed from the best edge; with
  ``r < 1`` every edge whose utility is at least ``r`` times the best one is penalised too
  (classic GLS penalises all maximum-utility edges), with ``r >= 1`` (the default) only the
  first best edge.

With the default expressions filled in the template walks exactly the default slot's search.
"""

from __future__ import annotations

from heurevo.solvers.slots import GPHole

PENALIZE_EDGES = GPHole(
    template='''def gp_utility(d, g, p, u):
    return GP_EXPR


def gp_increment(d, g, p, u):
    return GP_INC


def gp_ratio(d, g, p, u):
    return GP_RATIO


def clamp_increment(inc):
    if not inc >= 0.01:  # also catches NaN
        return 0.01
    return min(inc, 100.0)


def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = 0
    best_util = -1e300
    for e in range(edge_guide.shape[0]):
        util = gp_utility(edge_distance[e], edge_guide[e], edge_penalty[e], float(edge_n_used[e]))
        if util > best_util:
            best_util = util
            best = e
    d = edge_distance[best]
    g = edge_guide[best]
    p = edge_penalty[best]
    u = float(edge_n_used[best])
    increments[best] = clamp_increment(gp_increment(d, g, p, u))
    r = gp_ratio(d, g, p, u)
    if r < 1.0 and best_util > 0.0 and best_util < 1e300:
        bar = max(r, 0.0) * best_util
        for e in range(edge_guide.shape[0]):
            if e == best:
                continue
            de = edge_distance[e]
            ge = edge_guide[e]
            pe = edge_penalty[e]
            ue = float(edge_n_used[e])
            if gp_utility(de, ge, pe, ue) >= bar:
                increments[e] = clamp_increment(gp_increment(de, ge, pe, ue))
''',
    inputs=("d", "g", "p", "u"),
    default="join(pdiv(g, add(1.0, p)), 1.0, 1.0)",
    markers=("GP_EXPR", "GP_INC", "GP_RATIO"),
)

HOLES = {"penalize_edges": PENALIZE_EDGES}
