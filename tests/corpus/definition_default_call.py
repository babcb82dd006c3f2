# slot: pbo.calculate_score
# expect: rejected
# reason: default values of 'helper' must be constants
# class: definition-time
def helper(x, a=open('/tmp/heurevo-escaped', 'w')):
    return x


def calculate_score(hscore, oscore):
    return helper(hscore) + oscore
