r"""A Hessian summary of a user's network on their data, for ``nnclaims measure --hessian``.

:func:`hessian_summary` takes the weights as ``torch.nn.Linear`` stores them (``(out, in)``, input layer first,
optionally with a leading network axis of size 1 as :func:`nnclaims.numeric.measure.measure` passes them), the
biases (``None`` entries for bias-free layers), the activation name and the data, and returns, in float64:

- ``rank``: numerical rank of :math:`H = \nabla^2_\theta L` (eigenvalues above :math:`P\varepsilon\max|\lambda|`);
- ``gauss_newton_rank``: the same for :math:`G = \sum_x J_x^\top\Lambda_x J_x`;
- ``top_eigenvalues``: the ``top_k`` largest (algebraic) eigenvalues of H, in decreasing order;
- ``trace``: :math:`\mathrm{tr}\,H`;
- ``residual_norm``: the spectral norm :math:`\|R\|_2` of the residual term :math:`R = H - G =
  \sum_x\sum_c g_{xc}\nabla^2 f_c(x)` (0 at a perfect-loss optimum of the squared error).

The loss is the squared error :math:`L = \tfrac12\sum_x\|f(x) - y_x\|^2` for float targets ``(samples, q)`` and the
summed softmax cross-entropy for integer labels ``(samples,)``.  When the dense matrices fit ``budget``
(:func:`nnclaims.numeric.curvature.dense_chunk`) everything is exact (``"method": "dense"``); otherwise the top
eigenvalues and ``residual_norm`` come from Lanczos, the trace from Hutchinson's estimator (with its standard
error) and the ranks are lower bounds from the Lanczos spectrum (``"method": "lanczos"``, ``"exact": false``).
"""

from __future__ import annotations

import torch

from .curvature import (DENSE_BUDGET, Arch, MemoryBudgetError, dense, dense_chunk, ggn_vp, hutchinson_trace, hvp,
                        lanczos, loss, numerical_rank, residual_vp)

__all__ = ["hessian_summary", "hessian_section", "DEFINITIONS"]

F64 = torch.float64
DEFINITIONS = {
    "loss": "squared error ½Σ_x |f(x) − y_x|² for float targets; summed softmax cross-entropy for integer labels",
    "rank": "numerical rank of the loss Hessian H: eigenvalues with |λ| > P·eps·max|λ| (dense); a lower bound "
            "from the Lanczos spectrum otherwise",
    "gauss_newton_rank": "the same for the Gauss–Newton term G = Σ_x J_xᵀ Λ_x J_x (Λ_x the loss Hessian in the "
                         "outputs: I for squared error, diag(p) − ppᵀ for cross-entropy)",
    "top_eigenvalues": "largest eigenvalues of H (algebraic), decreasing",
    "trace": "trace of H (exact when dense; Hutchinson estimate with its standard error otherwise)",
    "residual_norm": "spectral norm of the residual term R = H − G = Σ_x Σ_c ∂ℓ/∂f_c ∇²f_c(x)",
}


def _unstack(t, dims: int):
    return None if t is None else (t[0] if t.dim() == dims + 1 else t)


def _flat(weights, biases) -> torch.Tensor:
    parts = []
    for W, b in zip(weights, biases):
        parts.append(W.T.reshape(-1))
        if b is not None:
            parts.append(b.reshape(-1))
    return torch.cat(parts)


