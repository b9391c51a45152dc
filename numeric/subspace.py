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

from nnclaims.proofs.record import NumericResult
from nnclaims.proofs.subspace import prune_to_maximum_match

from .zoo import ACTIVATIONS, ZooSpec, init_zoo, train_zoo

__all__ = ["relative_residuals", "eps_maximum_match", "eps_minimal_match", "eps_similarity", "linear_cka",
           "check_zero_match_exists", "check_isomorphic_unmatched", "check_johnson_example", "check_definitions",
           "check_symmetry_preserves_match",
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
    from nnclaims.proofs.subspace import minimal_match

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


# --- float64 cross-checks of the exact results -------------------------------------------------------

def _np_forward(weights, biases, inputs, output_activation):
    """Activation vectors (neurons × inputs) per layer, float64, column convention: h = relu(W h + b)."""
    H = np.asarray(inputs, dtype=float).T  # features × points
    layers = []
    for i, W in enumerate(weights):
        Z = np.asarray(W, dtype=float) @ H
        if biases is not None:
            Z = Z + np.asarray(biases[i], dtype=float)[:, None]
        last = i == len(weights) - 1
        H = Z if (last and output_activation == "linear") else np.maximum(Z, 0)
        layers.append(H)
    return layers


def _replay(w: dict, eps: float = 1e-9) -> dict:
    oa = w["output_activation"]
    A = _np_forward(w["net_a"]["weights"], w["net_a"]["biases"], w["inputs"], oa)
    B = _np_forward(w["net_b"]["weights"], w["net_b"]["biases"], w["inputs"], oa)
    layer = w["hidden_layer"] - 1
    return {"output_gap": float(np.abs(A[-1] - B[-1]).max()),
            "hidden_match": eps_maximum_match(A[layer], B[layer], eps),
            "ranks": (int(np.linalg.matrix_rank(A[layer])), int(np.linalg.matrix_rank(B[layer])))}


def _witness_check(claim_id, search_fn, seed, device, isomorphic):
    res = search_fn(seed=seed)
    if res.status != "found":
        return NumericResult(claim_id, "error", "float64 replay of the search witness", None, 0, device,
                             details={"error": f"search returned {res.status}"})
    r = _replay(res.witness)
    ok = r["output_gap"] == 0.0 and r["hidden_match"] == ([], []) and (not isomorphic or r["ranks"][0] == r["ranks"][1])
    return NumericResult(claim_id, "consistent" if ok else "violated",
                         "float64 replay: output gap and ε = 1e-9 maximum match at the hidden layer",
                         r["output_gap"], 2, device, tolerance=0.0, details={**r, "hidden_match": list(r["hidden_match"])})


def check_zero_match_exists(networks=16, device="cpu", seed=0) -> NumericResult:
    from nnclaims.proofs.search_subspace import zero_match_exists

    return _witness_check("subspace.zero-match-exists", zero_match_exists, seed, device, False)


def check_isomorphic_unmatched(networks=16, device="cpu", seed=0) -> NumericResult:
    from nnclaims.proofs.search_subspace import isomorphic_unmatched

    return _witness_check("subspace.isomorphic-unmatched", isomorphic_unmatched, seed, device, True)


def check_johnson_example(networks=16, device="cpu", seed=0) -> NumericResult:
    """Example 3.1 in float64 (column convention, linear output): do the outputs agree?"""
    from nnclaims.proofs.subspace import JOHNSON

    A = _np_forward([JOHNSON["W1"], JOHNSON["W2"]], None, JOHNSON["inputs"], "linear")
    B = _np_forward([JOHNSON["W1_tilde"], JOHNSON["W2_tilde"]], None, JOHNSON["inputs"], "linear")
    gap = float(np.abs(A[-1] - B[-1]).max())
    sim = eps_similarity(A[0], B[0], 1e-9)
    return NumericResult("subspace.johnson-example-3-1", "consistent" if gap == 0 and sim == 0 else "violated",
                         "max |O_W − O_W̃| on the two inputs (float64)", gap, 2, device, tolerance=0.0,
                         details={"hidden_similarity": sim})


def check_definitions(networks=16, device="cpu", seed=0) -> NumericResult:
    """The ε implementation reproduces the worked example of Wang et al.'s code (ε = 0.1)."""
    X = np.array([[1, 0.5, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0]])
    Y = np.array([[0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0], [0.5, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0]])
    got = (eps_maximum_match(X, Y, 0.1), eps_minimal_match(X, Y, 0, 0, 0.1))
    want = (([0, 1, 2, 3], [1, 2, 3, 4]), ([0, 1], [1, 2]))
    return NumericResult("subspace.definitions", "consistent" if got == want else "violated",
                         "worked example: maximum and x0-minimal match at ε = 0.1", float(got == want), 1, device,
                         tolerance=0.0, details={"got": [list(map(list, g)) for g in got]})


def check_symmetry_preserves_match(networks=16, device="cpu", seed=0) -> NumericResult:
    """Trained ReLU zoo: permute and positively rescale hidden units (W1PD, b1PD, D⁻¹PᵀW2); outputs agree
    to tolerance and the hidden similarity equals the fraction of non-dead neurons."""
    from .tolerance import rel_err, tolerance
    from .zoo import perm_matrices, random_permutations, trained_zoo

    spec = dataclasses.replace(ZooSpec(), activation="relu")
    p, X, _ = trained_zoo(networks, device, seed, spec)
    P = perm_matrices(random_permutations(networks, spec.h, seed, device))
    g = torch.Generator().manual_seed(seed + 2)
    Dg = torch.diag_embed(torch.rand(networks, spec.h, generator=g, dtype=torch.float64) * 2 + 0.25).to(device)
    q = {"W1": p["W1"] @ P @ Dg, "b1": p["b1"] @ P @ Dg, "W2": torch.linalg.inv(Dg) @ P.transpose(1, 2) @ p["W2"], "b2": p["b2"]}
    Ha, Hb = torch.relu(X @ p["W1"] + p["b1"]), torch.relu(X @ q["W1"] + q["b1"])
    out_err = rel_err(Hb @ q["W2"] + q["b2"], Ha @ p["W2"] + p["b2"])
    gaps = []
    for k in range(networks):
        a, b = Ha[k].cpu().numpy().T, Hb[k].cpu().numpy().T
        alive = (np.linalg.norm(a, axis=1) > ZERO).mean()
        gaps.append(abs(eps_similarity(a, b, 1e-8) - alive))
    tol = tolerance(torch.float64, spec.n * spec.h)
    ok = float(out_err.max()) <= tol and max(gaps) == 0
    return NumericResult("subspace.symmetry-preserves-match", "consistent" if ok else "violated",
                         "max rel output change under permutation × positive scaling", float(out_err.max()), networks,
                         device, tolerance=tol, details={"similarity_gap_max": float(max(gaps))})
