"""Paired statistics shared by selection, comparisons and leaderboards (one implementation).

Everything here compares two heuristics *paired*: the same instances and seeds on both sides, so
instance difficulty cancels out. The tests are scipy's (Wilcoxon signed-rank, exact binomial
sign test); intervals are Student-t intervals of the mean paired difference. Scores follow the
project's convention: higher is better.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["wilcoxon", "sign"]
Alternative = Literal["greater", "less", "two-sided"]

#: Differences smaller than this (relative to the larger magnitude) count as ties.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class MeanCI:
    """A mean with its standard deviation and a confidence interval."""

    mean: float
    std: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def render(self, digits: int = 4) -> str:
        """``mean ± half-width`` (or just the mean for a single value)."""
        if self.n < 2:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {(self.high - self.low) / 2:.{digits}f}"


@dataclass(frozen=True)
class PairedTest:
    """The verdict of a paired test of ``a`` against ``b`` (differences ``a - b``)."""

    method: Method
    alternative: Alternative
    n: int  # pairs
    n_nonzero: int  # pairs that differ (the test's effective sample)
    better: int  # pairs where a > b
    worse: int  # pairs where a < b
    statistic: float
    p_value: float
    difference: MeanCI  # mean paired difference a - b with its interval

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the test rejects the null at level ``alpha``."""
        return self.p_value < alpha


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> MeanCI:
    """Mean, sample standard deviation and a Student-t interval of ``values``."""
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError("mean_ci needs at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean = statistics.fmean(vals)
    if len(vals) < 2:
        return MeanCI(mean, 0.0, mean, mean, 1, confidence)
    from scipy import stats

    std = statistics.stdev(vals)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(vals) - 1)) * std / math.sqrt(len(vals))
    return MeanCI(mean, std, mean - half, mean + half, len(vals), confidence)


def _is_tie(x: float, y: float) -> bool:
    return abs(x - y) <= TIE_TOLERANCE * max(1.0, abs(x), abs(y))


def paired_test(a: Sequence[float], b: Sequence[float], *, method: Method = "wilcoxon",
                alternative: Alternative = "greater", confidence: float = 0.95) -> PairedTest:
    """Test whether ``a`` beats ``b`` pair by pair (``alternative="greater"``: a > b).

    Ties are dropped before testing (Wilcoxon's ``zero_method="wilcox"``; the sign test counts
    only differing pairs). With no differing pair the p-value is 1.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    if not a:
        raise ValueError("paired_test needs at least one pair")
    diffs = [float(x) - float(y) for x, y in zip(a, b, strict=True)]
    nonzero = [d for d, x, y in zip(diffs, a, b, strict=True) if not _is_tie(float(x), float(y))]
    better = sum(d > 0 for d in nonzero)
    worse = sum(d < 0 for d in nonzero)
    interval = mean_ci(diffs, confidence)
    if not nonzero:
        return PairedTest(method, alternative, len(diffs), 0, 0, 0, 0.0, 1.0, interval)
    from scipy import stats

    if method == "wilcoxon":
        exact = _tied_signed_rank(nonzero, alternative)
        if exact is not None:
            statistic, p = exact
        else:
            res = stats.wilcoxon(nonzero, zero_method="wilcox", alternative=alternative)
            statistic, p = float(res.statistic), float(res.pvalue)
    elif method == "sign":
        res = stats.binomtest(better, better + worse, 0.5, alternative=alternative)
        statistic, p = float(better), float(res.pvalue)
    else:
        raise ValueError(f"unknown paired test '{method}' (known: wilcoxon, sign)")
    return PairedTest(method, alternative, len(diffs), len(nonzero), better, worse, statistic,
                      min(1.0, p), interval)


def _tied_signed_rank(diffs: Sequence[float], alternative: Alternative) -> tuple[float, float] | None:
    """Wilcoxon's exact p-value over all 2^n sign flips when ``|diffs|`` has tied ranks, n <= 13.

    The case SciPy's ``wilcoxon`` answers with a permutation test over every sign flip (exact,
    but about 2 s in Python); here the same null distribution is counted by dynamic programming
    over the doubled midranks, in microseconds. None when there are no ties or n > 13 (SciPy's
    own exact or normal method then applies).
    """
    from scipy.stats import rankdata

    n = len(diffs)
    ranks = rankdata([abs(d) for d in diffs])
    if n > 13 or len(set(ranks.tolist())) == n:
        return None
    doubled = [round(2 * float(r)) for r in ranks]
    counts = np.zeros(sum(doubled) + 1)
    counts[0] = 1.0
    for r in doubled:  # each rank is in W+ (shift by r) or not
        counts[r:] += counts[:-r].copy()
    observed = round(2 * sum(float(r) for r, d in zip(ranks, diffs, strict=True) if d > 0))
    total = counts.sum()
    greater = counts[observed:].sum() / total
    less = counts[:observed + 1].sum() / total
    p = {"greater": greater, "less": less}.get(alternative, min(1.0, 2 * min(greater, less)))
    statistic = observed / 2 if alternative != "two-sided" else min(observed, sum(doubled) - observed) / 2
    return float(statistic), float(p)


def paired_on_keys(a: Mapping[Hashable, float], b: Mapping[Hashable, float], *,
                   method: Method = "wilcoxon", alternative: Alternative = "greater",
                   confidence: float = 0.95) -> PairedTest | None:
    """:func:`paired_test` over the keys ``a`` and ``b`` share (say, (instance, seed) pairs).

    Keys are matched, not positions, so two evaluations on overlapping pair sets compare only
    where both ran. None when no key is shared.
    """
    keys = sorted((k for k in a if k in b), key=repr)
    if not keys:
        return None
    return paired_test([a[k] for k in keys], [b[k] for k in keys], method=method,
                       alternative=alternative, confidence=confidence)
