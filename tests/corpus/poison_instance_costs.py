# slot: pbo.initialize_assignment
# expect: rejected
# reason: does not compile
# class: array-poisoning
def initialize_assignment(values, obj_var, obj_cost, obj_paid, rng):
    # the instance's cost array is shared by every later run of the instance: writing it
    # (guarded so the tiny quick-check states never see it) would corrupt them all. It is
    # read-only in the slot's Numba type, so this does not compile.
    if values.size > 50:
        for j in range(obj_cost.size):
            obj_cost[j] = 0
    for v in range(values.size):
        values[v] = 0
