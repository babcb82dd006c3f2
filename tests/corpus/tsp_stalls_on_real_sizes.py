# slot: tsp.penalize_edges
# expect: timeout
# reason: wall-clock limit
# class: resource-abuse
def penalize_edges(tour, edge_distance, edge_guide, edge_penalty, edge_n_used, increments, rng_state):
    n = tour.size
    best = 0
    for e in range(n):
        if edge_guide[e] / (1.0 + edge_penalty[e]) > edge_guide[best] / (1.0 + edge_penalty[best]):
            best = e
    increments[best] = 1.0
    # passes the five-edge quick check, never returns on a real tour
    k = 0
    while n > 10 and k >= 0:
        k = (k + 1) % 7
