"""Statistics of the empirical claims (``numeric/statistics.py``) against an independent implementation
(SciPy's percentile bootstrap) and at the edges where an off-by-one or a strict inequality would hide."""

import numpy as np
import pytest
from scipy import stats

from nnclaims.numeric.statistics import bootstrap_interval, judge, median_with_interval


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


def test_bootstrap_interval_resamples_every_value():
    """Resampling draws every value (the last one too): two values 0 and 1 give resampled means 0, ½, 1, so the
    95 % interval is [0, 1]; one value gives the degenerate interval at it."""
    assert bootstrap_interval([0.0, 1.0], statistic=np.mean) == (0.0, 1.0)
    assert bootstrap_interval([1.0, 0.0], statistic=np.mean) == (0.0, 1.0)
    assert bootstrap_interval([5.0]) == (5.0, 5.0)


def test_bootstrap_interval_refuses_empty_or_non_finite():
    for bad in ([], [1.0, float("nan")], [float("inf")]):
        with pytest.raises(ValueError):
            bootstrap_interval(bad)


def test_judge_supported_at_or_above_the_threshold():
    """The whole interval at or above the threshold: ``lo == threshold`` is supported (an integer count against an
    integer threshold lands exactly there), anything below is not."""
    assert judge((0.9, 1.0), 0.9) == "supported"
    assert judge((np.nextafter(0.9, 0), 1.0), 0.9) == "unsupported"
    assert judge((1.0, 1.0), 1.0) == "supported"


def test_median_with_interval_reports_the_median():
    out = median_with_interval([0.0, 0.0, 0.0, 0.0, 100.0])
    assert out["value"] == 0.0 and out["n"] == 5 and out["interval"][0] <= 0.0 <= out["interval"][1]
