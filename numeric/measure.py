r"""The seeds' per-layer quantities measured on a user's own network and data (``nnclaims measure``).

For each weight layer :math:`l = 1..L+1` of a network read by :func:`nnclaims.numeric.models.read_model`
(column convention, :math:`z_l = W_l h_{l-1} + b_l`, :math:`h_l = \sigma(z_l)`, :math:`f = z_{L+1}`), with
:math:`\mathrm{AGOP}_l = W_l^\top G_l W_l` and :math:`G_l` from the one-pass sweep
:func:`nnclaims.numeric.agop.agop_sweep` (the AGOP of the whole network's output with respect to the layer's
input :math:`h_{l-1}`, averaged over the data):

- ``nfa_cosine`` :math:`\cos(W_l^\top W_l, \mathrm{AGOP}_l)`, ``nfa_pearson`` (the same, centred) and
  ``sqrt_agop_cosine`` :math:`\cos(W_l^\top W_l, \mathrm{AGOP}_l^{1/2})` — the neural feature ansatz;
- ``isotropy_cosine`` :math:`\cos(G_l, I)` and ``isotropy_cosine_on_range`` :math:`\cos(PG_lP, P)` with
  :math:`P` the orthogonal projector onto :math:`\operatorname{range}(W_l)`;
- ``rank_W``/``effective_rank_W``, ``rank_AGOP``/``effective_rank_AGOP`` and ``feature_rank`` (the numerical
  rank of the layer's outputs on the data, :math:`h_l` or :math:`f`), as defined in :data:`DEFINITIONS`.

Here :math:`\cos(A, B) = \langle A, B\rangle_F / (\|A\|_F \|B\|_F)`.  For the output layer :math:`J` is the
identity, so :math:`G_{L+1} = I` and :math:`\mathrm{AGOP}_{L+1} = W_{L+1}^\top W_{L+1}`: its cosines are 1 by
construction, reported for completeness.

>>> A = torch.tensor([[2., 0.], [0., 1.]], dtype=torch.float64)
>>> round(float(cosine(A, torch.eye(2, dtype=torch.float64))), 6)  # 3 / (√5 · √2)
0.948683
>>> float(effective_rank(torch.tensor([1., 1., 0.])))  # two equal singular values: exp(log 2)
2.0
>>> numerical_rank(torch.tensor([1.0, 1e-20], dtype=torch.float64), (2, 2))
1
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import torch

from .agop import activation_function, agop_sweep, chunk_rows, forward_layers
from .arrays import checksum
from .models import FeedForward

__all__ = ["DEFINITIONS", "cosine", "pearson", "psd_sqrt", "effective_rank", "numerical_rank", "range_projector",
           "layer_quantities", "feature_singular_values", "target_kind", "measure"]

DEFINITIONS = {
    "AGOP_l": "mean over the data of JᵀJ, J = ∂f/∂h_{l-1} the Jacobian of the whole network's output with respect "
              "to layer l's input (the data for l = 1); computed as W_lᵀ G_l W_l, G_l = mean of J_lᵀJ_l with "
              "J_l = ∂f/∂z_l, by one forward and one backward sweep over chunks of the data",
    "nfa_cosine": "uncentred cosine <W_lᵀW_l, AGOP_l>_F / (|W_lᵀW_l|_F |AGOP_l|_F)",
    "nfa_pearson": "Pearson correlation of the entries of W_lᵀW_l and AGOP_l (centred cosine)",
    "sqrt_agop_cosine": "uncentred cosine of W_lᵀW_l and the PSD square root of AGOP_l",
    "isotropy_cosine": "uncentred cosine of G_l and the identity I (AGOP_l = W_lᵀ G_l W_l)",
    "isotropy_cosine_on_range": "uncentred cosine of P G_l P and P, P the orthogonal projector onto range(W_l) "
                                "(P = U_r U_rᵀ, U_r the left singular vectors of W_l beyond the rank tolerance)",
    "rank": "numerical rank: singular values above σ_max · max(rows, columns) · eps(dtype) (numpy.linalg.matrix_rank's "
            "default tolerance); rank_W with W's shape; rank_AGOP with (samples·outputs, n_{l-1}), the shape of the "
            "stacked Jacobian rows whose Gram matrix (over samples) the AGOP is, since the AGOP's own rounding grows "
            "with that sum",
    "effective_rank": "Roy & Vetterli (2007): exp(−Σ p_k log p_k), p_k = σ_k / Σσ (singular values; 0 log 0 = 0)",
    "feature_rank": "numerical rank (the rule above, with the full shape (samples, width)) of the layer's outputs on "
                    "the data: h_l = σ(z_l) for a hidden layer, f for the output layer; singular values from the R "
                    "factor of a QR accumulated over chunks of the data (TSQR)",
    "loss": "targets (samples, outputs): mean over samples of ½|f(x) − y|²; class labels 0..q−1: mean softmax "
            "cross-entropy, and accuracy of argmax f",
    "sha256": "of the array as measured: float64, little-endian, C order",
}


def cosine(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Uncentred cosine :math:`\\langle A, B\\rangle_F / (\\|A\\|_F \\|B\\|_F)` (0 when either is zero)."""
    den = A.norm() * B.norm()
    return (A * B).sum() / den if float(den) > 0 else A.new_zeros(())


