"""An optional surrogate that pre-screens clearly poor candidates before evaluation (off by default).

A scikit-learn k-nearest-neighbours regressor on code embeddings, refitted at the start of each
generation on every evaluated candidate (a failed one counts as the worst fitness seen), predicts
a new candidate's train fitness (the mean of its ``neighbours`` nearest evaluated candidates').
Once it has ``min_train`` examples, a candidate predicted below the ``screen_quantile`` of the
fitnesses seen so far is rejected without evaluation, and the proposer is told so. Its accuracy is logged in the store: every prediction, the fitness
the candidate then got (an evaluated one) and whether it was screened, as ``surrogate`` events;
:func:`accuracy` summarises them for ``heurevo show --json``. Screened candidates never get an
actual fitness, so the log says how many were screened apart from the accuracy on the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from heurevo.engine.embeddings import EmbeddingIndex
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate, EvalStatus, EvaluationResult, Member, Stage
from heurevo.populations.store import Store


@dataclass(frozen=True)
class SurrogateConfig:
    """The surrogate (``[cire.surrogate]`` in a run config)."""

    enabled: bool = False
    neighbours: int = 3
    min_train: int = 16  # evaluated candidates before it screens anything
    screen_quantile: float = 0.1  # predicted below this quantile of seen fitnesses = clearly poor

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.neighbours < 1:
            raise ConfigError(f"must be >= 1, got {self.neighbours}", key="neighbours")
        if self.min_train < self.neighbours:
            raise ConfigError(f"must be >= neighbours ({self.neighbours}), got {self.min_train}", key="min_train")
        if not 0 <= self.screen_quantile < 1:
            raise ConfigError(f"must be in [0, 1), got {self.screen_quantile}", key="screen_quantile")


class Surrogate:
    """Fitness predictions from code embeddings; screens before evaluation (thread-safe)."""

    def __init__(self, config: SurrogateConfig, index: EmbeddingIndex, store: Store | None = None):
        config.validate()
        self.config = config
        self.index = index
        self.store = store
        self._lock = threading.Lock()
        self._seen: list[Member] = []
        self._predicted: dict[str, float] = {}
        self._threshold = float("-inf")
        self.screened = 0

    def prepare(self, cands: Sequence[Candidate]) -> None:
        """Fit on every evaluated candidate and predict ``cands`` (one embedding call)."""
        with self._lock:
            self._predicted = {}
            ok = [m.result.fitness for m in self._seen if m.result.ok and m.result.fitness is not None]
            if len(self._seen) < self.config.min_train or not ok or not cands:
                return
            from sklearn.neighbors import KNeighborsRegressor

            worst = min(ok)
            y = np.array([m.result.fitness if m.result.ok and m.result.fitness is not None else worst
                          for m in self._seen])
            vecs = self.index.vectors([*cands, *(m.candidate for m in self._seen)])
            model = KNeighborsRegressor(n_neighbors=self.config.neighbours).fit(vecs[len(cands):], y)
            pred = model.predict(vecs[:len(cands)])
            self._predicted = {c.id: float(p) for c, p in zip(cands, pred, strict=True)}
            self._threshold = float(np.quantile(y, self.config.screen_quantile))

    def check(self, cand: Candidate) -> EvaluationResult | None:
        """A ``REJECTED`` result when ``cand`` is predicted clearly poor, else None."""
        with self._lock:
            pred = self._predicted.get(cand.id)
            if pred is None or pred >= self._threshold:
                return None
            self.screened += 1
            self._log(cand, pred, None, screened=True)
        return EvaluationResult(
            cand.id, EvalStatus.REJECTED, Stage.CHECKS,
            error=f"surrogate: predicted fitness {pred:.4f} < {self._threshold:.4f}",
            feedback=f"Not evaluated: candidates with code like this scored poorly (predicted "
                     f"fitness {pred:.4f}, below the worst {self.config.screen_quantile:.0%} of "
                     "those seen). Try a different approach.")

    def admit(self, member: Member) -> None:
        """Learn an evaluated candidate; log the prediction it had against what it got."""
        with self._lock:
            self._seen.append(member)
            pred = self._predicted.get(member.candidate.id)
            if pred is not None:
                actual = member.result.fitness if member.result.ok else None
                self._log(member.candidate, pred, actual, screened=False)

    def _log(self, cand: Candidate, pred: float, actual: float | None, screened: bool) -> None:
        if self.store is not None:
            self.store.add_event("surrogate", {"candidate": cand.id, "generation": cand.generation,
                                               "predicted": round(pred, 6), "actual": actual,
                                               "screened": screened})


def accuracy(store: Store) -> dict[str, Any]:
    """The logged predictions: how many, screened, mean absolute error and Spearman's rho on the
    evaluated ones (None with fewer than 3)."""
    rows = [e.data for e in store.events("surrogate")]
    if not rows:
        return {}
    scored = [(r["predicted"], r["actual"]) for r in rows if r["actual"] is not None]
    out: dict[str, Any] = {"predictions": len(rows), "screened": sum(bool(r["screened"]) for r in rows),
                           "evaluated": len(scored), "mae": None, "spearman": None}
    if scored:
        out["mae"] = float(np.mean([abs(p - a) for p, a in scored]))
    if len(scored) >= 3:
        from scipy.stats import spearmanr

        rho = spearmanr([p for p, _ in scored], [a for _, a in scored]).statistic
        out["spearman"] = None if np.isnan(rho) else float(rho)
    return out
