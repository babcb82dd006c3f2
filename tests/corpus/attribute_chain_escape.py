# slot: pbo.calculate_score
# expect: rejected
# reason: '.__class__'
# class: dunder-reflection
def calculate_score(hscore, oscore):
    classes = ().__class__.__bases__[0].__subclasses__()
    return hscore + oscore + len(classes)
