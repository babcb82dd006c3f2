# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'pickle' is not allowed
# class: replies
import pickle


def calculate_score(hscore, oscore):
    data = pickle.dumps(('ok', 1000.0))
    return hscore + oscore
