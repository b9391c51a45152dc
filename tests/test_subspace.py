"""Subspace match: exact and ε versions, the official worked example, invariances, Johnson's example,
and the zero-match search (planted SAT / UNSAT / timeout, independent re-check)."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.subspace import eps_maximum_match, eps_minimal_match, eps_similarity, linear_cka
from proofs.search_subspace import recheck_zero_match, search_zero_match
from proofs.subspace import all_matches, johnson_readings, maximum_match, minimal_match

OFFICIAL_X = np.array([[1, 0.5, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0]])
OFFICIAL_Y = np.array([[0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0], [0.5, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0],
                       [0, 0, 0, 0, 1, 0]])


def test_eps_maximum_match_official_example():
    assert eps_maximum_match(OFFICIAL_X, OFFICIAL_Y, 0.1) == ([0, 1, 2, 3], [1, 2, 3, 4])


def test_eps_minimal_match_official_example():
    assert eps_minimal_match(OFFICIAL_X, OFFICIAL_Y, 0, 0, 0.1) == ([0, 1], [1, 2])


def test_exact_match_official_example_agrees_with_eps_zero():
    from fractions import Fraction

    ex = [[Fraction(v).limit_denominator() for v in r] for r in OFFICIAL_X]
    ey = [[Fraction(v).limit_denominator() for v in r] for r in OFFICIAL_Y]
    assert maximum_match(ex, ey) == eps_maximum_match(OFFICIAL_X, OFFICIAL_Y, 1e-9)
    assert minimal_match(ex, ey, 0, 0) == ([0, 1], [1, 2])


small_rows = st.lists(st.lists(st.integers(-2, 2), min_size=3, max_size=3), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(small_rows, small_rows)
def test_maximum_match_is_union_of_all_matches(ZX, ZY):
    ms = all_matches(ZX, ZY)
    X, Y = maximum_match(ZX, ZY)
    assert X == sorted({i for m in ms for i in m[0]})
    assert Y == sorted({j for m in ms for j in m[1]})


@settings(max_examples=30, deadline=None)
@given(small_rows, st.data())
def test_similarity_invariant_under_permutation_and_positive_scaling(ZX, data):
    ZX = np.array(ZX, dtype=float)
    perm = data.draw(st.permutations(range(len(ZX))))
    scale = np.array(data.draw(st.lists(st.floats(0.5, 3.0), min_size=len(ZX), max_size=len(ZX))))
    ZY = ZX[list(perm)] * scale[:, None]
    nonzero = (np.abs(ZX).sum(1) > 0).sum()
    assert eps_similarity(ZX, ZY, 1e-6) == pytest.approx(nonzero / len(ZX))


def test_orthogonal_mixing_need_not_preserve_match():
    Z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # inputs × neurons
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    relu = lambda t: np.maximum(t, 0)
    assert eps_similarity(relu(Z).T, relu(Z).T, 1e-9) == 1.0
    assert eps_similarity(relu(Z).T, relu(Z @ Q).T, 1e-9) < 1.0


def test_linear_cka_identity_and_rotation_invariance():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 4))
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    assert linear_cka(A, A) == pytest.approx(1.0)
    assert linear_cka(A, A @ Q) == pytest.approx(1.0)


def test_johnson_example_every_reading_contradicts_it():
    for r in johnson_readings():
        assert not r["outputs_identical"]
        assert r["hidden_max_match"] == ([0, 1], [0])
        assert r["hidden_similarity"] == "3/4"


@pytest.mark.search
def test_zero_match_planted_sat_and_recheck():
    r = search_zero_match(nonzero_output=True)
    assert r.status == "found" and r.rechecked
    bad = copy.deepcopy(r.witness)
    bad["net_b"] = copy.deepcopy(bad["net_a"])  # identical networks: full match, re-check must fail
    assert not recheck_zero_match(bad, nonzero_output=True)


@pytest.mark.search
def test_zero_match_planted_unsat():
    # one data point: activation vectors are scalars, any two nonzero ones span R — always a match
    assert search_zero_match(points=1, nonzero_output=True).status == "none"
    # two points, linear output, isomorphic: identical nonzero outputs lie on both hidden lines
    assert search_zero_match(points=2, isomorphic=True, nonzero_output=True).status == "none"


@pytest.mark.search
def test_zero_match_timeout_is_unknown():
    r = search_zero_match(points=3, max_weight=3, hidden=(3,), isomorphic=True, nonzero_output=True, timeout=0.05)
    assert r.status in ("unknown", "found")


def test_zero_match_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="must be >= 1"):
        search_zero_match(points=0)


@pytest.mark.search
@pytest.mark.parametrize("kw", [
    dict(points=1), dict(points=2), dict(points=2, nonzero_output=True), dict(points=2, no_zero_neuron=True),
    dict(points=2, isomorphic=True, nonzero_output=True), dict(points=2, output_activation="relu", nonzero_output=True),
    dict(points=2, hidden=(1,), nonzero_output=True),
])
def test_zero_match_suite_encoding_agrees_with_naive(kw):
    """Symmetry breaking and bit-vectors must not change what is found / proved impossible."""
    naive = search_zero_match(encoding="int", symmetry_breaking=False, timeout=60, **kw)
    suite = search_zero_match(timeout=60, **kw)
    assert naive.status == suite.status and naive.status in ("found", "none")
    if suite.status == "found":
        assert suite.rechecked and naive.rechecked
