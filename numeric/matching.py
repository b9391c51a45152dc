r"""Subspace match in float64 (ε-approximate, Wang et al. 2018): maximum and minimal match, and their similarity.

ε-approximate match: every :math:`z_x` is within :math:`\varepsilon\|z_x\|` of
:math:`\operatorname{span} z_Y` (least squares) and vice versa.  The maximum match uses the same
pruning loop as the exact version (:func:`nnclaims.proofs.subspace.prune_to_maximum_match`).  Rows are neurons
(neurons × data points).  Shared by :mod:`nnclaims.numeric.similarity` (the measures) and
:mod:`nnclaims.numeric.subspace` (the subspace family's checks), a floor below both.
"""

from __future__ import annotations

import numpy as np

from nnclaims.proofs.subspace import prune_to_maximum_match

__all__ = ["ZERO", "remove_zeros", "relative_residuals", "eps_maximum_match", "eps_minimal_match",
           "find_maximal_epsilon", "find_minimal_epsilon", "eps_similarity"]

ZERO = 1e-16
"""A row (neuron) whose Euclidean norm is at most this is an all-zero neuron: it is dropped before matching and
never matches (it stays in the similarity's denominator).  The value of Wang et al.'s code (``_ZERO`` in
``utils/match_utils.py``); the project used 1e-12 before, which drops rows of norm 1e-16..1e-12 that the
reference keeps — on such a row the similarity can flip between 0 and 1.  ``zero=`` chooses another value."""


def remove_zeros(Z: np.ndarray, zero: float = ZERO) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``Z`` whose norm exceeds ``zero``, and their indices."""
    keep = np.where(np.linalg.norm(Z, axis=1) > zero)[0]
    return Z[keep], keep


def relative_residuals(Z: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""Distance of each row of ``Z`` to the row span of ``B``, relative to the row's norm:
    :math:`\|B^\top c - z\| / \|z\|` with ``c`` the least-squares solution (``lstsq``, ``rcond=None``), computed
    exactly as Wang et al.'s ``dists2plane`` (rows of ``Z`` are nonzero; an empty ``B`` spans {0}: distance 1).

    >>> relative_residuals(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]))  # 45°: sin = 1/√2
    array([0.70710678])
    """
    if len(B) == 0:
        return np.ones(len(Z))
    Y_t, X_t = np.transpose(B), np.transpose(Z)
    solution = np.linalg.lstsq(Y_t, X_t, rcond=None)
    dist = np.linalg.norm(np.dot(Y_t, solution[0]) - X_t, axis=0)
    return dist / np.linalg.norm(X_t, axis=0)


def eps_maximum_match(ZX: np.ndarray, ZY: np.ndarray, eps: float, *, zero: float = ZERO) -> tuple[list[int], list[int]]:
    r"""Wang et al.'s ε-approximate maximum match (rows = neurons): drop all-zero rows (norm ≤ ``zero``), then prune
    the rows of X farther than ε (relative) from span Y, then those of Y from span X, until nothing changes.

    The same decisions as the reference's ``find_maximal_match`` (a row is kept when its distance is ``<= eps``).

    >>> eps_maximum_match(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[2.0, 0.0]]), 0.1)
    ([0], [0])
    """
    ZX, ZY = np.asarray(ZX, dtype=float), np.asarray(ZY, dtype=float)
    (Xz, nzx), (Yz, nzy) = remove_zeros(ZX, zero), remove_zeros(ZY, zero)
    Zs = (Xz, Yz)

    def outside(side, keep, other):
        r = relative_residuals(Zs[side][keep], Zs[1 - side][other])
        return [k for k, ri in zip(keep, r) if not ri <= eps]

    X, Y = prune_to_maximum_match(len(nzx), len(nzy), outside)
    return [int(nzx[i]) for i in X], [int(nzy[j]) for j in Y]


