r"""A Hessian summary of a user's network on their data, for ``nnclaims measure --hessian``.

:func:`hessian_summary` takes the weights as ``torch.nn.Linear`` stores them (``(out, in)``, input layer first,
optionally with a leading network axis of size 1 as :func:`nnclaims.numeric.measure.measure` passes them), the
biases (``None`` entries for bias-free layers), the activation name and the data, and returns, in float64, for the
**mean** loss :math:`L = \frac1n\sum_x \ell(f(x), y_x)` (the convention ``measure`` uses everywhere;
``"loss_reduction": "mean"``):

- ``rank``: numerical rank of :math:`H = \nabla^2_\theta L` (eigenvalues above :math:`P\varepsilon\max|\lambda|`);
- ``gauss_newton_rank``: the same for :math:`G = \frac1n\sum_x J_x^\top\Lambda_x J_x`;
- ``top_eigenvalues``: the ``top_k`` largest (algebraic) eigenvalues of H, in decreasing order;
- ``trace``: :math:`\mathrm{tr}\,H`;
- ``residual_norm``: the spectral norm :math:`\|R\|_2` of the residual term :math:`R = H - G`.

Each number says how it was computed (``rank_method``, ``gauss_newton_rank_method``, ``eigenvalues_method``,
``trace_method``, ``residual_norm_method``):

- **H** dense when H and the copy ``eigvalsh`` makes fit ``budget`` (``2·P²·8`` bytes plus the column products,
  :func:`~nnclaims.numeric.curvature.dense_bytes`): exact rank, eigenvalues and trace.  Otherwise Lanczos for the
  top eigenvalues, :math:`\mathrm{tr}\,G` exact plus Hutchinson's estimate of :math:`\mathrm{tr}\,R` for the trace,
  and the rank as an interval ``rank_interval = [lower, upper]`` (``rank`` is then None): ``lower`` counts the Ritz
  values :math:`\theta_i` with :math:`|\theta_i| > \tau + \beta`, where :math:`\beta = \|AQ - QT\|_2` is the
  Lanczos residual norm — by Kahan's theorem (Parlett, *The Symmetric Eigenvalue Problem*, Thm 11.5.2) the ``m``
  Ritz values pair one-to-one with ``m`` eigenvalues of H within :math:`\beta`, so each one counted certifies a
  distinct eigenvalue above the threshold :math:`\tau` (taken at its largest possible value,
  :math:`P\varepsilon(\max|\theta| + \beta)`); ``upper`` = :math:`\min(P, \operatorname{rank} G +
  \operatorname{rank} R)` (subadditivity of rank) with :math:`\operatorname{rank} R \le P - q_b`, :math:`q_b` the
  output biases (``f`` is affine in them, so their rows of every :math:`\nabla^2 f_c` vanish).
  ``lower_limited_by_steps`` says when every Lanczos vector counted (the lower end then says no more than that).
- **G** (its rank) from the eigenvalues of the smaller Gram form, :math:`\tilde J\tilde J^\top` (``n·q × n·q``)
  or :math:`\tilde J^\top\tilde J`, :math:`\tilde J_x = \Lambda_x^{1/2}J_x`, built in blocks of data points
  (:func:`~nnclaims.numeric.curvature.gauss_newton_eigenvalues`): exact whenever that Gram matrix fits ``budget``,
  however large P.
- **R** when H is dense: products :math:`Rv = Hv - \tilde J^\top(\tilde J v)` where :math:`\tilde J` is held
  whole, else H − G formed in place (no residual products either way); its norm
  :math:`\sqrt{\lambda_{\max}(R^2)}` by Lanczos (products of ``P²`` flops instead of a third ``eigvalsh``), to a
  relative Ritz bound of :data:`RESIDUAL_TOL`.  Otherwise its norm from Lanczos on the residual products
  (``residual_norm`` is then the largest |Ritz value|, a lower bound of the norm, with the residual bound of that
  Ritz value in ``residual_norm_bound``).
"""

from __future__ import annotations

import torch

from .curvature import (DENSE_BUDGET, Arch, MemoryBudgetError, _column_bytes, columns, dense_bytes,
                        gauss_newton_eigenvalues, hutchinson_trace, hvp, lanczos, loss, numerical_rank, residual_vp)

__all__ = ["hessian_summary", "hessian_section", "hessian_rank_interval", "DEFINITIONS"]

