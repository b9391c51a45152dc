r"""Representation-similarity measures (CKA, CCA variants, Procrustes, the maximum match) on activations.

Representation-similarity measures beside the subspace match, on activations ``A`` (n points × p₁ neurons) and
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
  ``cca_mean`` is their mean over :math:`\min(\operatorname{rank} A_c, \operatorname{rank} B_c)` — the
  references (google/svcca's ``cca_core``, Ding et al.'s ``sim_metric``) divide by :math:`\min(p_1, p_2)`
  instead, counting the correlations of a rank-deficient side as 0: on such input they are lower by the factor
  :math:`\min(r_a, r_b)/\min(p_1, p_2)` (0.19 lower on a 4 + 4-neuron pair with one neuron duplicated);
* ``svcca`` (Raghu et al. 2017): each side reduced to its fewest top singular directions that keep 99 % of the
  variance (:math:`\sum_{i\le k}s_i^2 \ge 0.99\sum_i s_i^2`), then ``cca_mean``;
* ``pwcca`` (Morcos et al. 2018, the paper's formula; equal to Ding et al.'s ``sim_metric``):
  :math:`\sum_i\alpha_i\rho_i/\sum_i\alpha_i`, :math:`\alpha_i = \sum_j|\langle h_i, a_j\rangle|` over the
  centred neurons :math:`a_j` of the side with fewer non-constant neurons (A on a tie) and its orthonormal
  canonical variates :math:`h_i`.  With tied canonical correlations the variates within a tied space are any
  orthonormal basis of it, and PWCCA depends on the basis the SVD returns (so on the neurons' order);
* ``pwcca_authors_code``: what google/svcca's ``pwcca.py`` computes, which is *not* the paper's formula
  (:func:`pwcca_authors_code`): its directions are :math:`u^\top A_c^\top` without :math:`\Sigma_{xx}^{-1/2}`,
  shifted back by the neuron means, and its weights project the *uncentred* activations;
* ``procrustes``: orthogonal Procrustes *distance* of :math:`\hat A = A_c/\|A_c\|_F`, :math:`\hat B = B_c/\|B_c\|_F`:
  :math:`\min_{Q^\top Q = I}\|\hat AQ - \hat B\|_F = \sqrt{2 - 2\|\hat A^\top\hat B\|_*}\in[0,\sqrt2]` (the narrower
  side zero-padded); 0 means identical up to rotation;
* ``max_match_similarity``: Wang et al.'s maximum match at ε on the (uncentred) neuron activation vectors —
  the columns — :math:`(|X^*|+|Y^*|)/(p_1+p_2)`; ``simple_match``: the distinct v-minimal (simple) matches over the
  neurons v of the maximum match.

A measure that is undefined on the input (a constant representation; n < 4 for the debiased CKA) is NaN.  The
CCA measures (``cca_mean``, ``pwcca``, ``pwcca_authors_code``) are also NaN when a side has at least n − 1 neurons
(:func:`cca_defined`): its centred activations can then span every centred vector of the n points, and every
canonical correlation is 1 whatever the other network (the references refuse such input: neurons < points).

Speed (10,000 points × 1,024 neurons: ``python -m nnclaims.bench.similarity``): each array is factorised
once (:func:`factorise`: centring, a thin QR, the SVD of the small R) and :func:`similarity_report` shares the
factors and the two cross products :math:`A_c^\top B_c` and :math:`U_a^\top U_b` among the measures; the single
measures accept arrays or :class:`Factors`.  Everything but the n × n RBF Gram matrices and the maximum match's
least squares is O(n·p²) BLAS-3 work.  QR, SVD and the n × n Gram product run in torch (its CPU LAPACK/BLAS are
faster here than numpy's), the p × p products in numpy (its AᵀA is a symmetric rank-k update); the API is numpy.

>>> rng = np.random.default_rng(0); A = rng.standard_normal((50, 4)); Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
>>> [round(f(A, 2 * A @ Q + 1), 12) for f in (linear_cka, rbf_cka, cca_mean, procrustes)]
[1.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import torch

from .matching import eps_maximum_match, eps_minimal_match

__all__ = ["centre", "Factors", "factorise", "linear_cka", "debiased_linear_cka", "rbf_cka", "canonical_correlations",
           "cca_mean", "svcca", "pwcca", "pwcca_authors_code", "procrustes", "max_match_similarity", "simple_matches",
           "similarity_report", "MEASURES", "SVCCA_KEEP", "SIMPLE_MATCH_LIMIT", "cca_defined",
           "similarity_warnings"]

SVCCA_KEEP = 0.99
SIMPLE_MATCH_LIMIT = 64  # simple matches cost O(m²) maximum matches for a maximum match of m neurons


def centre(A: np.ndarray) -> np.ndarray:
    """Each column minus its mean over the rows (points)."""
    A = np.asarray(A, dtype=np.float64)
    return A - A.mean(0, keepdims=True)


def _t(M: np.ndarray) -> torch.Tensor:
    """A float64 tensor sharing ``M``'s memory (torch's QR and n × n products are faster than numpy's here)."""
    return torch.from_numpy(np.ascontiguousarray(M, dtype=np.float64))


