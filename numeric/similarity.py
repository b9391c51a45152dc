r"""Representation-similarity measures beside the subspace match, on activations ``A`` (n points × p₁ neurons) and
``B`` (n × p₂), the same points in the same order.

Conventions (each stated once, here):

* centring: :math:`A_c = HA`, :math:`H = I - \mathbf 1\mathbf 1^\top/n` (each neuron minus its mean over points);
* ``linear_cka`` (Kornblith et al. 2019): :math:`\|A_c^\top B_c\|_F^2 / (\|A_c^\top A_c\|_F\,\|B_c^\top B_c\|_F)`;
* ``debiased_linear_cka``: the same with every HSIC replaced by the unbiased estimator of Song et al. (2012), in
  Kornblith et al.'s feature-space form (needs n ≥ 4);
* ``rbf_cka``: CKA of :math:`K_{ij} = \exp(-\|a_i - a_j\|^2 / (2\sigma^2))`, :math:`\sigma^2` = the median of the
  n × n squared distances (diagonal included) — Kornblith et al.'s bandwidth with threshold 1;
* canonical correlations :math:`\rho_i`: cosines of the principal angles between the column spaces of
  :math:`A_c` and :math:`B_c` (ranks from the singular values, tolerance :math:`\max(n,p)\,\epsilon\,s_0`);
  ``cca_mean`` is their mean over :math:`\min(\operatorname{rank} A_c, \operatorname{rank} B_c)`;
* ``svcca`` (Raghu et al. 2017): each side reduced to its fewest top singular directions that keep 99 % of the
  variance (:math:`\sum_{i\le k}s_i^2 \ge 0.99\sum_i s_i^2`), then ``cca_mean``;
* ``pwcca`` (Morcos et al. 2018): :math:`\sum_i\alpha_i\rho_i/\sum_i\alpha_i`,
  :math:`\alpha_i = \sum_j|\langle h_i, a_j\rangle|` over the centred neurons :math:`a_j` of the side with fewer
  non-constant neurons (A on a tie, as the authors' code chooses) and its orthonormal canonical variates
  :math:`h_i`;
* ``procrustes``: orthogonal Procrustes *distance* of :math:`\hat A = A_c/\|A_c\|_F`, :math:`\hat B = B_c/\|B_c\|_F`:
  :math:`\min_{Q^\top Q = I}\|\hat AQ - \hat B\|_F = \sqrt{2 - 2\|\hat A^\top\hat B\|_*}\in[0,\sqrt2]` (the narrower
  side zero-padded); 0 means identical up to rotation;
* ``max_match_similarity``: Wang et al.'s maximum match at ε on the (uncentred) neuron activation vectors —
  the columns — :math:`(|X^*|+|Y^*|)/(p_1+p_2)`; ``simple_match``: the distinct v-minimal (simple) matches over the
  neurons v of the maximum match.

A measure that is undefined on the input (a constant representation; n < 4 for the debiased CKA) is NaN.

>>> rng = np.random.default_rng(0); A = rng.standard_normal((50, 4)); Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
>>> [round(f(A, 2 * A @ Q + 1), 12) for f in (linear_cka, rbf_cka, cca_mean, procrustes)]
[1.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .subspace import eps_maximum_match, eps_minimal_match

__all__ = ["centre", "linear_cka", "debiased_linear_cka", "rbf_cka", "canonical_correlations", "cca_mean", "svcca",
           "pwcca", "procrustes", "max_match_similarity", "simple_matches", "similarity_report", "MEASURES",
           "SVCCA_KEEP", "SIMPLE_MATCH_LIMIT"]

SVCCA_KEEP = 0.99
SIMPLE_MATCH_LIMIT = 64  # simple matches cost O(m²) maximum matches for a maximum match of m neurons


def centre(A: np.ndarray) -> np.ndarray:
    """Each column minus its mean over the rows (points)."""
    A = np.asarray(A, dtype=np.float64)
    return A - A.mean(0, keepdims=True)


def _hsic_terms(A: np.ndarray, B: np.ndarray, debiased: bool) -> tuple[float, float, float]:
    """``(HSIC(A, B), HSIC(A, A), HSIC(B, B))`` up to a common factor, linear kernel, centred features."""
    n = A.shape[0]
    xy, xx, yy = (np.linalg.norm(A.T @ B) ** 2, np.linalg.norm(A.T @ A) ** 2, np.linalg.norm(B.T @ B) ** 2)
    if not debiased:
        return xy, xx, yy
    ra, rb = np.einsum("ij,ij->i", A, A), np.einsum("ij,ij->i", B, B)
    na, nb = ra.sum(), rb.sum()

    def unbiased(dot, r1, r2, s1, s2):  # Song et al.'s estimator, rewritten in features (Kornblith et al.)
        return dot - n / (n - 2.0) * r1.dot(r2) + s1 * s2 / ((n - 1) * (n - 2))

    return unbiased(xy, ra, rb, na, nb), unbiased(xx, ra, ra, na, na), unbiased(yy, rb, rb, nb, nb)


def linear_cka(A, B) -> float:
    r""":math:`\|A_c^\top B_c\|_F^2 / (\|A_c^\top A_c\|_F\|B_c^\top B_c\|_F)`; NaN for a constant representation."""
    xy, xx, yy = _hsic_terms(centre(A), centre(B), False)
    return float(xy / math.sqrt(xx * yy)) if xx > 0 and yy > 0 else math.nan


def debiased_linear_cka(A, B) -> float:
    """Linear CKA with the unbiased HSIC estimator (Song et al. 2012; Kornblith et al.'s feature-space form)."""
    A, B = centre(A), centre(B)
    if A.shape[0] < 4:
        return math.nan
    xy, xx, yy = _hsic_terms(A, B, True)
    return float(xy / math.sqrt(xx * yy)) if xx > 0 and yy > 0 else math.nan


def _centred_rbf_gram(A: np.ndarray, threshold: float = 1.0) -> np.ndarray | None:
    """Double-centred RBF Gram matrix, bandwidth from the median squared distance (in place, one n × n array)."""
    G = A @ A.T
    sq = np.diag(G).copy()
    G *= -2.0
    G += sq[:, None]
    G += sq[None, :]
    np.maximum(G, 0.0, out=G)
    med = float(np.median(G))
    if med <= 0:
        return None
    G /= -2.0 * threshold ** 2 * med
    np.exp(G, out=G)
    means = G.mean(0)
    means -= means.mean() / 2
    G -= means[:, None]
    G -= means[None, :]
    return G


def rbf_cka(A, B, threshold: float = 1.0) -> float:
    r"""CKA with RBF kernels, :math:`\sigma^2 = \text{threshold}^2\cdot\operatorname{median}_{ij}\|a_i - a_j\|^2`."""
    K = _centred_rbf_gram(np.asarray(A, dtype=np.float64), threshold)
    if K is None:
        return math.nan
    kk = float(np.einsum("ij,ij->", K, K))
    L = _centred_rbf_gram(np.asarray(B, dtype=np.float64), threshold)
    if L is None:
        return math.nan
    kl, ll = float(np.einsum("ij,ij->", K, L)), float(np.einsum("ij,ij->", L, L))
    return kl / math.sqrt(kk * ll) if kk > 0 and ll > 0 else math.nan


def _svd(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Left singular vectors of ``A`` spanning its column space (rank-truncated at
    :math:`\max(n,p)\,\epsilon\,s_0`) and their singular values: a QR then the SVD of the small R when n ≥ p."""
    if A.size == 0:
        return np.zeros((A.shape[0], 0)), np.zeros(0)
    if A.shape[0] >= A.shape[1]:
        Q, R = np.linalg.qr(A)
        U, s, _ = np.linalg.svd(R)
        U = Q @ U
    else:
        U, s, _ = np.linalg.svd(A, full_matrices=False)
    r = int((s > max(A.shape) * np.finfo(float).eps * s[0]).sum()) if s.size and s[0] > 0 else 0
    return U[:, :r], s[:r]


def _cca(A: np.ndarray, B: np.ndarray):
    """Canonical correlations (descending) and the orthonormal canonical variates of each side."""
    Qa, _ = _svd(A)
    Qb, _ = _svd(B)
    if Qa.shape[1] == 0 or Qb.shape[1] == 0:
        return np.zeros(0), Qa[:, :0], Qb[:, :0]
    U, s, Vt = np.linalg.svd(Qa.T @ Qb, full_matrices=False)
    k = min(Qa.shape[1], Qb.shape[1])
    return np.clip(s[:k], 0.0, 1.0), Qa @ U[:, :k], Qb @ Vt[:k].T


def canonical_correlations(A, B) -> np.ndarray:
    """The canonical correlations of the centred representations, descending."""
    return _cca(centre(A), centre(B))[0]


def cca_mean(A, B) -> float:
    r"""Mean canonical correlation :math:`\bar\rho`."""
    rho = canonical_correlations(A, B)
    return float(rho.mean()) if rho.size else math.nan


def _top_directions(A: np.ndarray, keep: float) -> np.ndarray:
    r"""Orthonormal ``U_k``: the fewest top left singular vectors of ``A`` keeping ``keep`` of the variance
    (:math:`\sum_{i\le k}s_i^2 \ge` keep · :math:`\sum_i s_i^2`); ``U_kS_k`` spans the same space."""
    U, s = _svd(A)
    if not s.size:
        return U
    energy = np.cumsum(s ** 2) / np.sum(s ** 2)
    return U[:, :int(np.searchsorted(energy, keep - 1e-12) + 1)]


def svcca(A, B, keep: float = SVCCA_KEEP) -> float:
    """SVCCA: ``cca_mean`` after reducing each side to the top directions keeping ``keep`` of the variance (the
    canonical correlations of ``U_kS_k`` are those of its orthonormal basis ``U_k``)."""
    Ua, Ub = _top_directions(centre(A), keep), _top_directions(centre(B), keep)
    if Ua.shape[1] == 0 or Ub.shape[1] == 0:
        return math.nan
    rho = np.clip(np.linalg.svd(Ua.T @ Ub, compute_uv=False)[:min(Ua.shape[1], Ub.shape[1])], 0.0, 1.0)
    return float(rho.mean())


def pwcca(A, B) -> float:
    r"""Projection-weighted CCA: :math:`\sum_i\alpha_i\rho_i/\sum_i\alpha_i`, weights from the side with fewer
    non-constant neurons (A on a tie)."""
    A, B = centre(A), centre(B)
    rho, Ha, Hb = _cca(A, B)
    if not rho.size:
        return math.nan
    live = lambda M: int((np.linalg.norm(M, axis=0) > 0).sum())  # noqa: E731
    H, M = (Ha, A) if live(A) <= live(B) else (Hb, B)
    alpha = np.abs(H.T @ M).sum(1)
    return float(alpha @ rho / alpha.sum())


def procrustes(A, B) -> float:
    r"""Orthogonal Procrustes distance :math:`\sqrt{2 - 2\|\hat A^\top \hat B\|_*}` of the centred, Frobenius-
    normalised representations (0: identical up to an orthogonal map)."""
    A, B = centre(A), centre(B)
    na, nb = np.linalg.norm(A), np.linalg.norm(B)
    if na == 0 or nb == 0:
        return math.nan
    p = max(A.shape[1], B.shape[1])
    A = np.pad(A / na, ((0, 0), (0, p - A.shape[1])))
    B = np.pad(B / nb, ((0, 0), (0, p - B.shape[1])))
    U, _, Vt = np.linalg.svd(A.T @ B)
    return float(np.linalg.norm(A @ (U @ Vt) - B))  # = sqrt(2 − 2‖ÂᵀB̂‖_*), without its cancellation near 0


def max_match_similarity(A, B, epsilon: float) -> float:
    r"""Wang et al.'s maximum-match similarity at ``epsilon`` on the neurons (columns) of ``A`` and ``B``."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    X, Y = eps_maximum_match(A.T, B.T, epsilon)
    return (len(X) + len(Y)) / (A.shape[1] + B.shape[1])


def simple_matches(A, B, epsilon: float, *, limit: int = SIMPLE_MATCH_LIMIT, match=None) -> dict:
    """The distinct v-minimal matches over the neurons ``v`` of the maximum match (Wang et al.'s simple matches),
    counted by size; not computed (and said so) when the maximum match has more than ``limit`` neurons.
    ``match``: the maximum match at ``epsilon``, when already computed."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    X, Y = match if match is not None else eps_maximum_match(A.T, B.T, epsilon)
    out = {"maximum_match": [len(X), len(Y)], "computed": len(X) + len(Y) <= limit}
    if not out["computed"]:
        out["reason"] = f"the maximum match has {len(X) + len(Y)} neurons (limit {limit})"
        return out
    ZX, ZY = A.T[X], B.T[Y]
    found = set()
    for side, members in ((0, X), (1, Y)):
        for pos in range(len(members)):
            m = eps_minimal_match(ZX, ZY, side, pos, epsilon, is_max=True)
            if m is not None:
                found.add((tuple(X[i] for i in m[0]), tuple(Y[j] for j in m[1])))
    sizes: dict[str, int] = {}
    for mx, my in found:
        key = f"{len(mx)}+{len(my)}"
        sizes[key] = sizes.get(key, 0) + 1
    out.update(count=len(found), one_to_one=sizes.get("1+1", 0), sizes=dict(sorted(sizes.items())),
               matches=sorted([list(mx), list(my)] for mx, my in found))
    return out


MEASURES: dict[str, Callable] = {
    "linear_cka": linear_cka,
    "debiased_linear_cka": debiased_linear_cka,
    "rbf_cka": rbf_cka,
    "cca_mean": cca_mean,
    "svcca": svcca,
    "pwcca": pwcca,
    "procrustes": procrustes,
    "max_match_similarity": None,  # takes ε
    "simple_match": None,  # takes ε
}
"""Every measure by the key it has in the JSON (``nnclaims similarity``)."""


def similarity_report(A, B, measures=tuple(MEASURES), epsilon: float = 0.25,
                      simple_limit: int = SIMPLE_MATCH_LIMIT) -> dict:
    """``{measure: value}`` (NaN → None) for the chosen measures; ``simple_match`` is a dict of counts."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    out = {}
    match = None  # the maximum match, computed once for both match measures
    for name in measures:
        if name in ("max_match_similarity", "simple_match") and match is None:
            match = eps_maximum_match(A.T, B.T, epsilon)
        if name == "max_match_similarity":
            value = (len(match[0]) + len(match[1])) / (A.shape[1] + B.shape[1])
        elif name == "simple_match":
            out[name] = simple_matches(A, B, epsilon, limit=simple_limit, match=match)
            continue
        else:
            value = MEASURES[name](A, B)
        out[name] = None if math.isnan(value) else float(value)
    return out
