"""Wang et al.'s subspace match at parity with the authors' code (MeckyWu/subspace-match at
0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c): 100 random and adversarial cases whose answers the reference computed
(``tests/data/make_wang_parity.py``; the reference code is not in this repository), with 1 and with 2 BLAS threads.

``find_maximal_epsilon`` is a relative least-squares residual, zero in exact arithmetic when the spans coincide
(duplicated neurons, rank-deficient layers): it is compared with an absolute tolerance derived from the case
(:func:`_zero_tolerance`), never at a relative one — 4.3e-14 against the reference's 6.5e-15 is rounding."""

from pathlib import Path

import numpy as np
import pytest

from test_similarity import blas_threads  # noqa: F401  (the 1- and 2-thread fixture)

from nnclaims.numeric.subspace import (eps_maximum_match, eps_minimal_match, find_maximal_epsilon,
                                       find_minimal_epsilon)

DATA = np.load(Path(__file__).parent / "data" / "wang_parity.npz", allow_pickle=False)
REFERENCE_COMMIT = "0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c"
KEYS = sorted({k.split("/")[0] for k in DATA.files if "/" in k})
EPS = np.finfo(np.float64).eps


def _zero_tolerance(X, Y):
    """16·ε·max(rows, columns)·κ: the rounding of a relative residual computed by an SVD least squares
    (``lstsq``) on these rows, κ the larger condition number of X and Y — each row scaled to norm 1 (a residual
    relative to the row's norm, onto a span, does not depend on the rows' scales; all-zero rows, norm ≤ 1e-16, are
    dropped as the match drops them) — over the singular values lstsq keeps."""
    def kappa(Z):
        Z = Z[np.linalg.norm(Z, axis=1) > 1e-16]
        s = np.linalg.svd(Z / np.linalg.norm(Z, axis=1, keepdims=True), compute_uv=False)
        s = s[s > EPS * max(Z.shape) * s[0]]
        return s[0] / s[-1]

    return 16 * EPS * max(len(X) + len(Y), X.shape[1]) * max(kappa(X), kappa(Y))


def _case(key):
    return {k.split("/", 1)[1]: DATA[k] for k in DATA.files if k.startswith(key + "/")}


def _ids(key):
    return f"{key}-{str(DATA[key + '/kind']).replace(' ', '-')}"


def test_fixtures_come_from_the_recorded_reference_commit():
    assert str(DATA["commit"]) == REFERENCE_COMMIT
    assert len(KEYS) >= 100
    kinds = {str(DATA[k + "/kind"]) for k in KEYS}
    assert {"near-zero row", "rank-deficient", "duplicated neurons", "at the ε boundary"} <= kinds


@pytest.mark.usefixtures("blas_threads")
@pytest.mark.parametrize("key", KEYS, ids=_ids)
def test_maximum_match_and_epsilons_equal_the_reference(key):
    c = _case(key)
    X, Y, eps = c["X"], c["Y"], float(c["eps"])
    assert eps_maximum_match(X, Y, eps) == (c["max_x"].tolist(), c["max_y"].tolist())
    assert find_maximal_epsilon(X, Y) == pytest.approx(float(c["maximal_epsilon"]), rel=0, abs=_zero_tolerance(X, Y))
    e, ix, iy = find_minimal_epsilon(X, Y, 0.0, float(c["minimal_epsilon_hi"]), min_size=1)
    assert e == float(c["minimal_epsilon"])
    assert (ix, iy) == (c["minimal_epsilon_x"].tolist(), c["minimal_epsilon_y"].tolist())


@pytest.mark.parametrize("key", [k for k in KEYS if int(DATA[k + "/v"]) >= 0], ids=_ids)
def test_minimal_matches_equal_the_reference(key):
    c = _case(key)
    X, Y, eps, v = c["X"], c["Y"], float(c["eps"]), int(c["v"])
    assert eps_minimal_match(X, Y, 0, v, eps) == (c["min_x"].tolist(), c["min_y"].tolist())
    rng = np.random.RandomState(int(key))  # the reference drew from np.random after np.random.seed(case)
    assert eps_minimal_match(X, Y, 0, v, eps, randomized=True, rng=rng) == (c["rmin_x"].tolist(),
                                                                          c["rmin_y"].tolist())


def test_issue_17_old_zero_threshold_flips_near_zero_cases():
    """The project's former threshold (rows of norm ≤ 1e-12 dropped) disagrees with the reference on some
    near-zero cases; the default now is the reference's 1e-16, and ``zero=`` keeps the old reading available."""
    flipped = []
    for key in KEYS:
        c = _case(key)
        ref = (c["max_x"].tolist(), c["max_y"].tolist())
        if eps_maximum_match(c["X"], c["Y"], float(c["eps"]), zero=1e-12) != ref:
            flipped.append(key)
    assert flipped and all(str(DATA[k + "/kind"]) == "near-zero row" for k in flipped)


def test_issue_17_a_tiny_row_flips_the_similarity_between_zero_and_one():
    x = np.array([[1e-14, 0.0]])  # a neuron that is almost, but not exactly, dead
    y = np.array([[3e-14, 0.0]])
    assert eps_maximum_match(x, y, 0.1) == ([0], [0])  # reference: both rows count, they match: similarity 1
    assert eps_maximum_match(x, y, 0.1, zero=1e-12) == ([], [])  # old threshold: both dropped: similarity 0


def test_zero_tolerance_is_tight_enough_to_fail():
    """Control: the derived absolute tolerance is far below the smallest nonzero maximal ε of the fixtures, so a
    wrong ε (off by 1e-8) fails the comparison."""
    worst = max(_zero_tolerance(_case(k)["X"], _case(k)["Y"]) for k in KEYS)
    assert worst < 1e-10
    c = _case("073")
    assert abs(find_maximal_epsilon(c["X"], c["Y"]) + 1e-8 - float(c["maximal_epsilon"])) > _zero_tolerance(c["X"], c["Y"])