class Factors(NamedTuple):
    r"""One representation, factorised once and shared by every measure (:func:`factorise`).

    :math:`A_c = QR` (thin QR), :math:`R = U_R\,\operatorname{diag}(s)\,V^\top` (SVD of the small R), truncated to
    the numerical rank r, so that :math:`U = QU_R` is an orthonormal basis of the column space of :math:`A_c` and
    :math:`U^\top A_c = \operatorname{diag}(s)V^\top`.  When n < p, Q is the U of an SVD of :math:`A_c` and
    :math:`U_R = I`.  ``basis`` is None for ``factorise(A, spectral=False)`` (the CKAs need only ``centred``).
    """

    centred: np.ndarray  #: A_c, n × p
    norm: float  #: ‖A_c‖_F
    live: int  #: number of non-constant neurons (nonzero columns of A_c)
    gram: float  #: ‖A_cᵀA_c‖_F (= (Σ sᵢ⁴)^½ over all singular values, from the SVD when there is one)
    basis: np.ndarray | None = None  #: Q, n × m, orthonormal columns
    rotation: np.ndarray | None = None  #: U_R, m × r
    singular: np.ndarray | None = None  #: s, r, descending
    right: np.ndarray | None = None  #: Vᵀ, r × p


def factorise(A, *, spectral: bool = True) -> Factors:
    r"""The :class:`Factors` of ``A`` (points × neurons): centred, and with ``spectral`` its QR and the SVD of R,
    rank-truncated at :math:`\max(n,p)\,\epsilon\,s_0`.

    >>> F = factorise(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]))
    >>> U = F.basis @ F.rotation
    >>> bool(np.allclose(U.T @ F.centred, F.singular[:, None] * F.right)), F.live
    (True, 2)
    """
    if isinstance(A, Factors):
        if spectral and A.basis is None:
            return factorise(A.centred, spectral=True)
        return A
    Ac = centre(A)
    live = int((np.linalg.norm(Ac, axis=0) > 0).sum())
    out = Factors(Ac, float(np.linalg.norm(Ac)), live, math.nan)
    if not spectral:
        return out._replace(gram=float(np.linalg.norm(Ac.T @ Ac)))  # numpy's AᵀA is a symmetric rank-k update
    n, p = Ac.shape
    if Ac.size == 0:
        return out._replace(gram=0.0, basis=np.zeros((n, 0)), rotation=np.zeros((0, 0)), singular=np.zeros(0),
                            right=np.zeros((0, p)))
    if n >= p:
        Q, R = torch.linalg.qr(_t(Ac))
        UR, s, Vt = torch.linalg.svd(R, full_matrices=False)
        Q, UR = Q.numpy(), UR.numpy()
    else:
        Q, s, Vt = torch.linalg.svd(_t(Ac), full_matrices=False)
        Q, UR = Q.numpy(), np.eye(s.shape[0])
    s, Vt = s.numpy(), Vt.numpy()
    out = out._replace(gram=float(np.sqrt(np.sum(s ** 4))))
    r = int((s > max(n, p) * np.finfo(float).eps * s[0]).sum()) if s.size and s[0] > 0 else 0
    return out._replace(basis=Q, rotation=UR[:, :r], singular=s[:r], right=Vt[:r])


