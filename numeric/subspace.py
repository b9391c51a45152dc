r"""Subspace match in float64 (ε-approximate, Wang et al. 2018), linear CKA, and the trained-pairs
experiment for subspace.trained-networks-low-hidden-match.

ε-approximate match: every :math:`z_x` is within :math:`\varepsilon\|z_x\|` of
:math:`\operatorname{span} z_Y` (least squares) and vice versa.  The maximum match uses the same
pruning loop as the exact version (:func:`proofs.subspace.prune_to_maximum_match`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from proofs.record import NumericResult
from proofs.subspace import prune_to_maximum_match

from .zoo import ACTIVATIONS, ZooSpec, init_zoo, train_zoo

__all__ = ["relative_residuals", "eps_maximum_match", "eps_minimal_match", "eps_similarity", "linear_cka",
           "check_trained_networks_low_hidden_match", "EPSILONS", "THRESHOLD"]

ZERO = 1e-12
EPSILONS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
EPS_STAT = 0.25
THRESHOLD = 0.2


def relative_residuals(Z: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Distance of each row of ``Z`` to the row span of ``B``, relative to the row's norm."""
    if len(B) == 0:
        return np.ones(len(Z))
    sol, *_ = np.linalg.lstsq(B.T, Z.T, rcond=None)
    res = np.linalg.norm(B.T @ sol - Z.T, axis=0)
    return res / np.maximum(np.linalg.norm(Z, axis=1), ZERO)


def eps_maximum_match(ZX: np.ndarray, ZY: np.ndarray, eps: float) -> tuple[list[int], list[int]]:
    """ε-approximate maximum match (rows = neurons); all-zero neurons never match."""
    nzx = [i for i in range(len(ZX)) if np.linalg.norm(ZX[i]) > ZERO]
    nzy = [j for j in range(len(ZY)) if np.linalg.norm(ZY[j]) > ZERO]
    Zs = (ZX[nzx], ZY[nzy])

    def outside(side, keep, other):
        r = relative_residuals(Zs[side][keep], Zs[1 - side][other])
        return [k for k, ri in zip(keep, r) if ri > eps]

    X, Y = prune_to_maximum_match(len(nzx), len(nzy), outside)
    return [nzx[i] for i in X], [nzy[j] for j in Y]


def eps_minimal_match(ZX, ZY, side: int, v: int, eps: float):
    """Greedy v-minimal ε-match (same greedy order as the exact version)."""
    from proofs.subspace import minimal_match

    return minimal_match(ZX, ZY, side, v, match_fn=lambda A, B: eps_maximum_match(np.asarray(A), np.asarray(B), eps))


def eps_similarity(ZX, ZY, eps: float) -> float:
    X, Y = eps_maximum_match(ZX, ZY, eps)
    return (len(X) + len(Y)) / (len(ZX) + len(ZY))


def linear_cka(A: np.ndarray, B: np.ndarray) -> float:
    """Linear CKA of two representations (rows = data points, columns = neurons), centred."""
    A = A - A.mean(0)
    B = B - B.mean(0)
    hsic = np.linalg.norm(A.T @ B) ** 2
    return float(hsic / max(np.linalg.norm(A.T @ A) * np.linalg.norm(B.T @ B), ZERO))


def _layers(p, X, act):
    H = act(X @ p["W1"] + p["b1"])
    return [X, H, H @ p["W2"] + p["b2"]]


def check_trained_networks_low_hidden_match(networks=16, device="cpu", seed=0) -> NumericResult:
    """Pairs of networks trained on the same data from different initialisations.

    Statistic: median over pairs of (output-layer similarity − hidden-layer similarity) at
    ε = 0.25; the claim is ``supported`` when it is at least 0.2.  The ε sweep, the input layer
    (identical inputs: similarity 1) and linear CKA are reported alongside.
    """
    spec = dataclasses.replace(ZooSpec(), steps=400)
    pairs = max(1, networks // 2)
    pa, X, Y = init_zoo(pairs, spec, seed, device, dtype=torch.float64)
    pb, _, _ = init_zoo(pairs, spec, seed + 1, device, dtype=torch.float64)  # other initialisations
    pa, pb = train_zoo(pa, X, Y, spec), train_zoo(pb, X, Y, spec)
    act = ACTIVATIONS[spec.activation]
    LA, LB = _layers(pa, X, act), _layers(pb, X, act)
    names = ("input", "hidden", "output")
    sims = {n: {e: [] for e in EPSILONS} for n in names}
    cka = {n: [] for n in names}
    for k in range(pairs):
        for n, A, B in zip(names, LA, LB):
            a, b = A[k].cpu().numpy(), B[k].cpu().numpy()
            for e in EPSILONS:
                sims[n][e].append(eps_similarity(a.T, b.T, e))  # rows = neurons
            cka[n].append(linear_cka(a, b))
    gap = np.array(sims["output"][EPS_STAT]) - np.array(sims["hidden"][EPS_STAT])
    stat = float(np.median(gap))
    return NumericResult(
        "subspace.trained-networks-low-hidden-match", "supported" if stat >= THRESHOLD else "unsupported",
        f"median over pairs of (output − hidden) max-match similarity at ε = {EPS_STAT}", stat, 2 * pairs, device,
        threshold=THRESHOLD,
        details={"similarity_median": {n: {str(e): float(np.median(v)) for e, v in sims[n].items()} for n in names},
                 "linear_cka_median": {n: float(np.median(v)) for n, v in cka.items()},
                 "pairs": pairs, "data_points": spec.n, "hidden_width": spec.h,
                 "caveat": "hidden vectors live in R^n with n = data points ≫ width: random spans rarely match"})
