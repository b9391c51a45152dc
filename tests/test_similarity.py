"""Similarity measures: cross-checked against independent implementations to 1e-8, their invariances (numeric
beside the proofs of :mod:`nnclaims.proofs.similarity`), and the invariance table.

Independent implementations (written here, separately from ``numeric/similarity.py``): Kornblith et al.'s
Gram-space CKA (``gram_linear``, ``gram_rbf``, ``center_gram``, ``cka`` of their public notebook, 2019) —
the package computes CKA in feature space; SciPy's ``subspace_angles`` for canonical correlations and
``orthogonal_procrustes`` for the Procrustes distance; SVCCA as Raghu et al. describe it (SVD truncation, then
CCA) and PWCCA as Morcos et al.'s *formula* states it (QR of the canonical variates, weights from |⟨variate,
centred neuron⟩|) — google/svcca's ``pwcca.py`` computes another number: the parity with the authors' own outputs
is in ``tests/test_similarity_parity.py``.  The parity checks run with 1 and with 2 BLAS threads
(:func:`blas_threads`)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from threadpoolctl import threadpool_limits

from nnclaims.numeric import similarity as S

TOL = 1e-8
EPS = np.finfo(np.float64).eps


@pytest.fixture(params=[1, 2], ids=lambda t: f"blas={t}")
def blas_threads(request):
    """Run the test body with ``request.param`` BLAS/OpenMP threads (threadpoolctl) and torch intra-op threads: the
    results must not depend on the thread count beyond the stated tolerances."""
    old = torch.get_num_threads()
    with threadpool_limits(limits=request.param):
        torch.set_num_threads(request.param)
        try:
            yield request.param
        finally:
            torch.set_num_threads(old)


# --- independent implementations ------------------------------------------------------------------------------

def gram_linear(x):
    return x.dot(x.T)


def gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    return gram_x.ravel().dot(gram_y.ravel()) / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def cca_angles(A, B):
    A, B = A - A.mean(0), B - B.mean(0)
    return np.sort(np.cos(scipy.linalg.subspace_angles(A, B)))[::-1]


def svcca_reference(A, B, keep=0.99):
    def reduce(M):
        M = M - M.mean(0)
        U, s, _ = np.linalg.svd(M, full_matrices=False)
        s = s[s > max(M.shape) * np.finfo(float).eps * s[0]]
        k = int(np.argmax(np.cumsum(s ** 2) / np.sum(s ** 2) >= keep - 1e-12)) + 1
        return U[:, :k] * s[:k]
    return cca_angles(reduce(A), reduce(B)).mean()


def pwcca_reference(A, B):
    """Morcos et al.'s weighting: orthonormalise the canonical directions of the smaller side (QR) and weight each
    by the summed |projection| of that side's (centred) neurons."""
    A, B = A - A.mean(0), B - B.mean(0)
    Ua, sa, _ = np.linalg.svd(A, full_matrices=False)
    Ub, sb, _ = np.linalg.svd(B, full_matrices=False)
    Ua = Ua[:, sa > max(A.shape) * np.finfo(float).eps * sa[0]]
    Ub = Ub[:, sb > max(B.shape) * np.finfo(float).eps * sb[0]]
    u, rho, vt = np.linalg.svd(Ua.T @ Ub)
    k = min(Ua.shape[1], Ub.shape[1])
    if A.shape[1] <= B.shape[1]:
        dirns, acts = Ua @ u[:, :k], A
    else:
        dirns, acts = Ub @ vt[:k].T, B
    P, _ = np.linalg.qr(dirns)
    weights = np.sum(np.abs(P.T @ acts), axis=1)
    return float(np.sum(weights / weights.sum() * rho[:k]))


def procrustes_reference(A, B):
    A, B = A - A.mean(0), B - B.mean(0)
    A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    p = max(A.shape[1], B.shape[1])
    A, B = np.pad(A, ((0, 0), (0, p - A.shape[1]))), np.pad(B, ((0, 0), (0, p - B.shape[1])))
    R, _ = scipy.linalg.orthogonal_procrustes(A, B)
    return np.linalg.norm(A @ R - B)


SHAPES = [(40, 5, 3), (60, 8, 8), (25, 3, 7), (100, 12, 4), (12, 20, 6)]