def _hsic_terms(Fa: Factors, Fb: Factors, debiased: bool, AB: np.ndarray) -> tuple[float, float, float]:
    r"""``(HSIC(A, B), HSIC(A, A), HSIC(B, B))`` up to a common factor, linear kernel, centred features
    (``AB`` = :math:`A_c^\top B_c`)."""
    A, B = Fa.centred, Fb.centred
    n = A.shape[0]
    xy, xx, yy = float(np.linalg.norm(AB)) ** 2, Fa.gram ** 2, Fb.gram ** 2
    if not debiased:
        return xy, xx, yy
    ra, rb = np.einsum("ij,ij->i", A, A), np.einsum("ij,ij->i", B, B)
    na, nb = ra.sum(), rb.sum()

    def unbiased(dot, r1, r2, s1, s2):  # Song et al.'s estimator, rewritten in features (Kornblith et al.)
        return dot - n / (n - 2.0) * r1.dot(r2) + s1 * s2 / ((n - 1) * (n - 2))

    return unbiased(xy, ra, rb, na, nb), unbiased(xx, ra, ra, na, na), unbiased(yy, rb, rb, nb, nb)


def _features(Fa: Factors, Fb: Factors) -> np.ndarray:
    r""":math:`A_c^\top B_c` (p₁ × p₂), one matrix product shared by the CKAs and Procrustes."""
    return Fa.centred.T @ Fb.centred


def _linear_cka(Fa: Factors, Fb: Factors, AB: np.ndarray | None = None, debiased: bool = False) -> float:
    if debiased and Fa.centred.shape[0] < 4:
        return math.nan
    xy, xx, yy = _hsic_terms(Fa, Fb, debiased, _features(Fa, Fb) if AB is None else AB)
    return float(xy / math.sqrt(xx * yy)) if xx > 0 and yy > 0 else math.nan


def linear_cka(A, B) -> float:
    r""":math:`\|A_c^\top B_c\|_F^2 / (\|A_c^\top A_c\|_F\|B_c^\top B_c\|_F)`; NaN for a constant representation.
    ``A``, ``B``: arrays or their :class:`Factors`."""
    return _linear_cka(factorise(A, spectral=False), factorise(B, spectral=False))


def debiased_linear_cka(A, B) -> float:
    """Linear CKA with the unbiased HSIC estimator (Song et al. 2012; Kornblith et al.'s feature-space form)."""
    return _linear_cka(factorise(A, spectral=False), factorise(B, spectral=False), debiased=True)


