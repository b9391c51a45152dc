"""Statistics of the empirical claims (``numeric/statistics.py``): the order-statistic interval achieves the level it
states (simulated coverage at the sample sizes the studies use), the sample-size rule, the one rule for conditions,
and the bootstrap against SciPy's percentile bootstrap (kept for large samples)."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from nnclaims.numeric.statistics import (ALPHA, NOT_EVIDENCE, binomial_cdf, bootstrap_interval, family_level, judge,
                                         judge_median, median_interval, min_networks, networks_for, one_rule,
                                         shift_interval)
from nnclaims.numeric.statistics import _mann_whitney_counts

TRIALS = 4000  # simulated samples per (distribution, n): the binomial error of a coverage near 0.99 is ≈ 0.0016

# known distributions and their medians
DISTRIBUTIONS = {
    "normal(0.9, 0.05)": (lambda rng, size: rng.normal(0.9, 0.05, size), 0.9),
    "exponential(1)": (lambda rng, size: rng.exponential(1.0, size), math.log(2)),
    "beta(8, 2)": (lambda rng, size: rng.beta(8, 2, size), stats.beta(8, 2).median()),
}
# the network counts of the studies' conditions and the levels they ask for (one decision, a family of 35)
SIZES = (4, 8, 12, 16, 24, 40)
LEVELS = (1 - ALPHA, family_level(35))


def _coverage(draw, median, n, level, seed):
    rng = np.random.default_rng(seed)
    samples = draw(rng, (TRIALS, n))
    hits, stated = 0, None
    for row in samples:
        s = median_interval(row, level=level)
        stated = s["ci_level"]
        hits += s["interval"][0] <= median <= s["interval"][1]
    return hits / TRIALS, stated


def _within_binomial_error(observed, level):
    """|observed − level| within four binomial standard errors (plus one trial): a false alarm ~6e-5 per check."""
    return abs(observed - level) <= 4 * math.sqrt(level * (1 - level) / TRIALS) + 1 / TRIALS


@pytest.mark.parametrize("level", LEVELS, ids=["95%", "family-of-35"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dist", list(DISTRIBUTIONS))
def test_median_interval_achieves_its_stated_level(dist, n, level):
    """Simulated coverage of the true median equals the recorded ``ci_level`` within binomial error, at every n the
    studies use — including the n where the level asked cannot be reached and the recorded level is the lower one
    that the sample range achieves."""
    draw, median = DISTRIBUTIONS[dist]
    observed, stated = _coverage(draw, median, n, level, seed=n)
    assert _within_binomial_error(observed, stated), (dist, n, observed, stated)


def test_coverage_check_fails_for_a_wrong_median_and_for_the_small_sample_bootstrap():
    """Negative controls for the coverage test: the same simulation, aimed at a value that is not the median, or run
    on the percentile bootstrap at n = 4 with the nominal family level 99.86 %, is far outside binomial error."""
    draw, median = DISTRIBUTIONS["normal(0.9, 0.05)"]
    observed, stated = _coverage(draw, median + 0.05, 12, 0.95, seed=1)
    assert not _within_binomial_error(observed, stated)
    rng = np.random.default_rng(2)
    level = family_level(35)
    hits = 0
    for row in draw(rng, (TRIALS // 4, 4)):
        lo, hi = bootstrap_interval(row, level=level, resamples=2000, seed=0)
        hits += lo <= median <= hi
    observed = hits / (TRIALS // 4)
    assert observed < level - 0.05, observed  # 1 − 2·2⁻⁴ = 0.875, not 0.9986


def test_median_interval_picks_the_innermost_ranks_that_reach_the_level():
    """The ranks k, n − k + 1 are the innermost whose exact level 1 − 2F(k − 1) reaches the level asked: the next
    rank inward falls short (an off-by-one either way fails this)."""
    for n in (8, 11, 20, 41):
        for level in (0.9, 0.95, 0.99):
            s = median_interval(np.arange(n, dtype=float), level=level)
            k = s["ranks"][0]
            assert s["enough"] and s["ci_level"] >= level
            assert s["ci_level"] == pytest.approx(1 - 2 * stats.binom.cdf(k - 1, n, 0.5), abs=1e-12)
            assert 1 - 2 * stats.binom.cdf(k, n, 0.5) < level or k == (n + 1) // 2
            assert s["interval"] == (float(k - 1), float(n - k))


def test_median_interval_too_few_reports_the_range_and_its_own_level():
    s = median_interval([3.0, 1.0, 2.0, 4.0], level=family_level(35))
    assert not s["enough"] and s["interval"] == (1.0, 4.0) and s["ci_level"] == 0.875
    assert judge_median(s, 0.5) == "too few networks"
    assert judge_median(median_interval(np.linspace(0.95, 1, 12), level=family_level(35)), 0.9) == "supported"
    assert judge_median(median_interval(np.linspace(0.5, 1, 12), level=family_level(35)), 0.9) == "unsupported"


def test_median_interval_refuses_empty_non_finite_or_bad_level():
    for bad in ([], [1.0, float("nan")], [float("inf")]):
        with pytest.raises(ValueError):
            median_interval(bad)
    for level in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError):
            median_interval([1.0, 2.0], level=level)


def test_binomial_cdf_matches_scipy():
    for n in (1, 4, 12, 40):
        for j in range(-1, n + 1):
            assert binomial_cdf(j, n) == pytest.approx(stats.binom.cdf(j, n, 0.5), abs=1e-12)
            assert binomial_cdf(j, n, 0.1) == pytest.approx(stats.binom.cdf(j, n, 0.1), abs=1e-12)


def test_min_networks_is_the_least_n_whose_range_reaches_the_level():
    for level in (0.9, 0.95, family_level(35), family_level(200)):
        n = min_networks(level)
        assert median_interval(np.arange(n), level=level)["enough"]
        assert not median_interval(np.arange(n - 1), level=level)["enough"]


def test_networks_for_reaches_its_power_by_simulation_and_one_fewer_does_not():
    """The sample-size rule names the effect it detects: a condition where 90 % of networks exceed the threshold is
    ``supported`` with probability ≥ 0.8 at n = networks_for(...) (simulated), and the exact power at n − 1 is below."""
    level, q = family_level(35), 0.9
    n = networks_for(level, fraction_above=q, power=0.8)
    rng = np.random.default_rng(5)
    # values above the threshold 0 with probability q
    wins = sum(judge_median(median_interval(rng.uniform(-(1 - q), q, n), level=level), 0.0) == "supported"
               for _ in range(2000))
    assert wins / 2000 >= 0.8 - 4 * math.sqrt(0.16 / 2000)
    k = median_interval(np.arange(n - 1), level=level)["ranks"][0]
    assert not median_interval(np.arange(n - 1), level=level)["enough"] or stats.binom.cdf(k - 1, n - 1, 1 - q) < 0.8


def test_family_level_is_bonferroni():
    assert family_level(1) == 1 - ALPHA and family_level(35) == pytest.approx(1 - 0.05 / 35)
    with pytest.raises(ValueError):
        family_level(0)


def test_one_rule_for_conditions():
    assert one_rule({"a": "supported", "b": "supported"}) == ("supported", ["a", "b"])
    assert one_rule({"a": "supported", "b": "unsupported"}) == ("conditional", ["a"])
    assert one_rule({"a": "supported", "b": "too few networks"}) == ("conditional", ["a"])
    assert one_rule({"a": "unsupported", "b": "undecidable by design"}) == ("unsupported", [])
    assert one_rule({s: s for s in NOT_EVIDENCE}) == ("open", [])
    with pytest.raises(ValueError):
        one_rule({})


@pytest.mark.parametrize("statistic", [np.mean, np.median], ids=["mean", "median"])
def test_bootstrap_interval_matches_scipy_percentile_bootstrap(statistic):
    """The same percentile interval as ``scipy.stats.bootstrap`` (other random draws, so within 5 % of the
    interval's width; a 90 % interval in place of the 95 % one is off by about 8 % of the width at each end)."""
    x = np.random.default_rng(1).standard_normal(200)
    ref = stats.bootstrap((x,), statistic, method="percentile", n_resamples=20_000, confidence_level=0.95,
                          random_state=np.random.default_rng(2), vectorized=True).confidence_interval
    lo, hi = bootstrap_interval(x, statistic=statistic, resamples=20_000, seed=3)
    width = ref.high - ref.low
    assert abs(lo - ref.low) < 0.05 * width and abs(hi - ref.high) < 0.05 * width, ((lo, hi), ref)


def test_bootstrap_interval_refuses_empty_or_non_finite():
    for bad in ([], [1.0, float("nan")], [float("inf")]):
        with pytest.raises(ValueError):
            bootstrap_interval(bad)


def test_judge_supported_at_or_above_the_threshold():
    """The whole interval at or above the threshold: ``lo == threshold`` is supported, anything below is not."""
    assert judge((0.9, 1.0), 0.9) == "supported"
    assert judge((np.nextafter(0.9, 0), 1.0), 0.9) == "unsupported"
    assert judge((1.0, 1.0), 1.0) == "supported"


# --- the shift between two conditions (the study's exploratory gap section) ---------------------------------------

def _shift_coverage(draw, shift, m, n, level, seed, trials=2000):
    rng = np.random.default_rng(seed)
    hits, stated = 0, None
    for _ in range(trials):
        x, y = draw(rng, m), draw(rng, n) + shift
        s = shift_interval(x, y, level=level)
        stated = s["ci_level"]
        hits += s["interval"][0] <= shift <= s["interval"][1]
    return hits / trials, stated


@pytest.mark.parametrize("m, n", [(6, 9), (14, 22), (22, 22)])
@pytest.mark.parametrize("dist", ["normal(0.9, 0.05)", "exponential(1)"])
def test_shift_interval_achieves_its_stated_level(dist, m, n):
    """2,000 simulated pairs of samples (y = x's distribution shifted by 0.3) at the studies' sizes: the coverage of
    the true shift equals the recorded ``ci_level`` within binomial error; the estimate is the median of the mn
    differences."""
    draw, _ = DISTRIBUTIONS[dist]
    observed, stated = _shift_coverage(draw, 0.3, m, n, 0.95, seed=m * 100 + n)
    assert stated >= 0.95
    assert abs(observed - stated) <= 4 * math.sqrt(stated * (1 - stated) / 2000) + 1 / 2000, (observed, stated)


def test_shift_interval_negative_control_and_exact_ranks():
    """The same simulation aimed at a wrong shift (0.34 instead of 0.3) covers it far less often than stated; the
    Mann–Whitney counts equal a brute-force enumeration of every ordering; the ends are the k-th and (mn − k + 1)-th
    ordered differences, and the next rank inward falls short of the level (an off-by-one either way fails)."""
    draw, _ = DISTRIBUTIONS["normal(0.9, 0.05)"]
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(300):
        s = shift_interval(draw(rng, 14), draw(rng, 22) + 0.3, level=0.95)
        hits += s["interval"][0] <= 0.34 <= s["interval"][1]
    assert hits / 300 < s["ci_level"] - 0.2
    for m, n in ((3, 4), (4, 5), (5, 5)):
        brute = [0] * (m * n + 1)
        for xs in itertools.combinations(range(m + n), m):  # positions of the x's in the pooled order
            brute[sum(1 for i in xs for j in range(m + n) if j not in xs and i < j)] += 1
        assert list(_mann_whitney_counts(m, n)) == brute
    x, y = np.arange(7, dtype=float), np.arange(9, dtype=float) * 1.37 + 0.11
    s = shift_interval(x, y, level=0.95)
    d = np.sort((y[None, :] - x[:, None]).ravel())
    k = int(np.searchsorted(d, s["interval"][0])) + 1
    assert d[k - 1] == s["interval"][0] and d[63 - k] == s["interval"][1] and s["value"] == float(np.median(d))
    counts, total = _mann_whitney_counts(7, 9), math.comb(16, 7)
    assert s["ci_level"] == pytest.approx(1 - 2 * sum(counts[:k]) / total, abs=1e-15) and s["ci_level"] >= 0.95
    assert 1 - 2 * sum(counts[:k + 1]) / total < 0.95
