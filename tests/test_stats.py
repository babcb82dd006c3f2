"""Paired statistics: exact values computed by hand, ties, intervals."""

from __future__ import annotations

import math

import pytest

from heurevo.stats import mean_ci, paired_on_keys, paired_test


def test_sign_test_exact_binomial():
    # 8 of 8 differing pairs better: one-sided p = 0.5**8; two ties are ignored.
    a = [1.1] * 8 + [1.0, 1.0]
    b = [1.0] * 10
    t = paired_test(a, b, method="sign")
    assert (t.n, t.n_nonzero, t.better, t.worse) == (10, 8, 8, 0)
    assert t.p_value == pytest.approx(0.5 ** 8)
    assert t.significant(0.05)


def test_wilcoxon_exact_small_sample():
    # All 5 differences positive: the exact one-sided p-value is 1/2**5.
    t = paired_test([2.0, 3.0, 4.0, 5.0, 6.5], [1.0, 1.5, 1.0, 2.0, 1.0])
    assert t.p_value == pytest.approx(1 / 32)
    # One negative difference of the smallest rank: W+ = 14 of 15, p = 2/32.
    t = paired_test([0.9, 3.0, 4.0, 5.0, 6.5], [1.0, 1.5, 1.0, 2.0, 1.0])
    assert t.worse == 1
    assert t.p_value == pytest.approx(2 / 32)


def test_no_difference_gives_p_one():
    t = paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert t.p_value == 1.0 and t.n_nonzero == 0 and not t.significant()


def test_worse_candidate_is_not_significant_when_testing_greater():
    t = paired_test([1.0] * 10, [1.2] * 10, method="sign")
    assert t.p_value == pytest.approx(1.0) and t.worse == 10
    assert paired_test([1.0] * 10, [1.2] * 10, method="sign", alternative="less").p_value \
        == pytest.approx(0.5 ** 10)


def test_mean_ci_student_t():
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    sd = math.sqrt(5 / 3)
    half = 3.182446305284263 * sd / 2  # t(0.975, 3) from tables
    assert ci.mean == 2.5 and ci.std == pytest.approx(sd)
    assert (ci.low, ci.high) == pytest.approx((2.5 - half, 2.5 + half))
    assert mean_ci([7.0]).render() == "7.0000"


def test_bad_input():
    with pytest.raises(ValueError, match="length"):
        paired_test([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown"):
        paired_test([1.0, 2.0], [0.0, 0.0], method="t")  # type: ignore[arg-type]


def test_paired_on_keys_matches_keys_not_positions():
    from scipy import stats as sp

    a = {("x", 1): 1.3, ("y", 1): 1.1, ("z", 2): 0.7, ("w", 1): 1.2, ("v", 3): 1.25, ("u", 1): 1.4}
    b = {("u", 1): 1.0, ("v", 3): 1.0, ("w", 1): 1.0, ("y", 1): 1.05, ("x", 1): 1.0, ("only-b", 0): 9.0}
    t = paired_on_keys(a, b)
    assert t is not None and t.n == 5  # ("z", 2) and ("only-b", 0) have no partner
    keys = sorted(set(a) & set(b), key=repr)
    ref = sp.wilcoxon([a[k] - b[k] for k in keys], alternative="greater")
    assert t.p_value == pytest.approx(float(ref.pvalue))
    assert t.difference.mean == pytest.approx(sum(a[k] - b[k] for k in keys) / 5)
    assert paired_on_keys({"a": 1.0}, {"b": 1.0}) is None


def test_tied_small_samples_match_scipys_exact_permutation_p_values() -> None:
    """With tied ranks and n <= 13 the exact null is counted, not enumerated: same p as SciPy."""
    import random

    from scipy import stats

    rng = random.Random(3)
    checked = 0
    for _ in range(40):
        n = rng.randint(2, 13)
        a = [rng.choice([1.0, 1.01, 1.02, 0.99, 0.98]) for _ in range(n)]
        b = [rng.choice([1.0, 1.01, 0.99]) for _ in range(n)]
        diffs = [x - y for x, y in zip(a, b, strict=True) if abs(x - y) > 1e-12]
        if not diffs:
            continue
        for alternative in ("greater", "less", "two-sided"):
            ours = paired_test(a, b, alternative=alternative)
            ref = stats.wilcoxon(diffs, zero_method="wilcox", alternative=alternative)
            assert ours.p_value == pytest.approx(float(ref.pvalue), abs=1e-12)
            assert ours.statistic == pytest.approx(float(ref.statistic))
            checked += 1
    assert checked > 60