F64 = torch.float64
RESIDUAL_TOL = 1e-13
"""Relative Ritz bound at which Lanczos on the dense R² stops (the norm's relative error is about half of it)."""
DEFINITIONS = {
    "loss": "mean over the samples: ½|f(x) − y_x|² for float targets; softmax cross-entropy for integer labels",
    "rank": "numerical rank of the loss Hessian H: eigenvalues with |λ| > P·eps·max|λ|; null, with rank_interval "
            "[lower, upper], when H is too large to form (see rank_method)",
    "gauss_newton_rank": "the same for the Gauss–Newton term G = (1/n) Σ_x J_xᵀ Λ_x J_x (Λ_x the loss Hessian in "
                         "the outputs: I for squared error, diag(p) − ppᵀ for cross-entropy), from the eigenvalues "
                         "of the smaller Gram matrix of Λ^½ J (the same nonzero eigenvalues as G)",
    "top_eigenvalues": "largest eigenvalues of H (algebraic), decreasing",
    "trace": "trace of H (exact when dense; tr G exact + Hutchinson estimate of tr R with its standard error "
             "otherwise)",
    "residual_norm": "spectral norm of the residual term R = H − G = (1/n) Σ_x Σ_c ∂ℓ/∂f_c ∇²f_c(x)",
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
        budget: bytes everything built may take (dense H, the Gram matrix, their ``eigvalsh`` copies, the chunks).
        lanczos_steps, hutchinson_samples, seed: the matrix-free estimates' settings (only where H is not dense).

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
    P, n = arch.P, X.shape[0]
    mean = 1.0 / n  # the curvature module's loss is the sum; everything here is of the mean
    out = {"loss": kind, "loss_reduction": "mean", "loss_value": mean * float(loss(theta, X, Y, arch, kind)),
           "parameters": P, "samples": n, "budget_bytes": budget}
    H = None
    try:  # H and eigvalsh's copy of it, plus the column products
        chunk = _dense_h_chunk(P, n, arch, budget, theta.element_size())
    except MemoryBudgetError:
        chunk = None
    if chunk is not None:
        H = columns(lambda e: hvp(theta, e, X, Y, arch, kind), P, chunk, theta.dtype, theta.device)
        evH = torch.linalg.eigvalsh(H).flip(0)
        out.update({"rank": numerical_rank(evH, P), "rank_method": "dense: eigenvalues of H (eigvalsh)",
                    "top_eigenvalues": (mean * evH[:top_k]).tolist(), "eigenvalues_method": "dense (eigvalsh)",
                    "trace": mean * float(torch.diagonal(H).sum()), "trace_method": "dense: sum of H's diagonal"})
        del evH
    try:
        gn = gauss_newton_eigenvalues(theta, X, Y, arch, kind, budget=budget, residual_of=H,
                                      keep_rows=H is not None)
        form = "(Λ^½J)(Λ^½J)ᵀ" if gn["gram"] == "JJᵀ" else "(Λ^½J)ᵀ(Λ^½J) = G"
        out.update({"gauss_newton_rank": numerical_rank(gn["eigenvalues"], P),
                    "gauss_newton_rank_method": f"exact: eigenvalues of the {gn['size']} × {gn['size']} Gram matrix "
                                                f"{form}, built in {gn['blocks']} block(s) of data points"})
    except MemoryBudgetError as e:
        gn, H = None, None  # without G, R is not H − G: its norm from the residual products below
        out.update({"gauss_newton_rank": None, "gauss_newton_rank_method": f"not computed: {e}"})
    if H is not None:  # R = H − J̃ᵀJ̃ (products with the kept rows) or H now holds R: its norm by Lanczos on R²
        rows = gn.pop("rows", None)
        Rv = (lambda v: H @ v) if rows is None else (lambda v: H @ v - rows.T @ (rows @ v))  # noqa: E731
        held = P * P + (0 if rows is None else rows.numel())
        steps = int(max(2, min(P, (budget // theta.element_size() - held) // P - 4)))  # the basis fits the budget
        lz = lanczos(lambda v: Rv(Rv(v)), P, 1, steps=steps, tol=RESIDUAL_TOL, dtype=H.dtype, device=H.device)
        formed = "R = H − G formed in place" if rows is None else "Rv = Hv − J̃ᵀ(J̃v) with J̃ = Λ^½J kept"
        del H, rows
        norm = float(lz["ritz"][0]) ** 0.5
        out.update({"residual_norm": mean * norm,
                    "residual_norm_bound": mean * float(lz["bounds"][0]) / (2 * norm) if norm > 0 else 0.0,
                    "residual_norm_method": f"dense H: {formed}; ‖R‖₂ = √λ_max(R²) by Lanczos ({lz['steps']} "
                                            f"steps, stopping at a relative Ritz bound {RESIDUAL_TOL:g})",
                    "method": "dense", "exact": True})
        return {**out, "definitions": DEFINITIONS}
    out.update(_matrix_free(theta, X, Y, arch, kind, top_k, lanczos_steps, hutchinson_samples, seed, gn,
                            "rank" not in out))
    out.update({"method": "dense" if "lanczos_steps" not in out else "matrix-free", "exact": False})
    return {**out, "definitions": DEFINITIONS}


def _dense_h_chunk(P: int, n: int, arch: Arch, budget: int, size: int) -> int:
    """Column products per chunk so that H, ``eigvalsh``'s copy of it and the chunk fit ``budget``."""
    need = dense_bytes(P, n, arch, itemsize=size, chunk=1, parts=("H",)) + P * P * size
    if need > budget:
        raise MemoryBudgetError(f"H and its eigvalsh copy need {need / 2 ** 30:.2f} GiB > {budget / 2 ** 30:.2f} GiB")
    return int(min(P, 1 + (budget - need) // _column_bytes(n, arch, size)))


def hessian_rank_interval(lz: dict, P: int, gauss_newton_rank: int | None, output_biases: int) -> dict:
    """``[lower, upper]`` for the numerical rank of H from a :func:`~nnclaims.numeric.curvature.lanczos` run
    ``lz`` and the Gauss–Newton rank (the argument is in the module docstring)."""
    ritz = lz["ritz"].abs()
    beta = float(lz["beta"])
    tau = P * torch.finfo(F64).eps * (float(ritz.max()) + beta)
    lower = int((ritz > tau + beta).sum())
    upper = P if gauss_newton_rank is None else min(P, gauss_newton_rank + P - output_biases)
    return {"rank_interval": [lower, upper], "lower_limited_by_steps": lower == lz["steps"]}


def _matrix_free(theta, X, Y, arch: Arch, kind: str, top_k: int, steps: int, samples: int, seed: int, gn,
                 need_h: bool) -> dict:
    P, mean = arch.P, 1.0 / X.shape[0]
    op = lambda prod: (lambda v: prod(theta, v, X, Y, arch, kind))  # noqa: E731
    kw = dict(steps=steps, seed=seed, dtype=theta.dtype, device=theta.device)
    out = {}
    if need_h:
        H = lanczos(op(hvp), P, top_k, **kw)
        if gn is not None:
            tr = hutchinson_trace(op(residual_vp), P, samples, seed=seed, dtype=theta.dtype, device=theta.device)
            trace, how = gn["trace"] + tr["estimate"], "tr G exact (Gram) + Hutchinson estimate of tr R"
        else:
            tr = hutchinson_trace(op(hvp), P, samples, seed=seed, dtype=theta.dtype, device=theta.device)
            trace, how = tr["estimate"], "Hutchinson estimate of tr H"
        rank_gn = None if gn is None else numerical_rank(gn["eigenvalues"], P)
        qb = arch.q if arch.bias_flags[-1] else 0
        out.update({"rank": None, **hessian_rank_interval(H, P, rank_gn, qb),
                    "rank_method": f"interval: lower = Ritz values of {H['steps']} Lanczos steps above the threshold "
                                   "by more than the Lanczos residual norm (Kahan); upper = min(P, rank G + P − "
                                   "output biases) (rank subadditivity)",
                    "top_eigenvalues": [mean * v for v in H["top"]],
                    "eigenvalues_method": f"Lanczos, {H['steps']} steps (full re-orthogonalisation)",
                    "top_eigenvalue_bounds": [mean * float(b) for b in H["bounds"][:top_k]],
                    "trace": mean * trace, "trace_stderr": mean * tr["stderr"], "trace_method": how,
                    "lanczos_steps": H["steps"], "hutchinson_samples": samples})
    R = lanczos(op(residual_vp), P, 1, **kw)
    i = int(R["ritz"].abs().argmax())
    out.update({"residual_norm": mean * float(R["ritz"][i].abs()),
                "residual_norm_bound": mean * float(R["bounds"][i]),
                "residual_norm_method": f"Lanczos on the residual products, {R['steps']} steps: largest |Ritz value| "
                                        "(a lower bound of ‖R‖₂; an eigenvalue lies within residual_norm_bound)"})
    return out


def hessian_section(weights, biases, X, Y, activation: str) -> dict:
    """:func:`hessian_summary` with the argument order of ``measure(..., sections={"hessian": hessian_section})``
    (stacked tensors with a leading network axis of size 1; needs targets)."""
    if Y is None:
        raise ValueError("--hessian needs targets (--targets Y.npy)")
    return hessian_summary(weights, biases, activation, X, Y)
