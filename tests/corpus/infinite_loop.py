# slot: pbo.calculate_score
# expect: timeout
# reason: wall-clock limit
# class: resource-abuse
def calculate_score(hscore, oscore):
    x = hscore
    while x == x:
        x = x + 1.0
    return x + oscore
