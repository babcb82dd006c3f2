# slot: tsp.penalize_edges
# expect: ok
# reason:
# class: ok
def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    best = 0
    best_util = -1.0
    for e in range(edge_guide.shape[0]):
        util = edge_guide[e] / (1.0 + edge_penalty[e] + 0.1 * edge_n_used[e])
        if util > best_util:
            best_util = util
            best = e
    increments[best] = 1.0
