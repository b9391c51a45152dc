r"""Statistics of empirical claims: medians with intervals at their achieved level, the family correction, the rule.

Statistics of empirical claims: the median with an interval at the level it achieves, a family-wide correction,
a sample-size rule, and the one rule that turns per-condition results into a claim's status.

**The interval.**  For :math:`n` values with order statistics :math:`x_{(1)} \le \dots \le x_{(n)}` and any
continuous distribution with median :math:`m`, the number of values below :math:`m` is
:math:`\mathrm{Bin}(n, \tfrac12)`, so

.. math::

    P\bigl(x_{(k)} \le m \le x_{(n-k+1)}\bigr) \;=\; 1 - 2\,F(k-1), \qquad F(j) = P(\mathrm{Bin}(n, \tfrac12) \le j),

whatever the distribution (with ties it is at least that).  :func:`median_interval` takes the largest :math:`k`
whose level :math:`1 - 2F(k-1)` reaches the level asked for and records that achieved level as ``ci_level``.
When even :math:`[x_{(1)}, x_{(n)}]` falls short (:math:`1 - 2^{1-n}` below the level asked) the interval is
still reported, with its achieved level and ``enough = False``: such a condition is ``too few networks``, never
``supported`` (:func:`judge_median`).  A percentile bootstrap is kept only for large samples
(:func:`bootstrap_interval`); at :math:`n = 4` its nominal 99.86 % interval is :math:`[x_{(1)}, x_{(4)}]`, whose
coverage is 87.5 %.

**The family.**  Every decision a run makes (each condition of each empirical claim) is one member of the family;
with :math:`m` of them each interval is built at :math:`1 - \alpha/m` (Bonferroni, :func:`family_level`), so the
chance of any false ``supported`` in the run is at most :math:`\alpha`.

**The sample size** (:func:`networks_for`): the least :math:`n` for which a condition where a fraction
:math:`q` of networks lie above the threshold is found ``supported`` with probability at least the power asked:
:math:`x_{(k)}` clears the threshold exactly when at most :math:`k-1` values fall below it, so the power is
:math:`P(\mathrm{Bin}(n, 1-q) \le k-1)`.

**The one rule** (:func:`one_rule`): a claim that holds in every preregistered condition is ``supported``, in
some ``conditional`` (naming them), in none ``unsupported``; conditions that cannot be evidence (too few
networks, undecidable by design, did not learn) count neither way, and with none left the claim is ``open``.

The decision reads only the lower end (``supported`` when :math:`x_{(k)} \ge` threshold), so an equal-tailed
interval at level :math:`1-\alpha/m` errs on the side of ``unsupported``: its one-sided error is
:math:`\alpha/(2m)`.

>>> s = median_interval([0.91, 0.95, 0.97, 0.99, 0.93, 0.96, 0.94, 0.98, 0.92, 0.90], level=0.95)
>>> s["interval"], round(s["ci_level"], 4), s["enough"]
((0.91, 0.98), 0.9785, True)
>>> judge_median(s, 0.9), judge_median(median_interval([0.95, 0.97, 0.99], level=0.95), 0.9)
('supported', 'too few networks')
>>> one_rule({"a": "supported", "b": "unsupported", "c": "too few networks"})
('conditional', ['a'])
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np

from nnclaims.caching import cached

__all__ = ["ALPHA", "ORDER_STATISTIC", "FAMILY_METHOD", "NOT_EVIDENCE", "RESAMPLES", "binomial_cdf",
           "median_interval", "median_with_interval", "judge", "judge_median", "family_level", "min_networks",
           "networks_for", "one_rule", "bootstrap_interval", "condition_summary", "run_seeds", "SEED_STRIDE",
           "sample_size", "percent", "shift_interval", "HODGES_LEHMANN"]

ALPHA = 0.05
ORDER_STATISTIC = "order statistics (distribution-free, exact binomial level, equal tails)"
FAMILY_METHOD = "Bonferroni"
#: condition statuses that are not evidence either way
NOT_EVIDENCE = ("too few networks", "undecidable by design", "did not learn")
RESAMPLES = 10_000


def binomial_cdf(j: int, n: int, p: Fraction | float = Fraction(1, 2)) -> float:
    r""":math:`P(\mathrm{Bin}(n, p) \le j)`, exact in rational arithmetic for a rational ``p`` (``0`` for ``j < 0``).

    >>> binomial_cdf(0, 3), binomial_cdf(1, 3), binomial_cdf(3, 3)
    (0.125, 0.5, 1.0)
    """
    if j < 0:
        return 0.0
    if j >= n:
        return 1.0
    p = Fraction(p).limit_denominator(10**12) if not isinstance(p, Fraction) else p
    q = 1 - p
    return float(sum(math.comb(n, i) * p**i * q ** (n - i) for i in range(j + 1)))


@cached(maxsize=4096)
def _level(k: int, n: int) -> float:
    """Coverage of :math:`[x_{(k)}, x_{(n-k+1)}]` for the median of a continuous distribution."""
    return 1.0 - 2.0 * binomial_cdf(k - 1, n)


@cached(maxsize=4096)
def _rank(n: int, level: float) -> int:
    """The largest rank ``k`` (1-based, ``k <= (n+1)/2``) whose interval reaches ``level``; 0 when none does."""
    best = 0
    for k in range(1, (n + 1) // 2 + 1):
        if _level(k, n) >= level:
            best = k
        else:
            break
    return best


def median_interval(values: Sequence[float], *, level: float = 1 - ALPHA) -> dict:
    """The median of ``values`` with its distribution-free order-statistic interval.

    Returns ``{"value", "interval": (lo, hi), "n", "ci_method", "ci_level", "level_asked", "enough", "ranks"}``:
    ``ci_level`` is the level the interval achieves at this ``n`` (never less than ``level_asked`` when
    ``enough``); when ``enough`` is false the interval is the sample range and ``ci_level`` its own, lower,
    level.  Raises ``ValueError`` on an empty or non-finite sample.
    """
    x = np.sort(np.asarray(values, dtype=float).ravel())
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("an interval needs at least one value, all finite")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    n = int(x.size)
    k = _rank(n, level)
    enough = k > 0
    k = max(k, 1)
    return {"value": float(np.median(x)), "interval": (float(x[k - 1]), float(x[n - k])), "n": n,
            "ci_method": ORDER_STATISTIC, "ci_level": _level(k, n), "level_asked": float(level),
            "enough": enough, "ranks": (k, n - k + 1)}


HODGES_LEHMANN = ("Hodges–Lehmann shift (median of the pairwise differences) with the exact distribution-free "
                  "Mann–Whitney interval (equal tails, location-shift model, no ties)")


@cached(maxsize=512)
def _mann_whitney_counts(m: int, n: int) -> tuple:
    r"""Number of orderings of ``m`` x's and ``n`` y's with :math:`U = \#\{(i, j): x_i < y_j\} = u`, for
    :math:`u = 0 … mn` (the coefficients of the Gaussian binomial :math:`\binom{m+n}{m}_q`), exact integers, by
    :math:`c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1)`.

    >>> _mann_whitney_counts(2, 2)
    (1, 1, 2, 1, 1)
    """
    if m == 0 or n == 0:
        return (1,)
    a, b = _mann_whitney_counts(m - 1, n), _mann_whitney_counts(m, n - 1)
    out = [0] * (m * n + 1)
    for u, c in enumerate(a):
        out[u + n] += c
    for u, c in enumerate(b):
        out[u] += c
    return tuple(out)


def shift_interval(x: Sequence[float], y: Sequence[float], *, level: float = 1 - ALPHA) -> dict:
    r"""The shift from sample ``x`` to sample ``y`` (independent): the Hodges–Lehmann estimate, the median of the
    :math:`mn` differences :math:`y_j - x_i`, with the exact distribution-free interval
    :math:`[d_{(k)}, d_{(mn-k+1)}]` of the ordered differences, whose coverage under the location-shift model
    (continuous distributions) is :math:`1 - 2P(U \le k - 1)`, :math:`U` the Mann–Whitney count (exact, from
    :func:`_mann_whitney_counts`).  ``k`` is the largest rank reaching ``level``; ``ci_level`` is the level achieved.
    With too few values for ``level`` the interval is the range of the differences and ``enough`` is false.

    >>> r = shift_interval([0, 1, 2, 3, 4], [10, 11, 12, 13, 14], level=0.9)
    >>> r["value"], r["interval"], round(r["ci_level"], 4), r["enough"]
    (10.0, (8.0, 12.0), 0.9048, True)
    """
    a, b = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if a.size == 0 or b.size == 0 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a shift interval needs two non-empty samples, all finite")
    m, n = int(a.size), int(b.size)
    d = np.sort((b[None, :] - a[:, None]).ravel())
    counts = _mann_whitney_counts(m, n)
    total = math.comb(m + n, m)
    cdf, k, achieved = 0, 0, 0.0
    for u in range((m * n + 1) // 2):  # k = u + 1 uses P(U ≤ u)
        cdf += counts[u]
        cover = 1.0 - 2.0 * float(Fraction(cdf, total))
        if cover < level:
            break
        k, achieved = u + 1, cover
    enough = k > 0
    lo, hi = (d[k - 1], d[m * n - k]) if enough else (d[0], d[-1])
    if not enough:
        achieved = 1.0 - 2.0 * float(Fraction(counts[0], total))
    return {"value": float(np.median(d)), "interval": (float(lo), float(hi)), "n": (m, n),
            "ci_method": HODGES_LEHMANN, "ci_level": achieved, "level_asked": float(level), "enough": enough}


def median_with_interval(values: Sequence[float], *, level: float = 1 - ALPHA) -> dict:
    """Alias of :func:`median_interval` (the name the public API has used)."""
    return median_interval(values, level=level)


def judge(interval: tuple[float, float], threshold: float) -> str:
    """``supported`` when the interval lies at or above ``threshold``, else ``unsupported``."""
    return "supported" if interval[0] >= threshold else "unsupported"


def judge_median(summary: Mapping, threshold: float) -> str:
    """A condition's status from a :func:`median_interval` summary: ``too few networks`` when the interval could not
    reach its level at this ``n``, else :func:`judge` of the interval."""
    if not summary["enough"]:
        return "too few networks"
    return judge(summary["interval"], threshold)


def percent(level: float | None) -> str:
    """A level as a percentage with at most four decimals, enough to tell 99.96 % from 99.9 %; ``None`` → 'level not
    stated'.

    >>> percent(0.99), percent(1 - 0.05 / 15), percent(None)
    ('99%', '99.6667%', 'level not stated')
    """
    if level is None:
        return "level not stated"
    return f"{100 * level:.4f}".rstrip("0").rstrip(".") + "%"


def family_level(m: int, *, alpha: float = ALPHA) -> float:
    """The per-decision level :math:`1 - \\alpha/m` that keeps the family-wise error of ``m`` decisions at ``alpha``."""
    if m < 1:
        raise ValueError(f"a family has at least one decision, got {m}")
    return 1.0 - alpha / m


def min_networks(level: float) -> int:
    """The least ``n`` whose widest interval :math:`[x_{(1)}, x_{(n)}]` reaches ``level``: :math:`1 - 2^{1-n} \\ge` level.

    >>> min_networks(0.95), min_networks(1 - 0.05 / 40)
    (6, 11)
    """
    n = 1
    while 1.0 - 2.0 ** (1 - n) < level:
        n += 1
    return n


def networks_for(level: float, *, fraction_above: float, power: float = 0.8, most: int = 10_000) -> int:
    """The least ``n`` at which a condition where ``fraction_above`` of the networks exceed the threshold comes out
    ``supported`` with probability at least ``power``, its interval at ``level``.

    >>> networks_for(0.95, fraction_above=0.9)
    12
    """
    if not 0.5 < fraction_above < 1:
        raise ValueError("fraction_above must lie in (1/2, 1): a median at the threshold is never detected")
    below = Fraction(1) - Fraction(fraction_above).limit_denominator(10**6)
    for n in range(min_networks(level), most + 1):
        k = _rank(n, level)
        if binomial_cdf(k - 1, n, below) >= power:
            return n
    raise ValueError(f"more than {most} networks needed")


def one_rule(conditions: Mapping[str, str]) -> tuple[str, list[str]]:
    """``(status, holding)`` of a claim from its preregistered conditions' statuses.

    Every condition ``supported`` → ``supported``; some → ``conditional`` with the names of those that hold; none,
    with at least one evidential condition → ``unsupported``; no evidential condition at all (each is one of
    :data:`NOT_EVIDENCE`) → ``open``.
    """
    if not conditions:
        raise ValueError("a claim is judged on at least one condition")
    holding = [name for name, status in conditions.items() if status == "supported"]
    evidential = [name for name, status in conditions.items() if status not in NOT_EVIDENCE]
    if len(holding) == len(conditions):
        return "supported", holding
    if holding:
        return "conditional", holding
    return ("unsupported" if evidential else "open"), []


def bootstrap_interval(values: Sequence[float], *, seed: int = 0, level: float = 1 - ALPHA,
                       resamples: int = RESAMPLES, statistic=np.median) -> tuple[float, float]:
    """Percentile-bootstrap interval of ``statistic`` at ``level`` — for large samples only: its coverage is below
    ``level`` at small ``n`` (prefer :func:`median_interval` for a median)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("a bootstrap interval needs at least one value, all finite")
    rng = np.random.default_rng(seed)
    stats = statistic(x[rng.integers(0, x.size, size=(resamples, x.size))], axis=1)
    a = (1 - level) / 2
    return float(np.quantile(stats, a)), float(np.quantile(stats, 1 - a))


