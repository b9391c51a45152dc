"""Search layer: planted SAT, planted UNSAT, timeout → unknown, and the independent re-check."""

import pytest

from proofs.searches import recheck_orthogonal_relu, search_orthogonal_relu

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
