r"""Tolerances derived from the dtype and the size of the computation.

For a float computation whose result is a sum of ``K`` products, the standard rounding bound
is :math:`|\hat s - s| \le K u \sum |x_i y_i|` with unit roundoff ``u = eps/2``.  We compare
*relative* errors (normalised by the largest magnitude involved) against

.. math:: \mathrm{tol}(K) = 8\,K\,\varepsilon_{\text{dtype}}

— a factor 16 above the worst-case bound per layer, enough for a few composed layers.
"""

from __future__ import annotations

import torch

SAFETY = 8


def tolerance(dtype: torch.dtype, size: int) -> float:
    """Relative tolerance for a computation with inner dimension ``size`` in ``dtype``."""
    return SAFETY * max(int(size), 1) * torch.finfo(dtype).eps


def rel_err(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-network relative error ``max|a-b| / max(max|b|, tiny)`` over all but the leading axis."""
    diff = (a - b).abs().flatten(1).amax(1)
    scale = b.abs().flatten(1).amax(1).clamp_min(torch.finfo(b.dtype).tiny)
    return diff / scale


def as_stated_from(errs: torch.Tensor, tol: float) -> str:
    """``holds`` when every error is within ``tol``, else ``violated`` (errors of the claim as stated)."""
    return "holds" if float(errs.detach().max()) <= tol else "violated"


def negative_control(description: str, errs: torch.Tensor, tol: float) -> dict:
    """The record of a negative control: the same statistic on cases built to violate the identity; it
    ``fails`` (as it must) when *every* case exceeds ``tol``."""
    errs = errs.detach().to("cpu", torch.float64).flatten()
    return {"description": description, "value": float(errs.min()), "fails": bool((errs > tol).all())}


def holding_control(description: str, errs: torch.Tensor, tol: float) -> dict:
    """The control of a check whose finding is a *violation* (a false claim): cases where the identity holds
    (e.g. scaling by 1), which the statistic must find within ``tol``.  Like :func:`negative_control`, ``fails``
    means the control came out against the check's finding, as it must."""
    errs = errs.detach().to("cpu", torch.float64).flatten()
    return {"description": description, "value": float(errs.max()), "fails": bool((errs <= tol).all())}


def identity_result(claim_id: str, errs: torch.Tensor, tol: float, networks: int, device: str, statistic: str,
                    *, as_stated: str, control: dict, **details):
    """The numeric record of an identity check: ``consistent`` when the worst per-network error is within
    ``tol``, ``violated`` (with the worst network as witness) otherwise, ``error`` when no network met the
    check's precondition or when the negative ``control`` (:func:`negative_control`) did not fail — a check
    that cannot fail is no check.  ``as_stated`` is the check's reading of the claim as the seed states it
    (:func:`as_stated_from` where the errors measure the statement itself).  The per-network errors are kept
    for the report's distribution plots."""
    from nnclaims.proofs.record import NumericResult

    if networks == 0 or errs.numel() == 0:
        return NumericResult(claim_id, "error", statistic, None, 0, device, tolerance=tol, control=control,
                             details={"error": "no network met the precondition (e.g. loss ≤ 1e-8)", **details})
    errs = errs.detach().to("cpu", torch.float64).flatten()
    worst = float(errs.max())
    status = "consistent" if worst <= tol else "violated"
    witness = None if status == "consistent" else {"network": int(errs.argmax()), "relative_error": worst}
    if not control.get("fails"):
        status = "error"
        details = {"error": f"the negative control ({control['description']}) did not fail: the check cannot fail",
                   **details}
    return NumericResult(claim_id, status, statistic, worst, networks, device, tolerance=tol,
                         details={"median": float(errs.median()), "per_network": errs.tolist(), **details},
                         witness=witness, as_stated=as_stated, control=control)