def pearson(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of the entries: the cosine of the centred matrices.

    >>> A = torch.tensor([[1., 2.], [3., 4.]])
    >>> float(pearson(A, 2 * A + 5))
    1.0
    """
    return cosine(A - A.mean(), B - B.mean())


def psd_sqrt(M: torch.Tensor) -> torch.Tensor:
    """The PSD square root of a symmetric matrix (negative rounding-level eigenvalues set to 0).

    >>> M = torch.tensor([[4., 0.], [0., 9.]], dtype=torch.float64)
    >>> psd_sqrt(M).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    ev, V = torch.linalg.eigh(M)
    return (V * ev.clamp_min(0).sqrt()) @ V.mT


def effective_rank(s: torch.Tensor) -> torch.Tensor:
    """Roy & Vetterli's effective rank :math:`\\exp(-\\sum_k p_k \\log p_k)`, :math:`p_k = \\sigma_k / \\sum \\sigma`,
    of singular values ``s`` (0 for an all-zero ``s``)."""
    total = s.sum()
    if float(total) <= 0:
        return s.new_zeros(())
    p = s / total
    return torch.exp(-torch.where(p > 0, p * torch.log(p), torch.zeros_like(p)).sum())


def numerical_rank(s: torch.Tensor, shape: tuple[int, int]) -> int:
    """Singular values above ``σ_max · max(shape) · eps(dtype)``: numpy's ``matrix_rank`` default."""
    if s.numel() == 0:
        return 0
    tol = s.max() * max(shape) * torch.finfo(s.dtype).eps
    return int((s > tol).sum())


def range_projector(W: torch.Tensor) -> torch.Tensor:
    """Orthogonal projector onto range(W): ``U_r U_rᵀ`` with ``r`` = :func:`numerical_rank` of ``W``.

    >>> W = torch.tensor([[1., 1.], [1., 1.], [0., 0.]], dtype=torch.float64)
    >>> u = torch.tensor([[1.], [1.], [0.]], dtype=torch.float64) / 2 ** 0.5  # the line spanned by (1, 1, 0)
    >>> bool(torch.allclose(range_projector(W), u @ u.T))
    True
    """
    U, s, _ = torch.linalg.svd(W, full_matrices=False)
    Ur = U[:, :numerical_rank(s, tuple(W.shape))]
    return Ur @ Ur.mT


def layer_quantities(W: torch.Tensor, G: torch.Tensor, AGOP: torch.Tensor, rows: int) -> dict:
    """The per-layer quantities of the module docstring for one network (``W (n_l, n_{l-1})``, ``G (n_l, n_l)``,
    ``AGOP (n_{l-1}, n_{l-1})``), as Python numbers.  ``rows`` = samples × outputs: the AGOP is the Gram matrix of
    that many Jacobian rows, so its rank tolerance is numpy's rule for a ``(rows, n_{l-1})`` matrix (the Gram's
    own rounding grows with the number of terms summed, and a tolerance sized for ``n_{l-1}`` alone would
    count rounding as rank)."""
    WtW = W.mT @ W
    eye = torch.eye(G.shape[0], dtype=G.dtype, device=G.device)
    P = range_projector(W)
    sW = torch.linalg.svdvals(W)
    sA = torch.linalg.eigvalsh(AGOP).clamp_min(0).flip(0)  # PSD: singular values = eigenvalues
    return {
        "nfa_cosine": float(cosine(WtW, AGOP)),
        "nfa_pearson": float(pearson(WtW, AGOP)),
        "sqrt_agop_cosine": float(cosine(WtW, psd_sqrt(AGOP))),
        "isotropy_cosine": float(cosine(G, eye)),
        "isotropy_cosine_on_range": float(cosine(P @ G @ P, P)),
        "rank_W": numerical_rank(sW, tuple(W.shape)),
        "effective_rank_W": float(effective_rank(sW)),
        "rank_AGOP": numerical_rank(sA, (rows, AGOP.shape[0])),
        "effective_rank_AGOP": float(effective_rank(sA)),
    }


def feature_singular_values(weights, X: torch.Tensor, activation: str | Callable = "relu", *, biases=None,
                            chunk_size: int | None = None) -> dict:
    r"""Singular values of the data :math:`X` and of every layer's outputs :math:`H_l` (``(samples, n_l)``, one
    network: leading axis 1), and the outputs :math:`f(X)`, without holding any :math:`H_l` whole: per chunk
    the rows are appended to the previous ``R`` factor and re-factored (:math:`H = QR` ⇒ same singular values).

    Returns:
        ``{"data": s_0, "layers": [s_1, …, s_{L+1}], "outputs": f(X) (samples, q)}``.
    """
    widths = [X.shape[-1]] + [W.shape[1] for W in weights]
    chunk = chunk_size or max(chunk_rows(1, 1, [sum(widths)]), max(widths))
    R = [None] * (len(weights) + 1)
    outputs = []
    for start in range(0, X.shape[1], chunk):
        Xc = X[:, start:start + chunk]
        hs = [Xc] + forward_layers(weights, Xc, activation, biases=biases)
        for i, H in enumerate(hs):
            A = H[0] if R[i] is None else torch.cat([R[i], H[0]])
            R[i] = torch.linalg.qr(A, mode="r").R
        outputs.append(hs[-1][0])
    s = [torch.linalg.svdvals(r) for r in R]
    return {"data": s[0], "layers": s[1:], "outputs": torch.cat(outputs)}


def target_kind(Y: np.ndarray, samples: int, outputs: int) -> str:
    """``"regression"`` for ``(samples, outputs)`` targets (or ``(samples,)`` with one output), ``"labels"`` for
    integer class labels ``0..outputs−1`` of shape ``(samples,)``.

    Raises:
        ValueError: any other shape or labels out of range (the message says which).
    """
    if Y.shape[0] != samples:
        raise ValueError(f"{Y.shape[0]} targets for {samples} data samples")
    if Y.ndim == 2 and Y.shape[1] == outputs or Y.ndim == 1 and outputs == 1:
        return "regression"
    if Y.ndim == 1:
        integral = Y.dtype.kind in "biu" or bool(np.all(Y == np.round(Y)))
        if integral and Y.min() >= 0 and Y.max() < outputs:
            return "labels"
        raise ValueError(f"shape {Y.shape} with a {outputs}-output model: give ({samples}, {outputs}) targets or class "
                         f"labels 0..{outputs - 1}")
    raise ValueError(f"shape {Y.shape}: the model has {outputs} outputs, so targets are ({samples}, {outputs}) or "
                     f"class labels ({samples},)")


def _fit(F: torch.Tensor, Y: np.ndarray) -> dict:
    kind = target_kind(Y, F.shape[0], F.shape[1])
    if kind == "labels":
        y = torch.as_tensor(Y.astype(np.int64), device=F.device)
        return {"kind": kind, "cross_entropy": float(torch.nn.functional.cross_entropy(F, y)),
                "accuracy": float((F.argmax(1) == y).to(F.dtype).mean())}
    T = torch.as_tensor(Y.reshape(F.shape[0], -1), dtype=F.dtype, device=F.device)
    return {"kind": kind, "mse": float(0.5 * ((F - T) ** 2).sum(1).mean())}


def measure(model: FeedForward, X: np.ndarray, Y: np.ndarray | None = None, *, activation: str = "relu",
            dtype: torch.dtype = torch.float64, device: str = "cpu", chunk_size: int | None = None,
            sections: Mapping[str, Callable] | None = None) -> dict:
    r"""Every quantity of the module docstring for ``model`` on data ``X`` ``(samples, n_0)`` (and targets ``Y``).

    Args:
        model: from :func:`nnclaims.numeric.models.read_model`.
        X: float array ``(samples, n_0)`` (:func:`nnclaims.numeric.arrays.data_matrix`).
        Y: optional targets (:func:`target_kind`); their loss is reported under ``"targets"``.
        activation: the hidden layers' activation (a state_dict does not record it).
        dtype, device: where and in what precision everything is computed (float64 by default).
        chunk_size: samples per chunk of the AGOP sweep (``None``: :func:`nnclaims.numeric.agop.chunk_rows`).
        sections: extra measurements, ``name -> fn(weights, biases, X, Y, activation) -> dict`` on the stacked
            tensors (leading network axis 1; ``Y`` ``(1, samples, q)`` in ``dtype``, ``(1, samples)`` int64
            labels, or None), each result stored under ``name`` —
            the place where further quantities (e.g. curvature) plug in.

    Returns:
        JSON-ready ``{"model", "data", "targets", "layers", "definitions", **sections}``.
    """
    activation_function(activation)
    Ws, bs = model.stacked(dtype, device)
    Xt = torch.as_tensor(X, dtype=dtype, device=device)[None]
    n, q = X.shape[0], model.widths[-1]
    chunk = chunk_size or chunk_rows(1, q, list(model.widths[1:-1]) or [1])
    sweep = agop_sweep(Ws, Xt, activation, biases=bs, chunk_size=chunk)
    feats = feature_singular_values(Ws, Xt, activation, biases=bs)
    layers = []
    for l, W in enumerate(Ws):
        row = {"layer": l + 1, "keys": [k for k in model.keys[l] if k], "shape": list(W.shape[1:]),
               "bias": model.biases[l] is not None, "output_layer": l == len(Ws) - 1}
        row.update(layer_quantities(W[0], sweep["G"][l][0], sweep["AGOP"][l][0], n * q))
        row["feature_rank"] = numerical_rank(feats["layers"][l], (n, W.shape[1]))
        layers.append(row)
    result = {
        "model": {"path": model.path, "layout": model.layout, "architecture": model.architecture,
                  "widths": list(model.widths), "activation": activation, "parameters": model.parameters,
                  "file_dtype": "+".join(model.file_dtypes), "dtype": str(dtype).removeprefix("torch."),
                  "device": str(device), "sha256": model.sha256},
        "data": {"shape": list(X.shape), "sha256": checksum(X), "rank": numerical_rank(feats["data"], X.shape),
                 "chunk_size": min(chunk, n)},
        "targets": None,
        "layers": layers,
        "definitions": DEFINITIONS,
    }
    if Y is not None:
        result["targets"] = {"shape": list(Y.shape), "sha256": checksum(Y), **_fit(feats["outputs"], Y)}
    Yt = None
    if Y is not None:
        labels = result["targets"]["kind"] == "labels"
        Yt = torch.as_tensor(Y.astype(np.int64) if labels else Y.reshape(n, -1), device=device,
                             dtype=torch.int64 if labels else dtype)[None]
    for name, fn in (sections or {}).items():
        result[name] = fn(Ws, bs, Xt, Yt, activation)
    return result
