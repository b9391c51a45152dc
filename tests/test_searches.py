"""Search layer: planted SAT, planted UNSAT, timeout → unknown, and the independent re-check."""

import pytest

from nnclaims.proofs.search_hessian import (recheck_basis_change, recheck_residual_at_optimum, search_basis_change,
                                   search_residual_at_optimum)
from nnclaims.proofs.searches import recheck_orthogonal_relu, search_orthogonal_relu

pytestmark = pytest.mark.search


def test_search_orthogonal_relu_planted_sat_is_rechecked():
    r = search_orthogonal_relu(denominator=5)
    assert r.status == "found" and r.rechecked is True


def test_search_orthogonal_relu_planted_unsat_is_none():
    # entries in {0, ±1/2, ±1}: the only orthogonal 2×2 matrices are signed permutations
    r = search_orthogonal_relu(denominator=2)
    assert r.status == "none" and r.witness is None


def test_search_timeout_is_unknown_never_none():
    r = search_orthogonal_relu(denominator=5, timeout=1e-6)
    assert r.status in ("unknown", "found")  # a solver may answer before the first timer tick
    assert r.status != "none"


def test_recheck_rejects_bad_witnesses():
    not_orthogonal = {"Q": [["1", "1"], ["0", "1"]], "Z": [["1", "0"]]}
    commuting = {"Q": [["0", "1"], ["1", "0"]], "Z": [["1", "-1"]]}
    assert not recheck_orthogonal_relu(not_orthogonal)
    assert not recheck_orthogonal_relu(commuting)


from nnclaims.proofs.search_equivalence import NetworkFormatError, search_equivalent, validate_network  # noqa: E402
from nnclaims.proofs.search_random import (  # noqa: E402
    search_constant_gradient_entries,
    search_constant_init_breaks,
    search_input_rows_unchanged,
    search_naive_chain_rule,
)

A = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": None}
A_PERMUTED = {"weights": [[[0, 1], [1, 0]], [[1, 1]]], "biases": None}
A_SHIFTED = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": [[0, 0], [1]]}


def test_equivalent_proves_permuted_network_equal():
    assert search_equivalent(A, A_PERMUTED, box=3).status == "none"


def test_equivalent_finds_difference_and_rechecks():
    r = search_equivalent(A, A_SHIFTED, box=3)
    assert r.status == "found" and r.rechecked


def test_equivalent_gap_and_timeout():
    assert search_equivalent(A, A_SHIFTED, box=3, gap=1).status == "none"  # outputs differ by exactly 1
    assert search_equivalent(A, A_SHIFTED, box=3, timeout=1e-6).status in ("unknown", "found")


@pytest.mark.parametrize("bad, msg", [
    ({"weights": []}, "non-empty 'weights'"),
    ({"weights": [[[1, 2], [3]]]}, "rows of different lengths"),
    ({"weights": [[[1, float("nan")]]]}, "not a finite number"),
    ({"weights": [[[1, 2]], [[1, 2]]]}, "does not take the 1 outputs"),
    ({"weights": [[[1, 2]]], "biases": [[1, 2]]}, "must have 1 entries"),
])
def test_validate_network_rejects_bad_files(bad, msg):
    with pytest.raises(NetworkFormatError, match=msg):
        validate_network(bad)


@pytest.mark.parametrize("search", [search_constant_init_breaks, search_constant_gradient_entries,
                                    search_input_rows_unchanged, search_naive_chain_rule])
def test_random_searches_find_rechecked_witnesses_deterministically(search):
    r1, r2 = search(seed=3), search(seed=3)
    assert r1.status == "found" and r1.rechecked is True
    assert r1.witness == r2.witness  # same seed, same witness


def test_random_search_rechecks_reject_non_witnesses():
    from nnclaims.proofs.search_random import (
        recheck_gradient_entries_differ,
        recheck_naive_chain_rule,
        recheck_unit_gradients_differ,
    )

    # all units active: the naive chain rule is right there
    assert not recheck_naive_chain_rule({"W": [[1, 0], [0, 1]], "h": [1, 1], "v": [1, 1]})
    # a pre-activation at the kink is never accepted
    assert not recheck_naive_chain_rule({"W": [[1, 0], [0, 1]], "h": [0, -1], "v": [1, 1]})
    # symmetric outgoing weights: the units' gradients agree
    sym = {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "W2": [[2], [2]]}
    assert not recheck_unit_gradients_differ(sym)
    # d = 1: a single row, so the entries of ∇W1 (identical columns) are all equal
    assert not recheck_gradient_entries_differ(sym)


def test_random_search_timeout_is_unknown():
    r = search_constant_init_breaks(seed=0, timeout=0.0)
    assert r.status == "unknown" and "time limit" in r.note


@pytest.mark.search
def test_basis_change_planted_sat_and_unsat():
    """hessian.layer-orthogonal-basis: with denominators 5 an eigenbasis change that alters the outputs
    exists (3-4-5 rotation); with denominators 2 the only rational orthogonal matrices are signed
    permutations, which the search excludes, so it must be UNSAT."""
    r = search_basis_change()
    assert r.status == "found" and r.rechecked
    bad = dict(r.witness, w2=[[0], [0]])  # zero output weights: both networks output 0, re-check must fail
    assert not recheck_basis_change(bad)
    assert search_basis_change(denominator=2).status == "none"
    assert search_basis_change(timeout=0.05, points=3).status == "unknown"  # far from settled in 50 ms


@pytest.mark.search
def test_residual_at_optimum_planted_sat_and_recheck():
    r = search_residual_at_optimum()
    assert r.status == "found" and r.rechecked
    assert not recheck_residual_at_optimum(dict(r.witness, a=0))  # f'' = 0: the second term vanishes
