"""PWCCA and mean CCA at parity with the references' own outputs, stored in ``tests/fixtures/svcca_parity.npz``
(written by ``tests/fixtures/make_svcca_parity.py`` from google/svcca at 1f3fbf19 and js-d/sim_metric at 42953fbb;
the reference code is not in this repository), each run with 1 and with 2 BLAS threads.

* ``pwcca`` (the paper's formula) equals Ding et al.'s ``sim_metric``; ``pwcca_authors_code`` equals google's
  ``pwcca.py``; the two differ (the negative control: a test that confused them fails);
* ``cca_mean`` averages over min(rank) where both references divide by min(p₁, p₂): equal on full-rank input,
  and in the ratio min(r)/min(p) on a duplicated neuron.

Tolerance (float64, derived): the measures are O(1) values computed through SVDs and QRs of the centred activations,
whose rounding error is at most a small multiple of ε·n·κ, κ the condition number of the centred activations
over their kept singular values (:func:`_tolerance`).  A reference that inverts a rounding-level eigenvalue
(``sim_metric`` on rank-deficient input) is accurate only to about √ε: compared at √ε·n there; google's
``cca_core`` whitens covariances, whose condition number is κ²: its correlations are compared at 16·ε·n·κ².
"""

from pathlib import Path

import numpy as np
import pytest
from test_similarity import blas_threads  # noqa: F401  (the 1- and 2-thread fixture)

from nnclaims.numeric import similarity as S

DATA = np.load(Path(__file__).parent / "fixtures" / "svcca_parity.npz", allow_pickle=False)
SVCCA_COMMIT = "1f3fbf19bd31bd9b76e728ef75842aa1d9a4cd2b"
SIM_METRIC_COMMIT = "42953fbbf58e70e63c488efbae87cff5df317b6a"
KEYS = sorted({k.split("/")[0] for k in DATA.files if "/" in k})
EPS = np.finfo(np.float64).eps


def _case(key):
    return {k.split("/", 1)[1]: DATA[k] for k in DATA.files if k.startswith(key + "/")}


def _ids(key):
    return f"{key}-{str(DATA[key + '/kind']).replace(' ', '-')}"


def _rank(M):
    s = np.linalg.svd(M - M.mean(0), compute_uv=False)
    return s[s > max(M.shape) * EPS * s[0]]


def _tolerance(A, B, power=1):
    """16·ε·n·κ^power, κ the larger condition number of the two centred activations over their kept singular
    values (power 2 for google's ``cca_core``, which works on covariances: their condition number is κ²)."""
    kappa = max(s[0] / s[-1] for s in (_rank(A), _rank(B)))
    return 16 * EPS * A.shape[0] * kappa ** power


def _full_rank(c):
    return all(len(_rank(M)) == M.shape[1] for M in (c["A"], c["B"]))


def test_fixtures_come_from_the_recorded_reference_commits():
    assert str(DATA["svcca_commit"]) == SVCCA_COMMIT and str(DATA["sim_metric_commit"]) == SIM_METRIC_COMMIT
    kinds = {str(DATA[k + "/kind"]) for k in KEYS}
    assert {"gaussian", "relu-like", "scales", "wider A", "duplicated neuron"} <= kinds
    # the reference's recorded failures: its branch for a narrower B reads acts1, and NaN square roots on a
    # rank-deficient covariance
    errors = {str(DATA[k + "/kind"]): str(DATA[k + "/google_error"]) for k in KEYS if str(DATA[k + "/google_error"])}
    assert errors["wider A"].startswith("IndexError")


@pytest.mark.usefixtures("blas_threads")
@pytest.mark.parametrize("key", KEYS, ids=_ids)
def test_pwcca_authors_code_equals_google_svcca(key):
    c = _case(key)
    A, B = c["A"], c["B"]
    ours = S.pwcca_authors_code(A, B)
    if str(c["google_error"]) == "":
        assert ours == pytest.approx(float(c["google_pwcca"]), abs=_tolerance(A, B))
    elif str(c["google_swapped_error"]) == "":  # p₁ > p₂: the reference raises; ours is the reference on (B, A)
        assert A.shape[1] > B.shape[1]
        assert ours == pytest.approx(float(c["google_pwcca_swapped"]), abs=_tolerance(A, B))
    else:  # the reference fails both ways (NaN square root → SVD does not converge); ours clips and is defined
        assert "did not converge" in str(c["google_error"]) and 0.0 <= ours <= 1.0


@pytest.mark.usefixtures("blas_threads")
@pytest.mark.parametrize("key", [k for k in KEYS if _case(k)["A"].shape[1] <= _case(k)["B"].shape[1]], ids=_ids)
def test_pwcca_equals_sim_metric(key):
    """sim_metric weighs by its first argument: the side ``pwcca`` picks when p₁ ≤ p₂."""
    c = _case(key)
    A, B = c["A"], c["B"]
    tol = _tolerance(A, B) if _full_rank(c) else np.sqrt(EPS) * A.shape[0]
    assert S.pwcca(A, B) == pytest.approx(float(c["sim_metric_pwcca"]), abs=tol)


@pytest.mark.parametrize("key", [k for k in KEYS if str(DATA[k + "/kind"]) != "duplicated neuron"], ids=_ids)
def test_pwcca_and_authors_code_differ(key):
    """The two PWCCAs are different numbers on generic data (by more than 1e-3 on every full-rank case here):
    a test comparing ``pwcca`` with google's outputs fails."""
    c = _case(key)
    assert abs(S.pwcca(c["A"], c["B"]) - S.pwcca_authors_code(c["A"], c["B"])) > 1e-3


@pytest.mark.usefixtures("blas_threads")
@pytest.mark.parametrize("key", KEYS, ids=_ids)
def test_cca_mean_convention_against_the_references(key):
    """cca_mean = Σρ / min(rank); the references: Σρ / min(p₁, p₂)."""
    c = _case(key)
    A, B = c["A"], c["B"]
    r, p = min(len(_rank(A)), len(_rank(B))), min(A.shape[1], B.shape[1])
    tol = _tolerance(A, B) if _full_rank(c) else np.sqrt(EPS) * A.shape[0]
    assert S.cca_mean(A, B) * r / p == pytest.approx(float(c["sim_metric_mean_cca"]), abs=tol)
    if str(c["google_error"]) == "":
        rho = c["google_rho"]
        assert S.cca_mean(A, B) * r / p == pytest.approx(rho.sum() / p, abs=_tolerance(A[:, :r], B, power=2))
    if r < p:  # the convention matters: the references are lower by the factor r/p (0.23 here)
        assert S.cca_mean(A, B) - float(c["sim_metric_mean_cca"]) > 0.1
    else:
        assert S.cca_mean(A, B) == pytest.approx(float(c["sim_metric_mean_cca"]), abs=tol)


def test_report_carries_pwcca_authors_code():
    c = _case(KEYS[0])
    report = S.similarity_report(c["A"], c["B"], measures=("pwcca", "pwcca_authors_code"))
    assert report["pwcca_authors_code"] == S.pwcca_authors_code(c["A"], c["B"])
    assert report["pwcca"] != report["pwcca_authors_code"]
