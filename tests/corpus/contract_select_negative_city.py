# slot: tsp.select_next_node
# expect: rejected
# reason: not one of the unvisited
# class: slot-contract
def select_next_node(current_node, destination_node, unvisited_nodes, dist_from_current, dist_to_destination, rng_state):
    return -1
