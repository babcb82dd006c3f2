# slot: tsp.select_next_node
# expect: rejected
# reason: writes (or returns) a read-only argument
# class: array-poisoning
def select_next_node(current_node, destination_node, unvisited_nodes, dist_from_current, dist_to_destination, rng_state):
    dist_from_current[0] = -1.0
    return unvisited_nodes[0]