def eps_minimal_match(ZX, ZY, side: int, v: int, eps: float, *, randomized: bool = False,
                      rng: np.random.RandomState | None = None, is_max: bool = False, zero: float = ZERO):
    r"""Wang et al.'s v-minimal match (their ``find_minimal_match``): start from the maximum match, try removing
    each neuron once — X's in order, then Y's (``randomized``: a fair coin picks the side, then a uniformly random
    untried neuron) — and keep a removal when ``v`` stays in the remainder's maximum match.  ``None`` when ``v`` is
    not in the maximum match.  ``rng`` (a legacy ``RandomState``) draws exactly as the reference draws from
    ``np.random``, so a seed reproduces its randomised answer.  ``is_max``: ``ZX, ZY`` already are the maximum
    match (no first pruning)."""
    ZX, ZY = np.asarray(ZX, dtype=float), np.asarray(ZY, dtype=float)
    rng = rng if rng is not None else np.random.RandomState(0)
    unchecked = [np.ones(len(ZX), dtype=bool), np.ones(len(ZY), dtype=bool)]
    if is_max:
        idx = [np.arange(len(ZX)), np.arange(len(ZY))]
    else:
        X, Y = eps_maximum_match(ZX, ZY, eps, zero=zero)
        idx = [np.array(X, dtype=int), np.array(Y, dtype=int)]
    if v not in idx[side]:
        return None
    unchecked[side][v] = False
    while True:
        left = [np.where(unchecked[s][idx[s]])[0] for s in (0, 1)]
        trial = [idx[0].copy(), idx[1].copy()]
        order = (0, 1) if (not randomized or rng.rand() > 0.5) else (1, 0)
        for s in order:
            if len(left[s]) > 0:
                pos = rng.choice(left[s]) if randomized else left[s][0]
                unchecked[s][idx[s][pos]] = False
                trial[s] = np.delete(trial[s], pos)
                break
        else:
            break
        X, Y = _pruned_match(ZX[trial[0]], ZY[trial[1]], eps)
        if v in (trial[0][X] if side == 0 else trial[1][Y]):
            idx = trial
    return [int(i) for i in idx[0]], [int(j) for j in idx[1]]


def _pruned_match(ZX: np.ndarray, ZY: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Maximum match of rows already free of zeros (the reference's ``has_purge=True``)."""
    if len(ZX) == 0 or len(ZY) == 0:
        return np.array([], dtype=int), np.array([], dtype=int)

    def outside(side, keep, other):
        r = relative_residuals((ZX, ZY)[side][keep], (ZX, ZY)[1 - side][other])
        return [k for k, ri in zip(keep, r) if not ri <= eps]

    X, Y = prune_to_maximum_match(len(ZX), len(ZY), outside)
    return np.array(X, dtype=int), np.array(Y, dtype=int)


def find_maximal_epsilon(ZX, ZY, *, zero: float = ZERO) -> float:
    r"""The least ε at which the whole (nonzero) layers match: the largest relative distance of a nonzero neuron
    to the other layer's span, both ways (0 when a side has no nonzero neuron) — the reference's
    ``find_maximal_epsilon``.

    >>> round(find_maximal_epsilon(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]])), 12)  # sin 45°
    0.707106781187
    """
    (X, _), (Y, _) = remove_zeros(np.asarray(ZX, dtype=float), zero), remove_zeros(np.asarray(ZY, dtype=float), zero)
    if len(X) == 0 or len(Y) == 0:
        return 0.0
    return float(max(0, np.max(relative_residuals(X, Y)), np.max(relative_residuals(Y, X))))


def find_minimal_epsilon(ZX, ZY, lo: float, hi: float, *, min_size: int = 0, tol: float = 1e-4):
    r"""Bisection for the least ε whose maximum match has at least ``min_size`` neurons on each side, between ``lo``
    (no such match) and ``hi`` (one exists), to ``tol``; each successful step restricts the search to the match
    found, as the reference's ``find_minimal_epsilon`` does.  Returns ``(ε, X, Y)``."""
    ZX, ZY = np.asarray(ZX, dtype=float), np.asarray(ZY, dtype=float)
    ix, iy = np.arange(len(ZX)), np.arange(len(ZY))
    while hi - lo > tol:
        mid = (lo + hi) * 0.5
        X, Y = eps_maximum_match(ZX[ix], ZY[iy], mid)
        if min(len(X), len(Y)) >= min_size:
            hi, ix, iy = mid, ix[X], iy[Y]
        else:
            lo = mid
    return hi, [int(i) for i in ix], [int(j) for j in iy]


def eps_similarity(ZX, ZY, eps: float) -> float:
    r"""Maximum-match similarity :math:`(|X^*| + |Y^*|) / (|F| + |G|)` at ``eps``."""
    X, Y = eps_maximum_match(ZX, ZY, eps)
    return (len(X) + len(Y)) / (len(ZX) + len(ZY))
