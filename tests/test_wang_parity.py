"""Wang et al.'s subspace match at parity with the authors' code (MeckyWu/subspace-match at
0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c): 100 random and adversarial cases whose answers the reference computed
(``tests/data/make_wang_parity.py``; the reference code is not in this repository)."""

from pathlib import Path

import numpy as np
import pytest

from nnclaims.numeric.subspace import (eps_maximum_match, eps_minimal_match, find_maximal_epsilon,
                                       find_minimal_epsilon)

DATA = np.load(Path(__file__).parent / "data" / "wang_parity.npz", allow_pickle=False)
REFERENCE_COMMIT = "0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c"
KEYS = sorted({k.split("/")[0] for k in DATA.files if "/" in k})


def _case(key):
    return {k.split("/", 1)[1]: DATA[k] for k in DATA.files if k.startswith(key + "/")}


def _ids(key):
    return f"{key}-{str(DATA[key + '/kind']).replace(' ', '-')}"


def test_fixtures_come_from_the_recorded_reference_commit():
    assert str(DATA["commit"]) == REFERENCE_COMMIT
    assert len(KEYS) >= 100
    kinds = {str(DATA[k + "/kind"]) for k in KEYS}
    assert {"near-zero row", "rank-deficient", "duplicated neurons", "at the ε boundary"} <= kinds


@pytest.mark.parametrize("key", KEYS, ids=_ids)
def test_maximum_match_and_epsilons_equal_the_reference(key):
    c = _case(key)
    X, Y, eps = c["X"], c["Y"], float(c["eps"])
    assert eps_maximum_match(X, Y, eps) == (c["max_x"].tolist(), c["max_y"].tolist())
    assert find_maximal_epsilon(X, Y) == pytest.approx(float(c["maximal_epsilon"]), rel=1e-12, abs=1e-15)
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