def condition_summary(values: Sequence[float], threshold: float, *, level: float,
                      null: Sequence[float] | None = None) -> dict:
    """One preregistered condition as the verdict reads it (:mod:`nnclaims.verdict`): the median of
    ``values`` with its :func:`median_interval` at ``level`` and its status (:func:`judge_median`).

    With ``null`` (the same statistic where only the spectra or the rank are kept, paired with ``values``), the
    condition also records the null's median and ``beyond_null``, the paired excess ``values − null`` with its own
    interval at the same level; ``supported`` then needs that interval above 0 as well (an intersection of two
    tests, each at ``level``, so no further correction).

    >>> c = condition_summary([3, 4, 5, 6, 7, 8], 1.0, level=0.95, null=[0, 0, 1, 0, 1, 0])
    >>> c["status"], c["interval"], c["beyond_null"]["interval"], round(c["ci_level"], 4)
    ('supported', [3.0, 8.0], [3.0, 8.0], 0.9688)
    """
    s = median_interval(values, level=level)
    out = {"value": s["value"], "interval": list(s["interval"]), "n": s["n"], "ci_method": s["ci_method"],
           "ci_level": s["ci_level"], "level_asked": s["level_asked"], "status": judge_median(s, threshold)}
    if null is not None:
        x, z = np.asarray(values, dtype=float).ravel(), np.asarray(null, dtype=float).ravel()
        if x.shape != z.shape:
            raise ValueError(f"a paired null needs one value per network: {x.size} values, {z.size} null values")
        e = median_interval(x - z, level=level)
        out["null"] = float(np.median(z))
        out["beyond_null"] = {"value": e["value"], "interval": list(e["interval"]), "ci_level": e["ci_level"]}
        if out["status"] == "supported" and not e["interval"][0] > 0:
            out["status"] = "unsupported"
    return out