def _median_symmetric(D: np.ndarray) -> float:
    r"""Median of the n² entries of a symmetric ``D`` with zero diagonal and nonnegative entries, from its strict
    upper triangle: sorted, the entries are n zeros (the diagonal) and then each upper value twice, so entry
    :math:`j > n` (1-based) is the :math:`\lceil (j-n)/2\rceil`-th smallest upper value.  One partition of
    n(n−1)/2 values instead of a copy and a partition of n².

    >>> D = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]])
    >>> bool(_median_symmetric(D) == np.median(D))
    True
    """
    n = D.shape[0]
    N = n * n
    if n < 3:
        return float(np.median(D))
    upper = np.empty(n * (n - 1) // 2)
    at = 0
    for i in range(n - 1):
        upper[at:at + n - 1 - i] = D[i, i + 1:]
        at += n - 1 - i
    wanted = [N // 2, N // 2 + 1] if N % 2 == 0 else [(N + 1) // 2]
    ranks = sorted({-(-(j - n) // 2) - 1 for j in wanted if j > n})
    if ranks:
        upper.partition(ranks)
    values = [0.0 if j <= n else float(upper[-(-(j - n) // 2) - 1]) for j in wanted]
    return sum(values) / len(values)


GRAM_BLOCK = 512  # rows per block of the symmetric Gram product


def _symmetric_gram(A: torch.Tensor, block: int = GRAM_BLOCK) -> torch.Tensor:
    r""":math:`AA^\top` (n × n), exactly symmetric: the upper triangle block-row by block-row (half the flops of one
    full product), then mirrored.

    >>> A = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> G = _symmetric_gram(A, block=3)
    >>> bool(torch.equal(G, G.T)), bool(torch.allclose(G, A @ A.T, rtol=1e-14, atol=1e-14))
    (True, True)
    """
    n = A.shape[0]
    G = torch.empty((n, n), dtype=A.dtype)
    for i in range(0, n, block):
        j = min(i + block, n)
        G[i:j, i:] = A[i:j] @ A[i:].T
        D = G[i:j, i:j]
        D.copy_(torch.triu(D) + torch.triu(D, 1).T)
        G[j:, i:j] = G[i:j, j:].T
    return G


def _centred_rbf_gram(A: np.ndarray, threshold: float = 1.0) -> torch.Tensor | None:
    """Double-centred RBF Gram matrix, bandwidth from the median squared distance: one (symmetric) matrix product,
    then in place on that one n × n array (the median reads a half-size copy of its upper triangle)."""
    G = _symmetric_gram(_t(A))
    sq = torch.diagonal(G).clone()
    G.mul_(-2.0)
    G.add_(sq[:, None])
    G.add_(sq[None, :])
    G.clamp_(min=0.0)
    med = _median_symmetric(G.numpy())
    if med <= 0:
        return None
    G.mul_(-1.0 / (2.0 * threshold ** 2 * med))
    G.exp_()
    means = G.mean(0)
    means -= means.mean() / 2
    G.sub_(means[:, None])
    G.sub_(means[None, :])
    return G


def _dot(K: torch.Tensor, L: torch.Tensor) -> float:
    return float(torch.dot(K.reshape(-1), L.reshape(-1)))


def rbf_cka(A, B, threshold: float = 1.0) -> float:
    r"""CKA with RBF kernels, :math:`\sigma^2 = \text{threshold}^2\cdot\operatorname{median}_{ij}\|a_i - a_j\|^2`
    (``A``, ``B``: arrays or :class:`Factors`).  The distances are computed from the centred activations: the same
    distances, with less cancellation in :math:`\|a_i\|^2 + \|a_j\|^2 - 2a_i^\top a_j`."""
    A = A.centred if isinstance(A, Factors) else centre(A)
    B = B.centred if isinstance(B, Factors) else centre(B)
    K = _centred_rbf_gram(A, threshold)
    if K is None:
        return math.nan
    kk = _dot(K, K)
    L = _centred_rbf_gram(B, threshold)
    if L is None:
        return math.nan
    kl, ll = _dot(K, L), _dot(L, L)
    return kl / math.sqrt(kk * ll) if kk > 0 and ll > 0 else math.nan


def _bases(Fa: Factors, Fb: Factors) -> np.ndarray:
    r""":math:`U_a^\top U_b = U_{R,a}^\top (Q_a^\top Q_b)\,U_{R,b}` (r_a × r_b): its singular values are the
    canonical correlations, its leading k × k block's those of SVCCA.  One n-sized product."""
    return Fa.rotation.T @ (Fa.basis.T @ Fb.basis) @ Fb.rotation


def _correlations(C: np.ndarray) -> np.ndarray:
    if 0 in C.shape:
        return np.zeros(0)
    return np.clip(torch.linalg.svdvals(_t(C)).numpy()[:min(C.shape)], 0.0, 1.0)


def canonical_correlations(A, B) -> np.ndarray:
    """The canonical correlations of the centred representations, descending (arrays or :class:`Factors`)."""
    return _correlations(_bases(factorise(A), factorise(B)))


def cca_defined(n: int, p1: int, p2: int) -> bool:
    r"""Whether the CCA measures mean anything for n points and p₁, p₂ neurons: each side has at most n − 2 neurons.

    Centred activations span at most n − 1 dimensions (:math:`H\mathbf 1 = 0`); a side with :math:`p \ge n-1`
    neurons can span all of them, and then every canonical correlation is 1 whatever the other side.  The
    references refuse p ≥ n (google/svcca asserts neurons < data points); this rule also covers p = n − 1.

    >>> cca_defined(10, 8, 3), cca_defined(10, 9, 3), cca_defined(10, 3, 12)
    (True, False, False)
    """
    return n > max(p1, p2) + 1


def _cca_mean(rho: np.ndarray) -> float:
    return float(rho.mean()) if rho.size else math.nan


def cca_mean(A, B) -> float:
    r"""Mean canonical correlation :math:`\bar\rho` over :math:`\min(\operatorname{rank} A_c,
    \operatorname{rank} B_c)` correlations (the references divide by :math:`\min(p_1, p_2)`: see the module's
    conventions); NaN unless :func:`cca_defined`."""
    Fa, Fb = factorise(A), factorise(B)
    if not cca_defined(Fa.centred.shape[0], Fa.centred.shape[1], Fb.centred.shape[1]):
        return math.nan
    return _cca_mean(_correlations(_bases(Fa, Fb)))


def _top(F: Factors, keep: float) -> int:
    r"""The fewest top singular directions keeping ``keep`` of the variance
    (:math:`\sum_{i\le k}s_i^2 \ge` keep · :math:`\sum_i s_i^2`); ``U_kS_k`` spans the same space as ``U_k``."""
    s = F.singular
    if not s.size:
        return 0
    energy = np.cumsum(s ** 2) / np.sum(s ** 2)
    return int(np.searchsorted(energy, keep - 1e-12) + 1)


def _svcca(Fa: Factors, Fb: Factors, C: np.ndarray, keep: float = SVCCA_KEEP) -> float:
    ka, kb = _top(Fa, keep), _top(Fb, keep)
    if ka == 0 or kb == 0:
        return math.nan
    return float(_correlations(C[:ka, :kb]).mean())


def svcca(A, B, keep: float = SVCCA_KEEP) -> float:
    """SVCCA: ``cca_mean`` after reducing each side to the top directions keeping ``keep`` of the variance (the
    canonical correlations of ``U_kS_k`` are those of its orthonormal basis ``U_k``, whose cross products are the
    leading block of ``U_aᵀU_b``)."""
    Fa, Fb = factorise(A), factorise(B)
    return _svcca(Fa, Fb, _bases(Fa, Fb), keep)


def _pwcca(Fa: Factors, Fb: Factors, C: np.ndarray) -> float:
    if 0 in C.shape or not cca_defined(Fa.centred.shape[0], Fa.centred.shape[1], Fb.centred.shape[1]):
        return math.nan
    U, rho, Vt = (x.numpy() for x in torch.linalg.svd(_t(C), full_matrices=False))
    k = min(C.shape)
    rho = np.clip(rho[:k], 0.0, 1.0)
    # canonical variates H = U_a U[:, :k]; Hᵀ A_c = U[:, :k]ᵀ diag(s_a) V_aᵀ (and likewise for B): no n-sized product
    W, F = (U[:, :k], Fa) if Fa.live <= Fb.live else (Vt[:k].T, Fb)
    alpha = np.abs(W.T @ (F.singular[:, None] * F.right)).sum(1)
    return float(alpha @ rho / alpha.sum())


def pwcca(A, B) -> float:
    r"""Projection-weighted CCA, the formula of Morcos et al. (2018): :math:`\sum_i\alpha_i\rho_i/\sum_i\alpha_i`,
    :math:`\alpha_i = \sum_j|\langle h_i, a_j\rangle|` with the orthonormal canonical variates :math:`h_i` and
    the centred neurons :math:`a_j` of the side with fewer non-constant neurons (A on a tie).  Equal to Ding et
    al.'s ``sim_metric`` (1 − its ``pwcca_dist``), *not* to google/svcca's ``pwcca.py``
    (:func:`pwcca_authors_code`).  NaN unless :func:`cca_defined`.  With tied canonical correlations the value
    depends on the basis the SVD picks within the tied space (a change of the neurons' order can move it)."""
    Fa, Fb = factorise(A), factorise(B)
    return _pwcca(Fa, Fb, _bases(Fa, Fb))


def pwcca_authors_code(A, B) -> float:
    r"""PWCCA as google/svcca's ``pwcca.py`` (``compute_pwcca``, commit 1f3fbf19) computes it, conventions
    included — on ``A`` (n points × p₁ neurons) and ``B`` (n × p₂), the transposes of its inputs.

    With :math:`\Sigma` the covariances (``np.cov``), each block divided by the largest
    :math:`|\Sigma_{xx}|` / :math:`|\Sigma_{yy}|` entry, :math:`M = \Sigma_{xx}^{-1/2}\Sigma_{xy}
    \Sigma_{yy}^{-1/2}` (pseudo-inverses, square roots by ``eigh``) and :math:`M = u\,\operatorname{diag}
    (\rho)\,v^\top` (full SVD), the side with fewer neurons X (A on a tie) gets

    .. math:: D = u^\top (X - \mu\mathbf 1^\top) + \mu\mathbf 1^\top,\quad D^\top = PR\ (\text{QR}),\quad
              \alpha_i = \sum_j |(P^\top X)_{ij}|,\quad \text{PWCCA} = \sum_i\alpha_i\rho_i/\sum_i\alpha_i

    (X: neurons × points, μ its neuron means).  Two departures from the paper's formula (:func:`pwcca`): the
    directions :math:`u^\top X_c` are not the canonical variates :math:`u^\top\Sigma_{xx}^{-1/2}X_c`, and the
    weights project the uncentred activations (the means are added back to D, indexed by direction, and X is
    not centred).  The two are different numbers: on the 15 full-rank cases of ``tests/fixtures/svcca_parity.npz``
this one minus :func:`pwcca` ranges from −0.151 to +0.059 and is never within 0.01.

    Where the reference fails, this function takes its evident intent: the reference's branch for a narrower
    B reads ``acts1`` (an IndexError when p₁ > p₂), so here p₁ > p₂ is computed with the arguments swapped;
    negative rounding eigenvalues of the pseudo-inverse, which make the reference's square root NaN on
    rank-deficient input, are set to 0.  NaN for a constant representation and unless :func:`cca_defined`
    (the reference asserts neurons < points).
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    n, p1 = A.shape
    p2 = B.shape[1]
    if not cca_defined(n, p1, p2) or 0 in (p1, p2):
        return math.nan
    if p1 > p2:
        A, B, p1, p2 = B, A, p2, p1
    X, Y = A.T, B.T
    cov = np.cov(X, Y)
    sxx, sxy, syy = cov[:p1, :p1], cov[:p1, p1:], cov[p1:, p1:]
    xmax, ymax = np.max(np.abs(sxx)), np.max(np.abs(syy))
    if xmax == 0 or ymax == 0:
        return math.nan

    def invsqrt(S):
        w, V = np.linalg.eigh(np.linalg.pinv(S))
        return V @ np.diag(np.sqrt(np.maximum(w, 0.0))) @ V.T

    M = invsqrt(sxx / xmax) @ (sxy / np.sqrt(xmax * ymax)) @ invsqrt(syy / ymax)
    u, rho, _ = np.linalg.svd(M)
    mu = X.mean(1, keepdims=True)
    D = u.T @ (X - mu) + mu
    P, _ = np.linalg.qr(D.T)
    alpha = np.abs(P.T @ A).sum(1)  # Σ_j over the neurons j of |⟨P_i, x_j⟩|, x_j uncentred
    return float(np.sum(alpha / alpha.sum() * np.abs(rho)))


def _procrustes(Fa: Factors, Fb: Factors, AB: np.ndarray) -> float:
    if Fa.norm == 0 or Fb.norm == 0:
        return math.nan
    U, _, Vt = torch.linalg.svd(torch.from_numpy(AB), full_matrices=False)
    A, B = _t(Fa.centred), _t(Fb.centred)
    if AB.shape[0] <= AB.shape[1]:  # rotate the narrower side into the wider one: W has orthonormal rows
        D = torch.addmm(B, A, U @ Vt, beta=-1.0 / Fb.norm, alpha=1.0 / Fa.norm)
    else:
        D = torch.addmm(A, B, Vt.T @ U.T, beta=-1.0 / Fa.norm, alpha=1.0 / Fb.norm)
    return float(torch.linalg.norm(D))


def procrustes(A, B) -> float:
    r"""Orthogonal Procrustes distance :math:`\sqrt{2 - 2\|\hat A^\top \hat B\|_*}` of the centred, Frobenius-
    normalised representations (0: identical up to an orthogonal map).

    Computed as :math:`\|\hat A W - \hat B\|_F` with :math:`W = UV^\top` from the SVD of :math:`A_c^\top B_c`
    (the narrower side rotated into the wider, equivalent to zero-padding it), one more n-sized product: the
    closed form :math:`\sqrt{2 - 2\sum_i\sigma_i}` is cheaper but loses half the digits near 0 (its error is
    about :math:`\sqrt{p\,\epsilon}\approx 10^{-7}` at p = 1024), while the explicit difference stays within a
    few ε of 0 for identical representations."""
    Fa, Fb = factorise(A, spectral=False), factorise(B, spectral=False)
    return _procrustes(Fa, Fb, _features(Fa, Fb))


def max_match_similarity(A, B, epsilon: float) -> float:
    r"""Wang et al.'s maximum-match similarity at ``epsilon`` on the neurons (columns) of ``A`` and ``B``.

    Limit: invariant to the neurons' scales in exact arithmetic, but a neuron smaller than the largest by a factor
    near or below ``lstsq``'s cut-off ε·max(points, neurons) (1.1e-14 at 50 points; ≤ 1e-12 on some inputs) is
    treated as outside the span, and the value changes."""
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
    "pwcca_authors_code": pwcca_authors_code,
    "procrustes": procrustes,
    "max_match_similarity": None,  # takes ε
    "simple_match": None,  # takes ε
}
"""Every measure by the key it has in the JSON (``nnclaims similarity``)."""


SPECTRAL = ("cca_mean", "svcca", "pwcca")  # the measures that need the QR/SVD factors and U_aᵀU_b
CCA_MEASURES = ("cca_mean", "pwcca", "pwcca_authors_code")  # undefined unless cca_defined
FEATURES = ("linear_cka", "debiased_linear_cka", "procrustes")  # the measures that need A_cᵀB_c


def similarity_report(A, B, measures=tuple(MEASURES), epsilon: float = 0.25,
                      simple_limit: int = SIMPLE_MATCH_LIMIT) -> dict:
    r"""``{measure: value}`` (NaN → None) for the chosen measures; ``simple_match`` is a dict of counts.

    Each array is factorised once (:func:`factorise`) and the cross products :math:`A_c^\top B_c` and
    :math:`U_a^\top U_b` are formed once, then shared by the measures, through the same private functions the
    single-measure functions call: the values are theirs, up to rounding where the factors differ (with the QR/SVD
    factors, the CKAs take :math:`\|A_c^\top A_c\|_F` from the singular values; ~1e-16 relative)."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    spectral = any(m in SPECTRAL for m in measures)
    Fa, Fb = factorise(A, spectral=spectral), factorise(B, spectral=spectral)
    AB = _features(Fa, Fb) if any(m in FEATURES for m in measures) else None
    C = _bases(Fa, Fb) if spectral else None
    shared = {
        "linear_cka": lambda: _linear_cka(Fa, Fb, AB),
        "debiased_linear_cka": lambda: _linear_cka(Fa, Fb, AB, debiased=True),
        "rbf_cka": lambda: rbf_cka(Fa, Fb),
        "cca_mean": lambda: _cca_mean(_correlations(C)) if cca_defined(len(A), A.shape[1], B.shape[1]) else math.nan,
        "svcca": lambda: _svcca(Fa, Fb, C),
        "pwcca": lambda: _pwcca(Fa, Fb, C),
        "pwcca_authors_code": lambda: pwcca_authors_code(A, B),
        "procrustes": lambda: _procrustes(Fa, Fb, AB),
    }
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
            value = shared[name]()
        out[name] = None if math.isnan(value) else float(value)
    return out


def similarity_warnings(n: int, p1: int, p2: int, measures=tuple(MEASURES)) -> list[str]:
    """One sentence per condition of the input that makes a chosen measure undefined or trivially high."""
    out = []
    cca = [m for m in CCA_MEASURES if m in measures]
    if cca and not cca_defined(n, p1, p2):
        out.append(f"{n} points for {max(p1, p2)} neurons: a side with at least n − 1 = {n - 1} neurons can span every "
                   f"centred vector, so every canonical correlation is 1 whatever the networks; {', '.join(cca)} "
                   f"undefined (null): use more points than neurons + 1")
    elif cca and p1 + p2 > n - 1:
        out.append(f"{p1} + {p2} neurons > n − 1 = {n - 1}: at least {p1 + p2 - n + 1} canonical correlations are 1 "
                   f"whatever the networks (the two centred column spaces must intersect); {', '.join(cca)} "
                   f"are inflated")
    return out
