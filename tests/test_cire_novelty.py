"""The novelty check: a renamed copy is rejected with the earlier candidate named; a change is not."""

from __future__ import annotations

import dataclasses

from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.engine.novelty import NoveltyConfig, NoveltyFilter
from heurevo.populations.records import EvalStatus
from heurevo.populations.store import SQLiteStore
from tests.cire_population import DEFAULTS, member

ORIGINAL = "def score(a, b):\n    \"\"\"Greedy.\"\"\"\n    bonus = a * 2.0  # weight it\n    return bonus + b\n"
RENAMED = "def score(a, b):\n    t = a * 2.0\n    return t + b\n"  # arguments are fixed by the slot
CHANGED = "def score(a, b):\n    if a > b:\n        return math.sqrt(abs(a - b))\n    return min(a, b) / 3.0\n"
NEAR = "def score(a, b):\n    bonus = a * 2.0\n    return bonus + b + 0.0\n"


def _filter(tmp_path, **cfg):
    store = SQLiteStore(tmp_path / "run.sqlite")
    index = EmbeddingIndex(make_embedder(EmbeddingConfig(backend="tfidf")), DEFAULTS, store)
    return NoveltyFilter(NoveltyConfig(enabled=True, **cfg), index, store), store


def _at(m, generation):
    return dataclasses.replace(m.candidate, generation=generation)


def test_renamed_copy_rejected_and_real_change_accepted(tmp_path):
    nov, store = _filter(tmp_path)
    first = member(ORIGINAL, (1.1, 1.0, 1.0, 1.0))
    nov.admit(dataclasses.replace(first, candidate=_at(first, 1)))
    copy = _at(member(RENAMED, (1.0,) * 4), 2)
    verdict = nov.check(copy)
    assert verdict is not None and verdict.kind == "source" and verdict.duplicate_of == first.candidate.id
    result = verdict.result()
    assert result.status is EvalStatus.REJECTED and first.candidate.id in result.feedback
    assert nov.check(_at(member(CHANGED, (1.0,) * 4), 2)) is None
    assert nov.check(_at(member(RENAMED, (1.0,) * 4), 1)) is None  # same generation: not compared
    (gen, data), = store.cire_records("novelty")
    assert gen == 2 and data["candidate"] == copy.id and data["kind"] == "source"
    store.close()


def test_embedding_threshold_and_tuning_exemption(tmp_path):
    nov, store = _filter(tmp_path, code_similarity=0.6)
    first = member(ORIGINAL, (1.0,) * 4)
    nov.admit(dataclasses.replace(first, candidate=_at(first, 0)))
    near = _at(member(NEAR, (1.0,) * 4), 1)
    verdict = nov.check(near)
    assert verdict is not None and verdict.kind == "embedding" and 0.6 <= verdict.similarity < 1
    assert nov.check(dataclasses.replace(near, operator="tune")) is None
    strict, store2 = _filter(tmp_path / "strict", code_similarity=0.9999)
    strict.admit(dataclasses.replace(first, candidate=_at(first, 0)))
    assert strict.check(near) is None
    store.close()
    store2.close()


def test_behavioural_duplicates_are_marked(tmp_path):
    nov, store = _filter(tmp_path)
    a = member(ORIGINAL, (1.0, 1.1, 0.9, 1.0))
    b = member(CHANGED, (1.0, 1.1, 0.9, 1.0))
    c = member(NEAR, (1.0, 1.2, 0.9, 1.0))
    assert nov.admit(a) is None
    mark = nov.admit(b)
    assert mark is not None and mark.kind == "behaviour" and mark.duplicate_of == a.candidate.id
    assert nov.admit(c) is None
    assert [d["kind"] for _, d in store.cire_records("novelty")] == ["behaviour"]
    store.close()


def test_prepare_embeds_a_generation_in_one_call_and_decides_the_same(tmp_path):
    """The batched check gives the verdicts one-by-one checks give, with one model call."""
    first = member(ORIGINAL, (1.0,) * 4)
    other = member(CHANGED, (1.1,) * 4)
    batch = [_at(member(NEAR, (1.0,) * 4), 1), _at(member(CHANGED + "\n", (1.0,) * 4), 1),
             _at(member("def score(a, b):\n    return a - b\n", (1.0,) * 4), 1)]
    verdicts = []
    for sub, prepared in (("one", False), ("batch", True)):
        nov, store = _filter(tmp_path / sub, code_similarity=0.6)
        for m in (first, other):
            nov.admit(dataclasses.replace(m, candidate=_at(m, 0)))
        calls = nov.index.calls
        if prepared:
            nov.prepare(batch)
            assert nov.index.calls == calls + 1
        got = [nov.check(c) for c in batch]
        if prepared:
            assert nov.index.calls == calls + 1  # the checks embedded nothing more
        verdicts.append([(v.kind, v.duplicate_of) if v else None for v in got])
        store.close()
    assert verdicts[0] == verdicts[1]
    assert verdicts[1][0] == ("embedding", first.candidate.id)
    assert verdicts[1][1] == ("source", other.candidate.id)
