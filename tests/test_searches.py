"""The equivalence search (same function on a box?): planted SAT and UNSAT, validation of network files."""

import pytest

from nnclaims.proofs.search_equivalence import NetworkFormatError, search_equivalent, validate_network

pytestmark = pytest.mark.search

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
