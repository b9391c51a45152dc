"""Subspace match: exact and ε versions, the official worked example, invariances, Johnson's example,
and the zero-match search (planted SAT / UNSAT / timeout, independent re-check)."""

import copy
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnclaims.numeric.subspace import eps_maximum_match, eps_minimal_match, eps_similarity, linear_cka
from nnclaims.proofs.search_subspace import (data_orbits, first_layer_table, recheck_zero_match, search_zero_match,
                                     sweep_zero_match)
from nnclaims.proofs.subspace import all_matches, johnson_readings, maximum_match, minimal_match

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
@pytest.mark.parametrize("method", ["split", "whole"])
def test_zero_match_timeout_is_unknown(method):
    # UNSAT (the 2-point argument above) but far from settled in 0.3 s: must be unknown, never none
    r = search_zero_match(max_weight=2, isomorphic=True, nonzero_output=True, method=method, timeout=0.3)
    assert r.status == "unknown"


def test_zero_match_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="must be >= 1"):
        search_zero_match(points=0)
    with pytest.raises(ValueError, match="do not fit"):
        search_zero_match(inputs=1, points=4)
    with pytest.raises(ValueError, match="method"):
        search_zero_match(method="fast")


def _brute_orbits(d, R, P):
    """Orbits of P-point sets under signed coordinate permutations, by closing each set under the group."""
    pts = list(itertools.product(range(-R, R + 1), repeat=d))
    group = [(perm, sg) for perm in itertools.permutations(range(d)) for sg in itertools.product((1, -1), repeat=d)]
    seen, orbits = set(), []
    for S in itertools.combinations(pts, P):
        if frozenset(S) in seen:
            continue
        orbit = {frozenset(tuple(sg[i] * x[perm[i]] for i in range(d)) for x in S) for perm, sg in group}
        seen |= orbit
        orbits.append(orbit)
    return orbits


@pytest.mark.parametrize("d,R,P", [(1, 2, 2), (2, 1, 2), (2, 1, 3), (2, 2, 2), (3, 1, 2)])
def test_data_orbits_one_representative_per_orbit(d, R, P):
    reps = [frozenset(map(tuple, X)) for X in data_orbits(d, R, P)]
    orbits = _brute_orbits(d, R, P)
    assert len(reps) == len(set(reps)) == len(orbits)
    assert all(sum(r in o for r in reps) == 1 for o in orbits)


def test_first_layer_table_is_every_activation_vector():
    X = [[-1, 2], [1, 1], [0, -2]]
    for biases in (False, True):
        table = first_layer_table(X, 1, biases)
        for wb in itertools.product(range(-1, 2), repeat=3 if biases else 2):
            w, b = wb[:2], (wb[2] if biases else 0)
            assert tuple(max(0, w[0] * x[0] + w[1] * x[1] + b) for x in X) in table
        for vec, (w, b) in table.items():  # and each entry's preimage gives it
            assert vec == tuple(max(0, w[0] * x[0] + w[1] * x[1] + b) for x in X)


@pytest.mark.search
@pytest.mark.parametrize("kw", [
    dict(points=1), dict(points=2), dict(points=2, nonzero_output=True), dict(points=2, no_zero_neuron=True),
    dict(points=2, isomorphic=True, nonzero_output=True), dict(points=2, output_activation="relu", nonzero_output=True),
    dict(points=2, hidden=(1,), nonzero_output=True), dict(points=2, biases=True, nonzero_output=True),
    dict(points=2, hidden=(2, 2), hidden_layer=2, nonzero_output=True), dict(points=3, outputs=3, isomorphic=True,
                                                                             nonzero_output=True),
    dict(inputs=1, points=2, hidden=(1,), outputs=1, nonzero_output=True, no_zero_neuron=True),
])
def test_zero_match_methods_agree(kw):
    """Bit-vectors, symmetry breaking, the output reduction and the data split must not change what is
    found or proved impossible (against the naive encoding, which has none of them)."""
    naive = search_zero_match(method="naive", timeout=60, **kw)
    assert naive.status in ("found", "none")
    for method in ("whole", "split"):
        r = search_zero_match(method=method, timeout=60, **kw)
        assert r.status == naive.status, method
        if r.status == "found":
            assert r.rechecked and naive.rechecked
            assert len(r.witness["net_a"]["weights"][-1]) == kw.get("outputs", 2)  # padded to the full size


@pytest.mark.search
def test_zero_match_jobs_do_not_change_the_answer():
    kw = dict(points=3, isomorphic=True, nonzero_output=True, max_weight=1)
    one, two = search_zero_match(jobs=1, **kw), search_zero_match(jobs=2, **kw)
    assert one.status == two.status == "found" and one.witness == two.witness


@pytest.mark.search
def test_zero_match_sweep_walks_upward():
    rs = sweep_zero_match(max_points=3, max_weight=1, hidden=2, isomorphic=True, nonzero_output=True)
    order = [(r.bounds["max_weight"], r.bounds["hidden"][0], r.bounds["points"]) for r in rs]
    assert order == sorted(order) and len(order) == 6
    # width 1: both hidden spans are lines and the equal nonzero outputs lie on both, so they coincide
    assert all(r.status == "none" for r in rs if r.bounds["hidden"] == [1])
    found = [r for r in rs if r.status == "found"]
    assert found and found[0].rechecked and all(r.status == "none" for r in rs[:rs.index(found[0])])
