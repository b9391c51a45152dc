r"""Numeric cross-checks of constant initialisation on real training runs (float64, CPU/GPU).

*Unit spread* of a layer: :math:`\max_j \max_a |W_1[a,j] - W_1[a,0]|` relative to
:math:`\max|W_1|` — zero exactly when all hidden units share their incoming weights.
"""

from __future__ import annotations

import torch
from torch.func import grad, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import tolerance
from .zoo import ACTIVATIONS, ZooSpec, init_zoo, mse

__all__ = ["check_constant_symmetry", "check_constant_gradient_all_equal", "check_dropout_breaks_symmetry"]

SPEC = ZooSpec()
ACT = ACTIVATIONS[SPEC.activation]
STEPS = 50


def _spread(W: torch.Tensor) -> torch.Tensor:
    """Relative spread of the columns (hidden units) of stacked ``W`` (N, d, h)."""
    return (W - W[:, :, :1]).abs().flatten(1).amax(1) / W.abs().flatten(1).amax(1).clamp_min(1e-300)


def _constant_init(networks, device, seed, symmetric_out: bool, c=0.3):
    params, X, Y = init_zoo(networks, SPEC, seed, device, dtype=torch.float64)
    params["W1"] = torch.full_like(params["W1"], c)
    params["b1"] = torch.zeros_like(params["b1"])
    if symmetric_out:
        params["W2"] = params["W2"][:, :1, :].expand_as(params["W2"]).clone()
    return params, X, Y


def _train(params, X, Y, steps, lr=0.05, dropout=0.0, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed + 17)

    def loss(p, x, y, mask):
        Hd = ACT(x @ p["W1"] + p["b1"]) * mask
        return 0.5 * ((Hd @ p["W2"] + p["b2"] - y) ** 2).sum() / x.shape[0]

    gl = vmap(grad(loss))
    N, n = X.shape[0], X.shape[1]
    for _ in range(steps):
        if dropout:
            keep = (torch.rand(N, n, SPEC.h, generator=g, dtype=X.dtype) >= dropout).to(X.dtype).to(X.device)
            mask = keep / (1 - dropout)
        else:
            mask = torch.ones(N, n, SPEC.h, dtype=X.dtype, device=X.device)
        gr = gl(params, X, Y, mask)
        params = {k: params[k] - lr * gr[k] for k in params}
    return params


def check_constant_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    """Bare form (W1 = c, W2 random): do the units stay identical after SGD?  Also the symmetric form."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * STEPS)
    bare = _spread(_train(*_constant_init(networks, device, seed, False), STEPS)["W1"])
    sym = _spread(_train(*_constant_init(networks, device, seed, True), STEPS)["W1"])
    status = "consistent" if float(bare.max()) <= tol else "violated"
    return NumericResult("init.constant-symmetry", status, f"max unit spread of W1 after {STEPS} SGD steps (W1 = c only)",
                         float(bare.max()), networks, device, tolerance=tol,
                         details={"bare_min_spread": float(bare.min()), "symmetric_W2_max_spread": float(sym.max())},
                         witness=None if status == "consistent" else {"network": int(bare.argmax())})


def check_constant_gradient_all_equal(networks=16, device="cpu", seed=0) -> NumericResult:
    """At the symmetric initialisation: are all entries of ∇W1 equal (the claim), or only its columns?"""
    params, X, Y = _constant_init(networks, device, seed, True)
    G = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))(params, X, Y)["W1"]
    scale = G.abs().flatten(1).amax(1).clamp_min(1e-300)
    entries = (G - G[:, :1, :1]).abs().flatten(1).amax(1) / scale
    columns = _spread(G)
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    status = "consistent" if float(entries.max()) <= tol else "violated"
    return NumericResult("init.constant-gradient-all-equal", status, "max rel spread of ∇W1 entries at symmetric init",
                         float(entries.max()), networks, device, tolerance=tol,
                         details={"column_spread_max": float(columns.max()), "entry_spread_min": float(entries.min())})


def check_dropout_breaks_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    """Symmetric init: SGD keeps the units identical, SGD with dropout (p = 0.5) separates them."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * STEPS)
    init = _constant_init(networks, device, seed, True)
    plain = _spread(_train(*init, STEPS)["W1"])
    drop = _spread(_train(*init, STEPS, dropout=0.5, seed=seed)["W1"])
    ok = float(plain.max()) <= tol and bool((drop > tol).all())
    return NumericResult("init.dropout-breaks-symmetry", "consistent" if ok else "violated",
                         "max unit spread without dropout (must be ≤ tol) / min with dropout (must be > tol)",
                         float(plain.max()), networks, device, tolerance=tol,
                         details={"dropout_min_spread": float(drop.min()), "dropout_max_spread": float(drop.max())})