SEED_STRIDE = 100_000
"""Seeds between two runs of one claim: run ``s`` draws its networks from seeds ``first + s·SEED_STRIDE + i``."""


def run_seeds(confirmatory: tuple[int, int] | None, seed: int, n: int) -> dict:
    """The seeds of a run's ``n`` networks (network ``i`` gets seed ``first + i``) and whether the run is the
    confirmatory one.

    ``seed = 0`` (the command line's default) takes the first ``n`` seeds of the preregistered ``confirmatory``
    range, so the default run is the one that decides the verdict; any other ``seed`` moves ``SEED_STRIDE`` seeds
    on per step and is labelled exploratory unless it stays inside the range.  Raises ``ValueError`` when the
    claim registers no confirmatory range or ``n`` does not fit in it.

    >>> run_seeds((1_000_000, 1_099_999), 0, 27)
    {'seeds': [1000000, 1000026], 'run': 'confirmatory', 'confirmatory_seeds': [1000000, 1099999]}
    >>> run_seeds((1_000_000, 1_099_999), 1, 27)["run"]
    'exploratory'
    """
    if confirmatory is None:
        raise ValueError("the claim registers no confirmatory seed range")
    lo, hi = confirmatory
    if n > hi - lo + 1:
        raise ValueError(f"{n} networks do not fit in the confirmatory seed range [{lo}, {hi}]")
    first = lo + seed * SEED_STRIDE
    last = first + n - 1
    return {"seeds": [first, last], "run": "confirmatory" if lo <= first and last <= hi else "exploratory",
            "confirmatory_seeds": [lo, hi]}


def sample_size(networks: int, level: float, *, fraction_above: float = 0.9, power: float = 0.8) -> int:
    """The networks per condition a preregistered sample-size rule gives: at least :func:`networks_for` at the
    family ``level`` (a condition where ``fraction_above`` of the networks clear the threshold is found
    ``supported`` with probability ``power``), or ``networks`` when more are asked for."""
    return max(int(networks), networks_for(level, fraction_above=fraction_above, power=power))