def hessian_summary(weights, biases, activation: str, X, Y, *, top_k: int = 5, budget: int = DENSE_BUDGET,
                    lanczos_steps: int = 60, hutchinson_samples: int = 64, seed: int = 0) -> dict:
    """The summary of the module docstring (float64, on the device of ``X``).

    Args:
        weights: ``L + 1`` tensors ``(out, in)`` or ``(1, out, in)``, input layer first.
        biases: ``L + 1`` tensors ``(out,)`` / ``(1, out)`` or ``None`` each (or ``None`` for no biases at all).
        activation: relu, tanh, gelu, sigmoid or identity (the hidden layers').
        X: ``(samples, d)`` or ``(1, samples, d)``.
        Y: float targets ``(samples, q)`` / ``(1, samples, q)``, or integer labels ``(samples,)`` / ``(1, samples)``.
        top_k: how many top eigenvalues.
        budget: bytes the dense matrices may take (else Lanczos/Hutchinson).
        lanczos_steps, hutchinson_samples, seed: the matrix-free estimates' settings.

    Raises:
        ValueError: on shapes that do not chain, or targets that do not match the outputs.
    """
    Ws = [_unstack(torch.as_tensor(W), 2).to(F64) for W in weights]
    bs = [None] * len(Ws) if biases is None else [None if b is None else _unstack(torch.as_tensor(b), 1).to(F64)
                                                  for b in biases]
    X = _unstack(torch.as_tensor(X), 2).to(F64)
    Y = torch.as_tensor(Y)
    labels = not Y.is_floating_point()
    Y = _unstack(Y, 1 if labels else 2)
    Y = Y.long() if labels else Y.to(F64)
    if len(bs) != len(Ws) or any(Ws[i].shape[1] != Ws[i - 1].shape[0] for i in range(1, len(Ws))) \
            or X.shape[-1] != Ws[0].shape[1]:
        raise ValueError(f"weights {[tuple(W.shape) for W in Ws]} do not chain from {X.shape[-1]} inputs")
    arch = Arch(d=Ws[0].shape[1], widths=tuple(W.shape[0] for W in Ws[:-1]), q=Ws[-1].shape[0], activation=activation,
                bias=tuple(b is not None for b in bs))
    if (labels and Y.shape != (X.shape[0],)) or (not labels and Y.shape != (X.shape[0], arch.q)):
        raise ValueError(f"targets {tuple(Y.shape)} do not match {X.shape[0]} samples and {arch.q} outputs")
    kind = "xent" if labels else "mse"
    theta = _flat(Ws, bs).to(X.device)
    P = arch.P
    out = {"loss": kind, "loss_value": float(loss(theta, X, Y, arch, kind)), "parameters": P}
    try:
        dense_chunk(P, X.shape[0], arch, budget=budget)
    except MemoryBudgetError:
        return {**out, **_matrix_free(theta, X, Y, arch, kind, top_k, lanczos_steps, hutchinson_samples, seed),
                "definitions": DEFINITIONS}
    d = dense(theta, X, Y, arch, kind, budget=budget, parts=("H", "G", "R"))
    evH, evG, evR = (torch.linalg.eigvalsh(d[k]) for k in ("H", "G", "R"))
    return {**out, "rank": numerical_rank(evH, P), "gauss_newton_rank": numerical_rank(evG, P),
            "top_eigenvalues": evH.flip(0)[:top_k].tolist(), "trace": float(torch.diagonal(d["H"]).sum()),
            "residual_norm": float(evR.abs().max()), "method": "dense", "exact": True, "definitions": DEFINITIONS}


def _matrix_free(theta, X, Y, arch: Arch, kind: str, top_k: int, steps: int, samples: int, seed: int) -> dict:
    P = arch.P
    op = lambda prod: (lambda v: prod(theta, v, X, Y, arch, kind))  # noqa: E731
    kw = dict(steps=steps, seed=seed, dtype=theta.dtype, device=theta.device)
    H, G, R = (lanczos(op(p), P, top_k, **kw) for p in (hvp, ggn_vp, residual_vp))
    tr = hutchinson_trace(op(hvp), P, samples, seed=seed, dtype=theta.dtype, device=theta.device)
    return {"rank": numerical_rank(H["ritz"], P), "gauss_newton_rank": numerical_rank(G["ritz"], P),
            "top_eigenvalues": H["top"], "trace": tr["estimate"], "trace_stderr": tr["stderr"],
            "residual_norm": float(R["ritz"].abs().max()), "method": "lanczos", "exact": H["complete"],
            "lanczos_steps": H["steps"], "hutchinson_samples": samples}


def hessian_section(weights, biases, X, Y, activation: str) -> dict:
    """:func:`hessian_summary` with the argument order of ``measure(..., sections={"hessian": hessian_section})``
    (stacked tensors with a leading network axis of size 1; needs targets)."""
    if Y is None:
        raise ValueError("--hessian needs targets (--targets Y.npy)")
    return hessian_summary(weights, biases, activation, X, Y)
