r"""Statistics of empirical claims: a median with its interval, judged against a preregistered threshold.

Statistics of empirical claims: a median with a bootstrap interval, judged against the claim's
preregistered threshold.

The percentile bootstrap of the median: resample the per-network values with replacement ``B`` times (a
seeded generator), take each resample's median, and report the :math:`(1-\alpha)/2` and
:math:`(1+\alpha)/2` quantiles.  A claim is ``supported`` only when the whole interval lies at or above the
threshold (:func:`judge`).  With several conditions the level is Bonferroni-corrected by the caller
(``level = 1 - 0.05 / m``).

>>> lo, hi = bootstrap_interval([0.91, 0.95, 0.97, 0.99, 0.93], seed=0)
>>> 0.91 <= lo <= 0.95 <= hi <= 0.99
True
>>> judge((0.92, 0.97), 0.9), judge((0.85, 0.97), 0.9)
('supported', 'unsupported')
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["bootstrap_interval", "judge", "median_with_interval", "RESAMPLES"]

RESAMPLES = 10_000


def bootstrap_interval(values: Sequence[float], *, seed: int = 0, level: float = 0.95,
                       resamples: int = RESAMPLES, statistic=np.median) -> tuple[float, float]:
    """Percentile-bootstrap interval of ``statistic`` (default the median) at ``level``."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("a bootstrap interval needs at least one value, all finite")
    rng = np.random.default_rng(seed)
    stats = statistic(x[rng.integers(0, x.size, size=(resamples, x.size))], axis=1)
    a = (1 - level) / 2
    return float(np.quantile(stats, a)), float(np.quantile(stats, 1 - a))


def judge(interval: tuple[float, float], threshold: float) -> str:
    """``supported`` when the interval lies at or above ``threshold``, else ``unsupported``."""
    return "supported" if interval[0] >= threshold else "unsupported"


def median_with_interval(values: Sequence[float], *, seed: int = 0, level: float = 0.95) -> dict:
    """``{"value": median, "interval": (lo, hi), "n": count}`` of the per-network values."""
    x = np.asarray(values, dtype=float)
    return {"value": float(np.median(x)), "interval": bootstrap_interval(x, seed=seed, level=level), "n": int(x.size)}