def _pair(seed, n, p1, p2):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, p1)) * rng.uniform(0.2, 3, size=p1)
    B = np.tanh(A @ rng.standard_normal((p1, p2))) + 0.3 * rng.standard_normal((n, p2)) + 2.0
    return A, B


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_measures_agree_with_independent_implementations(seed, shape, blas_threads):
    A, B = _pair(seed, *shape)
    assert S.linear_cka(A, B) == pytest.approx(cka(gram_linear(A), gram_linear(B)), abs=TOL)
    assert S.debiased_linear_cka(A, B) == pytest.approx(cka(gram_linear(A), gram_linear(B), debiased=True), abs=TOL)
    assert S.rbf_cka(A, B) == pytest.approx(cka(gram_rbf(A), gram_rbf(B)), abs=TOL)
    if not S.cca_defined(*shape):  # a side spans every centred vector: undefined (NaN), not a bare 1.0
        assert np.isnan(S.cca_mean(A, B)) and np.isnan(S.pwcca(A, B)) and np.isnan(S.pwcca_authors_code(A, B))
    if shape[0] > shape[1] + shape[2]:  # with p ≥ n every canonical correlation is 1 up to rounding
        assert S.canonical_correlations(A, B) == pytest.approx(cca_angles(A, B), abs=TOL)
        assert S.cca_mean(A, B) == pytest.approx(cca_angles(A, B).mean(), abs=TOL)
        assert S.svcca(A, B) == pytest.approx(svcca_reference(A, B), abs=TOL)
        assert S.pwcca(A, B) == pytest.approx(pwcca_reference(A, B), abs=TOL)
    assert S.procrustes(A, B) == pytest.approx(procrustes_reference(A, B), abs=TOL)


def test_measures_of_identical_and_of_unrelated_representations():
    A, _ = _pair(0, 200, 6, 6)
    B = np.random.default_rng(9).standard_normal((200, 6))
    for name in ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "pwcca_authors_code"):
        f = S.MEASURES[name]
        assert f(A, A) == pytest.approx(1.0, abs=TOL), name
        assert f(A, B) < 0.5, name  # the negative control: unrelated noise is not similar
    assert S.procrustes(A, A) < TOL and S.procrustes(A, B) > 1.0
    assert S.max_match_similarity(A, A, 0.1) == 1.0 and S.max_match_similarity(A, B, 0.1) == 0.0


def test_undefined_measures_are_nan():
    A = np.ones((10, 3))
    B = np.random.default_rng(0).standard_normal((10, 2))
    for name in ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "pwcca_authors_code",
                 "procrustes"):
        assert np.isnan(S.MEASURES[name](A, B)), name
    assert np.isnan(S.debiased_linear_cka(B[:3], B[:3]))  # n < 4


def test_simple_matches_of_a_permuted_copy_are_one_to_one():
    A, _ = _pair(1, 30, 5, 5)
    out = S.simple_matches(A, A[:, [2, 0, 1, 4, 3]] * 3.0, 1e-8)
    assert out["computed"] and out["count"] == 5 and out["one_to_one"] == 5 and out["sizes"] == {"1+1": 5}
    assert [[0], [1]] in out["matches"]  # neuron 0 of A is neuron 1 of B
    mixed = S.simple_matches(A, A @ np.linalg.qr(np.random.default_rng(0).standard_normal((5, 5)))[0], 1e-8)
    assert mixed["one_to_one"] == 0 and mixed["count"] >= 1  # a rotation leaves one 5+5 match, no 1+1
    capped = S.simple_matches(A, A, 1e-8, limit=4)
    assert capped == {"maximum_match": [5, 5], "computed": False, "reason": "the maximum match has 10 neurons (limit 4)"}


# --- shared factorisations (issue 17, item 6: speed) -----------------------------------------------------------

SHARED = ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "procrustes")
SAME = 1e-12  # relative: the report and the single measures run the same private functions on the same factors


def _defined(shape):
    return SHARED if S.cca_defined(*shape) else tuple(m for m in SHARED if m not in ("cca_mean", "pwcca"))


def _relative_gap(report, A, B, measures=SHARED):
    return max(abs(report[m] - S.MEASURES[m](A, B)) / max(abs(report[m]), 1e-300) for m in measures)


