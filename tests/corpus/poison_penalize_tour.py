# slot: tsp.penalize_edges
# expect: rejected
# reason: writes (or returns) a read-only argument
# class: array-poisoning
def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    tour[0] = tour[1]
    increments[0] = 1.0
