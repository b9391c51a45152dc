"""Similarity measures: cross-checked against independent implementations to 1e-8, their invariances (numeric
beside the proofs of :mod:`nnclaims.proofs.similarity`), and the invariance table.

Independent implementations (written here, separately from ``numeric/similarity.py``): Kornblith et al.'s
Gram-space CKA (``gram_linear``, ``gram_rbf``, ``center_gram``, ``cka`` of their public notebook, 2019) —
the package computes CKA in feature space; SciPy's ``subspace_angles`` for canonical correlations and
``orthogonal_procrustes`` for the Procrustes distance; SVCCA and PWCCA as Raghu et al. / Morcos et al.'s public
code computes them (SVD truncation, QR of the canonical directions, weights from |⟨direction, neuron⟩|)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

from nnclaims.numeric import similarity as S

TOL = 1e-8


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
def test_measures_agree_with_independent_implementations(seed, shape):
    A, B = _pair(seed, *shape)
    assert S.linear_cka(A, B) == pytest.approx(cka(gram_linear(A), gram_linear(B)), abs=TOL)
    assert S.debiased_linear_cka(A, B) == pytest.approx(cka(gram_linear(A), gram_linear(B), debiased=True), abs=TOL)
    assert S.rbf_cka(A, B) == pytest.approx(cka(gram_rbf(A), gram_rbf(B)), abs=TOL)
    if shape[0] > shape[1] + shape[2]:  # with p ≥ n every canonical correlation is 1 up to rounding
        assert S.canonical_correlations(A, B) == pytest.approx(cca_angles(A, B), abs=TOL)
        assert S.cca_mean(A, B) == pytest.approx(cca_angles(A, B).mean(), abs=TOL)
        assert S.svcca(A, B) == pytest.approx(svcca_reference(A, B), abs=TOL)
        assert S.pwcca(A, B) == pytest.approx(pwcca_reference(A, B), abs=TOL)
    assert S.procrustes(A, B) == pytest.approx(procrustes_reference(A, B), abs=TOL)


def test_measures_of_identical_and_of_unrelated_representations():
    A, _ = _pair(0, 200, 6, 6)
    B = np.random.default_rng(9).standard_normal((200, 6))
    for name in ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca"):
        f = S.MEASURES[name]
        assert f(A, A) == pytest.approx(1.0, abs=TOL), name
        assert f(A, B) < 0.5, name  # the negative control: unrelated noise is not similar
    assert S.procrustes(A, A) < TOL and S.procrustes(A, B) > 1.0
    assert S.max_match_similarity(A, A, 0.1) == 1.0 and S.max_match_similarity(A, B, 0.1) == 0.0


def test_undefined_measures_are_nan():
    A = np.ones((10, 3))
    B = np.random.default_rng(0).standard_normal((10, 2))
    for name in ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "procrustes"):
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


def _relative_gap(report, A, B):
    return max(abs(report[m] - S.MEASURES[m](A, B)) / max(abs(report[m]), 1e-300) for m in SHARED)


@pytest.mark.parametrize("shape", SHAPES + [(30, 7, 7)], ids=lambda s: "x".join(map(str, s)))
def test_similarity_report_with_shared_factors_equals_single_measures(shape):
    A, B = _pair(5, *shape)
    report = S.similarity_report(A, B, epsilon=0.3)
    assert _relative_gap(report, A, B) <= SAME
    assert report["max_match_similarity"] == S.max_match_similarity(A, B, 0.3)
    Fa, Fb = S.factorise(A), S.factorise(B)  # the single measures also take the factors
    for m in SHARED:
        assert S.MEASURES[m](Fa, Fb) == pytest.approx(report[m], rel=SAME, abs=1e-15), m
    # negative control: the same comparison against B perturbed by 1e-6 fails for every measure (but the CCAs when
    # A's centred columns span every centred vector: then every canonical correlation is 1, whatever B)
    C = B + 1e-6 * np.random.default_rng(1).standard_normal(B.shape)
    for m in SHARED if shape[0] > shape[1] + 1 else ("linear_cka", "debiased_linear_cka", "rbf_cka", "procrustes"):
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


def test_procrustes_distance_stays_near_zero_for_a_rotated_copy():
    """The explicit difference ‖ÂW − B̂‖ is within a few ε of 0; the closed form √(2 − 2‖ÂᵀB̂‖_*) is not."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((500, 64))
    Q = np.linalg.qr(rng.standard_normal((64, 64)))[0]
    assert S.procrustes(A, 3 * A @ Q + 1) < 1e-12
    Ac, Bc = A - A.mean(0), (A @ Q) - (A @ Q).mean(0)
    nuclear = np.linalg.svd((Ac / np.linalg.norm(Ac)).T @ (Bc / np.linalg.norm(Bc)), compute_uv=False).sum()
    assert np.sqrt(abs(2 - 2 * nuclear)) > 1e-10  # why the closed form is not used


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