@pytest.mark.parametrize("shape", SHAPES + [(30, 7, 7)], ids=lambda s: "x".join(map(str, s)))
def test_similarity_report_with_shared_factors_equals_single_measures(shape, blas_threads):
    A, B = _pair(5, *shape)
    report = S.similarity_report(A, B, epsilon=0.3)
    assert _relative_gap(report, A, B, _defined(shape)) <= SAME
    assert report["max_match_similarity"] == S.max_match_similarity(A, B, 0.3)
    assert report["pwcca_authors_code"] == (None if not S.cca_defined(*shape) else S.pwcca_authors_code(A, B))
    Fa, Fb = S.factorise(A), S.factorise(B)  # the single measures also take the factors
    for m in _defined(shape):
        assert S.MEASURES[m](Fa, Fb) == pytest.approx(report[m], rel=SAME, abs=1e-15), m
    # negative control: the same comparison against B perturbed by 1e-6 fails for every measure (but the CCAs when
    # A's centred columns span every centred vector: then every canonical correlation is 1, whatever B)
    C = B + 1e-6 * np.random.default_rng(1).standard_normal(B.shape)
    for m in SHARED if shape[0] > shape[1] + 1 and S.cca_defined(*shape) else (
            "linear_cka", "debiased_linear_cka", "rbf_cka", "procrustes"):
        assert abs(report[m] - S.MEASURES[m](A, C)) > SAME * abs(report[m]), m


def test_factorise_spans_the_centred_columns_with_its_rank():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 6))  # rank 3, six neurons
    F = S.factorise(A)
    U = F.basis @ F.rotation
    assert U.shape == (40, 3) and F.live == 6
    assert np.abs(U.T @ U - np.eye(3)).max() < 1e-13
    assert np.abs(U @ (U.T @ F.centred) - F.centred).max() < 1e-12  # the columns lie in span U
    assert np.abs(U.T @ F.centred - F.singular[:, None] * F.right).max() < 1e-12
    assert S.factorise(A, spectral=False).basis is None


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 50])
def test_median_of_symmetric_matrix_from_its_upper_triangle(n):
    from nnclaims.numeric.similarity import _median_symmetric

    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 3))
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    D[rng.random((n, n)) < 0.2] = 0.0
    D = np.triu(D, 1) + np.triu(D, 1).T  # symmetric, zero diagonal, with ties at 0
    assert _median_symmetric(D) == np.median(D)
    if n >= 4:  # negative control: a nonzero diagonal breaks the helper's assumption, and the test sees it
        D[np.diag_indices(n)] = D.max() + 1
        assert _median_symmetric(D) != np.median(D)


