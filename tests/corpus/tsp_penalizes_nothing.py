# slot: tsp.penalize_edges
# expect: rejected
# reason: penalised no edge
# class: slot-contract
def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    for e in range(increments.shape[0]):
        increments[e] = 0.0