def test_procrustes_distance_stays_near_zero_for_a_rotated_copy(blas_threads):
    """The distance of a rotated, rescaled, shifted copy is 0 in exact arithmetic: compared with an absolute
    tolerance.  The explicit difference ‖ÂW − B̂‖_F carries rounding of order ε per product term: with p-term dot
    products on entries of size 1/√(np), and W = UVᵀ from the SVD of A_cᵀB_c accurate to ε·κ² (κ the condition
    number of A_c), the bound is 16·ε·p·κ² (1.4e-12 here).  The closed form √(2 − 2‖ÂᵀB̂‖_*) is the square root of
    a rounding error of the same order, so only its square root bound holds — why it is not used.  Control: a copy
    perturbed by 1e-6 is farther than the bound."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((500, 64))
    Q = np.linalg.qr(rng.standard_normal((64, 64)))[0]
    s = np.linalg.svd(A - A.mean(0), compute_uv=False)
    zero = 16 * EPS * A.shape[1] * (s[0] / s[-1]) ** 2
    assert zero < 1e-11
    assert S.procrustes(A, 3 * A @ Q + 1) <= zero
    Ac, Bc = A - A.mean(0), (A @ Q) - (A @ Q).mean(0)
    nuclear = np.linalg.svd((Ac / np.linalg.norm(Ac)).T @ (Bc / np.linalg.norm(Bc)), compute_uv=False).sum()
    assert np.sqrt(abs(2 - 2 * nuclear)) <= np.sqrt(zero)  # the closed form: only a square-root bound
    assert S.procrustes(A, 3 * A @ Q + 1 + 1e-6 * rng.standard_normal(A.shape)) > 100 * zero  # control


def test_cca_measures_are_undefined_with_too_few_points():
    """A side with at least n − 1 neurons spans every centred vector: every canonical correlation is 1 whatever
    the networks (shown below), so cca_mean and both PWCCAs are NaN (null in the JSON), with a warning.  Control:
    the same networks on n > p + 1 points are defined and warn nothing."""
    rng = np.random.default_rng(7)
    A, B = rng.standard_normal((10, 9)), rng.standard_normal((10, 3))  # unrelated, n = p₁ + 1
    assert S.canonical_correlations(A, B) == pytest.approx(np.ones(3), abs=1e-12)  # why: 1 whatever B
    report = S.similarity_report(A, B)
    for m in ("cca_mean", "pwcca", "pwcca_authors_code"):
        assert report[m] is None and np.isnan(S.MEASURES[m](A, B)), m
    assert report["linear_cka"] is not None  # the other measures stay defined
    (warning,) = S.similarity_warnings(10, 9, 3)
    assert "10 points for 9 neurons" in warning and "undefined" in warning
    A, B = rng.standard_normal((50, 9)), rng.standard_normal((50, 3))  # control: enough points
    report = S.similarity_report(A, B)
    assert all(report[m] is not None and report[m] < 0.6 for m in ("cca_mean", "pwcca", "pwcca_authors_code"))
    assert S.similarity_warnings(50, 9, 3) == []
    assert S.similarity_warnings(10, 9, 3, measures=("linear_cka",)) == []  # only for the CCA measures chosen
    (inflated,) = S.similarity_warnings(12, 6, 6)  # 6 + 6 > 11: one correlation forced to 1
    assert "at least 1 canonical correlations are 1" in inflated


# --- invariances, numerically ------------------------------------------------------------------------------

def _transformed(name, A, rng):
    p = A.shape[1]
    if name == "orthogonal":
        return A @ np.linalg.qr(rng.standard_normal((p, p)))[0]
    if name == "isotropic scaling":
        return -2.5 * A
    if name == "invertible linear":
        return A @ (rng.standard_normal((p, p)) + 3 * np.eye(p))
    if name == "permutation":
        return A[:, rng.permutation(p)]
    return A + rng.standard_normal(p)


@pytest.mark.parametrize("transform", ["orthogonal", "isotropic scaling", "invertible linear", "permutation", "shift"])
def test_numeric_invariances_follow_the_table(transform):
    """Every ✓ cell holds to 1e-8 on random data; every ✗ cell changes the measure (its negative control)."""
    from nnclaims.proofs.similarity import INVARIANT, MEASURES

    rng = np.random.default_rng(3)
    A, B = _pair(4, 80, 6, 6)  # equal widths: PWCCA weighs by A's neurons (A on a tie)
    A = np.maximum(A, 0) + 0.1  # positive activations, so a shift changes the neurons' spans
    for measure in MEASURES:
        f = (lambda X, Y: S.max_match_similarity(X, Y, 0.3)) if measure == "max_match_similarity" else S.MEASURES[measure]
        B_ = A[:, :3] * 2 if measure == "max_match_similarity" else B  # half of A's neurons: similarity 2/3
        before, after = f(A, B_), f(_transformed(transform, A, rng), B_)
        if transform in INVARIANT[measure]:
            assert after == pytest.approx(before, abs=TOL), measure
        else:
            assert abs(after - before) > 1e-3, measure


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
@pytest.mark.symbolic
def test_invariance_table_is_proved_and_in_the_docs():
    from nnclaims.proofs.similarity import INVARIANT, invariance_table, render_table

    table = invariance_table()
    for (measure, transform), proof in table.items():
        want = "proved" if transform in INVARIANT[measure] else "refuted"
        assert proof.outcome == want, (measure, transform, [s.description for s in proof.steps if not s.holds])
        assert proof.steps and all(s.holds for s in proof.steps)
    page = (Path(__file__).parents[1] / "docs" / "similarity.md").read_text(encoding="utf-8")
    assert render_table(table) in page


def test_invariance_chains_can_fail():
    """The Gram chain that proves orthogonal invariance does not go through for a general linear map."""
    import sympy as sp

    from nnclaims.proofs.record import Derivation
    from nnclaims.proofs.similarity import X, p

    T = sp.MatrixSymbol("T", p, p)
    d = Derivation("demo", "K(XT) = K(X)", [])
    d.chain((X * T) * (X * T).T).then(X * X.T, "K(XT) = K(X) for any T (false)")
    assert not d.steps[-1].holds


def test_fifty_digit_measures_agree_with_float64_and_with_the_invariances():
    from fractions import Fraction

    from nnclaims.proofs.similarity import mp_measure

    A = [[1, 2], [0, -1], [3, 1], [2, 2], [-1, 0], [1, -2]]
    B = [[0, 1], [1, 1], [2, -1], [1, 0], [-2, 1], [1, 3]]
    T = [[2, 1], [1, 3]]
    AT = [[sum(Fraction(r[k]) * T[k][j] for k in range(2)) for j in range(2)] for r in A]
    for name in ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "procrustes"):
        assert float(mp_measure(name, A, B)) == pytest.approx(S.MEASURES[name](np.array(A, float), np.array(B, float)),
                                                             abs=1e-12), name
    assert abs(mp_measure("cca_mean", AT, B) - mp_measure("cca_mean", A, B)) < 1e-40  # invariant: equal at 50 digits
    assert abs(mp_measure("linear_cka", AT, B) - mp_measure("linear_cka", A, B)) > 1e-3  # not invariant


# --- stated qualifications and limits (issue 27, item 3) ---------------------------------------------------------

def _tied_pair(n=60, seed=11):
    """A (n × 3) and B (n × 3) with canonical correlations exactly (0.95, 0.1, 0.1) in real arithmetic: q₁…q₆
    orthonormal centred vectors, A = [q₁ q₂ q₃]M_A, B = [0.95q₁ + √(1−0.95²) q₄, 0.1q₂ + √0.99 q₅, 0.1q₃ + √0.99 q₆]M_B
    (M invertible, not orthogonal, so the weights see the mixing)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(S.centre(rng.standard_normal((n, 6))))
    MA = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.9], [0.0, 0.0, 0.3]])  # q₂, q₃ mixed unevenly in A's neurons
    MB = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    rho = np.array([0.95, 0.1, 0.1])
    return Q[:, :3] @ MA, (Q[:, :3] * rho + Q[:, 3:] * np.sqrt(1 - rho ** 2)) @ MB, Q, rho


def _pwcca_of_variates(A, H, rho):
    """Morcos et al.'s formula for given orthonormal canonical variates H (n × k) of A."""
    alpha = np.abs(H.T @ S.centre(A)).sum(1)
    return float(alpha @ rho / alpha.sum())


def test_pwcca_needs_distinct_correlations_for_permutation_invariance():
    """The qualified statement holds and the unqualified one fails, shown logically rather than through which basis
    LAPACK returns: with a tie, two equally valid canonical bases (the tied pair rotated by 45°, which leaves the
    SVD U diag(ρ) Vᵀ unchanged) give PWCCAs that differ by far more than rounding, so PWCCA is not a function of
    the input there and no statement about its invariance can hold; with distinct correlations the permuted
    input gives the same value within the derived tolerance."""
    from nnclaims.proofs.similarity import prove_invariance

    proof = prove_invariance("pwcca", "permutation")
    assert proof.outcome == "proved" and proof.condition == "the canonical correlations are distinct"
    assert any("distinct canonical correlations" in a for a in proof.assumptions)

    A, B, Q, rho = _tied_pair()
    assert S.canonical_correlations(A, B) == pytest.approx(rho, abs=1e-12)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    H0, H1 = Q[:, :3], Q[:, :3] @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    G0 = Q[:, :3] * rho + Q[:, 3:] * np.sqrt(1 - rho ** 2)
    G1 = G0 @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    for H, G in ((H0, G0), (H1, G1)):  # both are canonical bases: orthonormal, HᵀG = diag(ρ)
        assert np.abs(H.T @ H - np.eye(3)).max() < 1e-13 and np.abs(H.T @ G - np.diag(rho)).max() < 1e-13
    moved = abs(_pwcca_of_variates(A, H0, rho) - _pwcca_of_variates(A, H1, rho))
    assert moved > 1e-3  # 10¹² times the rounding of either value: the unqualified statement fails

    # qualified: distinct correlations, the neurons permuted
    A, B = _pair(4, 80, 6, 6)
    rho = S.canonical_correlations(A, B)
    gap = np.min(np.diff(rho[::-1]))
    assert gap > 1e-3  # distinct
    s_ = np.linalg.svd(S.centre(A), compute_uv=False)
    tol = 16 * EPS * A.shape[0] * (s_[0] / s_[-1]) / gap
    perm = np.random.default_rng(0).permutation(6)
    assert S.pwcca(A[:, perm], B) == pytest.approx(S.pwcca(A, B), abs=tol)


def test_max_match_scale_invariance_limit():
    """Stated limit: one neuron scaled by 1e-6 leaves the match unchanged; scaled by 1e-16 (below lstsq's cut-off
    ε·max(points, neurons) = 1.1e-14 here, by a factor 100) it leaves the span."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 6))
    B = A[:, :3] * 2
    base = S.max_match_similarity(A, B, 0.3)
    scale = np.ones(6)
    scale[0] = 1e-6
    assert S.max_match_similarity(A * scale, B, 0.3) == base
    scale[0] = 1e-16
    assert S.max_match_similarity(A * scale, B, 0.3) != base
