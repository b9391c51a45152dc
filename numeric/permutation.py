r"""Numeric cross-checks of the permutation family on trained networks (float64).

Each check trains a zoo (:mod:`numeric.zoo`), applies a random hidden-unit permutation per
network and reports the worst relative error over the zoo against :func:`numeric.tolerance.tolerance`.
"""

from __future__ import annotations

import torch
from torch.func import grad, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import as_stated_from, identity_result, negative_control, rel_err, tolerance
from .zoo import ACTIVATIONS, ZooSpec, forward, mse, perm_matrices, permute_params, random_permutations, trained_zoo

__all__ = [
    "check_elementwise_commutes", "check_orthogonal_commutes", "check_inverse_is_transpose",
    "check_row_column_action", "check_forward_invariance", "check_input_rows_break_symmetry",
    "check_loss_invariance", "check_mse_output_gradient", "check_gradient_equivariance",
    "check_sgd_equivariance", "check_nonunique_minima",
]

SPEC = ZooSpec()
ACT = ACTIVATIONS[SPEC.activation]


def _setup(networks, device, seed):
    params, X, Y = trained_zoo(networks, device, seed, SPEC)
    P = nontrivial(perm_matrices(random_permutations(networks, SPEC.h, seed, device)))
    return params, X, Y, P


def nontrivial(P: torch.Tensor) -> torch.Tensor:
    """``P`` if every matrix is a permutation matrix other than the identity (a check with P = I tests
    nothing); otherwise a ValueError, which the verdict records as a layer error."""
    eye = torch.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    is_perm = ((P == 0) | (P == 1)).all() and (P.sum(-1) == 1).all() and (P.sum(-2) == 1).all()
    if not is_perm or (P == eye).flatten(1).all(1).any():
        raise ValueError("the sampled matrices must be permutations other than the identity")
    return P


def _preacts(params, X):
    return X @ params["W1"] + params["b1"]


def wrong_permutations(P: torch.Tensor) -> torch.Tensor:
    """``P`` followed by a cyclic shift of the units: a permutation matrix that is never ``P`` (size ≥ 2),
    for negative controls."""
    return P.roll(1, dims=2)


def check_elementwise_commutes(networks=16, device="cpu", seed=0) -> NumericResult:
    """``max |σ(Z)P − σ(ZP)|`` on trained pre-activations, every activation in the zoo's list.

    Negative control: the same error with a wrong permutation on one side, ``σ(Z)P`` against ``σ(ZP')``."""
    params, X, Y, P = _setup(networks, device, seed)
    Z = _preacts(params, X)
    tol = tolerance(torch.float64, SPEC.h)
    errs = torch.stack([rel_err(a(Z) @ P, a(Z @ P)) for a in ACTIVATIONS.values()]).amax(0)
    wrong = torch.stack([rel_err(a(Z) @ P, a(Z @ wrong_permutations(P))) for a in ACTIVATIONS.values()]).amin(0)
    return identity_result("perm.elementwise-commutes", errs, tol, networks, device, "max rel |σ(Z)P − σ(ZP)|",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("σ(Z)P against σ(ZP') with a wrong permutation P'", wrong, tol),
                           activations=list(ACTIVATIONS))


def check_orthogonal_commutes(networks=16, device="cpu", seed=0) -> NumericResult:
    """Same with a random orthogonal Q (QR of a Gaussian): a violation is expected for ReLU/tanh."""
    params, X, Y, _ = _setup(networks, device, seed)
    Z = _preacts(params, X)
    g = torch.Generator(device="cpu").manual_seed(seed + 1)
    Q = torch.linalg.qr(torch.randn(networks, SPEC.h, SPEC.h, generator=g, dtype=torch.float64))[0].to(device)
    per_act = {name: rel_err(a(Z) @ Q, a(Z @ Q)) for name, a in ACTIVATIONS.items()}
    errs = torch.stack(list(per_act.values())).amax(0)
    return identity_result("perm.orthogonal-commutes", errs, tolerance(torch.float64, SPEC.h), networks,
                            device, "max rel |σ(Z)Q − σ(ZQ)|, Q random orthogonal",
                            per_activation={k: float(v.max()) for k, v in per_act.items()})


def check_inverse_is_transpose(networks=16, device="cpu", seed=0) -> NumericResult:
    P = perm_matrices(random_permutations(networks, SPEC.h, seed, device))
    eye = torch.eye(SPEC.h, dtype=P.dtype, device=device).expand_as(P)
    errs = torch.maximum(rel_err(P.transpose(1, 2) @ P, eye), rel_err(P @ P.transpose(1, 2), eye))
    return identity_result("perm.inverse-is-transpose", errs, 0.0, networks, device, "max |PᵀP − I|, |PPᵀ − I| (exact)")


def check_row_column_action(networks=16, device="cpu", seed=0) -> NumericResult:
    params, X, Y, _ = _setup(networks, device, seed)
    perms = random_permutations(networks, SPEC.h, seed, device)
    P = perm_matrices(perms)
    A = params["W1"].transpose(1, 2) @ params["W1"]  # h×h matrix built from trained weights
    idx = perms.unsqueeze(1).expand(-1, SPEC.h, -1)
    cols = torch.gather(A, 2, idx)  # A[:, :, π(j)]
    inv = torch.argsort(perms, dim=1)
    rows = torch.gather(A, 1, inv.unsqueeze(2).expand(-1, -1, SPEC.h))  # A[π⁻¹(i), :]
    errs = torch.maximum(rel_err(A @ P, cols), rel_err(P @ A, rows))
    return identity_result("perm.row-column-action", errs, tolerance(torch.float64, SPEC.h), networks, device,
                            "max rel |AP − A[:,π]|, |PA − A[π⁻¹,:]|")


def _deep_errors(networks, device, seed, widths=(4, 6, 5, 7, 2)):
    """Random deep MLP (3 hidden layers), W_l → P_{l-1}ᵀ W_l P_l, b_l → b_l P_l with P_0 = P_L+1 = I."""
    g = torch.Generator().manual_seed(seed + 23)
    Ws = [torch.randn(networks, a, b, generator=g, dtype=torch.float64) / a ** 0.5 for a, b in zip(widths, widths[1:])]
    bs = [torch.randn(networks, 1, b, generator=g, dtype=torch.float64) * 0.1 for b in widths[1:]]
    X = torch.randn(networks, 16, widths[0], generator=g, dtype=torch.float64)
    eye = lambda n: torch.eye(n, dtype=torch.float64).expand(networks, n, n)  # noqa: E731
    Ps = [eye(widths[0])] + [perm_matrices(random_permutations(networks, w, seed + 100 * i, "cpu")) for i, w in
                             enumerate(widths[1:-1], 1)] + [eye(widths[-1])]

    def run(Ws_, bs_):
        h = X
        for i, (W, b) in enumerate(zip(Ws_, bs_)):
            z = h @ W + b
            h = z if i == len(Ws_) - 1 else ACT(z)
        return h

    Wp = [Ps[i].transpose(1, 2) @ W @ Ps[i + 1] for i, W in enumerate(Ws)]
    bp = [b @ Ps[i + 1] for i, b in enumerate(bs)]
    return rel_err(run(Wp, bp), run(Ws, bs)).to(device)


def check_forward_invariance(networks=16, device="cpu", seed=0) -> NumericResult:
    """Trained one-hidden-layer zoo, and random depth-3 MLPs with a permutation at every hidden layer."""
    params, X, Y, P = _setup(networks, device, seed)
    o = vmap(lambda p, x: forward(p, x, ACT))(params, X)
    o_p = vmap(lambda p, x: forward(p, x, ACT))(permute_params(params, P), X)
    deep = _deep_errors(networks, device, seed)
    return identity_result("perm.forward-invariance", torch.maximum(rel_err(o_p, o), deep),
                           tolerance(torch.float64, SPEC.d + SPEC.h + 3 * 7), networks, device,
                           "max rel |O(θ_P) − O(θ)| (one hidden layer trained; depth 3 random)",
                           deep_max=float(deep.max()))


def check_input_rows_break_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    """Permuting the rows of W1 changes the outputs on the data (for trained, generic networks)."""
    params, X, Y, _ = _setup(networks, device, seed)
    Qm = perm_matrices(random_permutations(networks, SPEC.d, seed + 3, device))
    rows = dict(params, W1=Qm @ params["W1"])
    o = vmap(lambda p, x: forward(p, x, ACT))(params, X)
    o_r = vmap(lambda p, x: forward(p, x, ACT))(rows, X)
    moved = (Qm != torch.eye(SPEC.d, dtype=Qm.dtype, device=device)).flatten(1).any(1)
    change = rel_err(o_r, o)[moved]
    tol = tolerance(torch.float64, SPEC.d + SPEC.h)
    frac = float((change > tol).double().mean()) if len(change) else float("nan")
    status = "consistent" if len(change) and frac == 1.0 else "violated"
    return NumericResult("perm.input-rows-break-symmetry", status, "fraction of networks whose outputs change",
                         frac, int(moved.sum()), device, tolerance=tol,
                         details={"min_change": float(change.min()) if len(change) else None})


def check_loss_invariance(networks=16, device="cpu", seed=0) -> NumericResult:
    params, X, Y, P = _setup(networks, device, seed)
    f = vmap(lambda p, x, y: mse(p, x, y, ACT))
    errs = rel_err(f(permute_params(params, P), X, Y)[:, None], f(params, X, Y)[:, None])
    return identity_result("perm.loss-invariance", errs, tolerance(torch.float64, SPEC.n * SPEC.h), networks,
                            device, "max rel |L(θ_P) − L(θ)|")


def check_mse_output_gradient(networks=16, device="cpu", seed=0) -> NumericResult:
    params, X, Y, _ = _setup(networks, device, seed)
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))(params, X, Y)
    H = ACT(_preacts(params, X))
    O = H @ params["W2"] + params["b2"]
    errs = torch.maximum(rel_err(g["W2"], H.transpose(1, 2) @ (O - Y)), rel_err(g["b2"], (O - Y).sum(1, keepdim=True)))
    return identity_result("perm.mse-output-gradient", errs, tolerance(torch.float64, SPEC.n * SPEC.h), networks,
                            device, "max rel |autograd − Hᵀ(O−Y)|, |autograd − 1ᵀ(O−Y)|")


def check_gradient_equivariance(networks=16, device="cpu", seed=0) -> NumericResult:
    params, X, Y, P = _setup(networks, device, seed)
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))
    ga, gp = g(params, X, Y), g(permute_params(params, P), X, Y)
    want = permute_params(ga, P)
    errs = torch.stack([rel_err(gp[k], want[k]) for k in ga]).amax(0)
    return identity_result("perm.gradient-equivariance", errs, tolerance(torch.float64, SPEC.n * SPEC.h), networks,
                            device, "max rel |∇L(θ_P) − (∇L(θ))_P|")


def _adam(params, X, Y, steps, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8, wd=1e-2):
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))
    m = {k: torch.zeros_like(v) for k, v in params.items()}
    v2 = {k: torch.zeros_like(v) for k, v in params.items()}
    for t in range(1, steps + 1):
        gr = g(params, X, Y)
        m = {k: b1 * m[k] + (1 - b1) * gr[k] for k in m}
        v2 = {k: b2 * v2[k] + (1 - b2) * gr[k] ** 2 for k in v2}
        params = {k: params[k] - lr * (m[k] / (1 - b1 ** t)) / ((v2[k] / (1 - b2 ** t)).sqrt() + eps)
                  - lr * wd * params[k] for k in params}
    return params


def _sgd(params, X, Y, steps, lr=0.05, momentum=0.9):
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT) / x.shape[0]))
    buf = {k: torch.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        gr = g(params, X, Y)
        buf = {k: momentum * buf[k] + gr[k] for k in buf}
        params = {k: params[k] - lr * buf[k] for k in params}
    return params


def check_sgd_equivariance(networks=16, device="cpu", seed=0, steps=50) -> NumericResult:
    """Train from θ and from θ_P for ``steps`` steps (SGD+momentum and AdamW), float64; compare."""
    params, X, Y, P = _setup(networks, device, seed)
    errs, per = [], {}
    for name, opt in (("sgd+momentum", _sgd), ("adamw", _adam)):
        a = opt(params, X, Y, steps)
        b = opt(permute_params(params, P), X, Y, steps)
        want = permute_params(a, P)
        e = torch.stack([rel_err(b[k], want[k]) for k in a]).amax(0)
        per[name] = float(e.max())
        errs.append(e)
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * steps)
    return identity_result("perm.sgd-equivariance", torch.stack(errs).amax(0), tol, networks, device,
                            f"max rel |θ'_T − (θ_T)_P| after {steps} steps", per_optimiser=per, steps=steps)


def check_nonunique_minima(networks=16, device="cpu", seed=0) -> NumericResult:
    """Trained networks: hidden units distinct, and every one of a sample of permuted copies is a
    distinct parameter vector with the same loss."""
    params, X, Y, _ = _setup(networks, device, seed)
    f = vmap(lambda p, x, y: mse(p, x, y, ACT))
    base = f(params, X, Y)
    worst, distinct = 0.0, True
    for t in range(8):
        P = perm_matrices(random_permutations(networks, SPEC.h, seed + 100 + t, device))
        pp = permute_params(params, P)
        worst = max(worst, float(rel_err(f(pp, X, Y)[:, None], base[:, None]).max()))
        moved = (P != torch.eye(SPEC.h, dtype=P.dtype, device=device)).flatten(1).any(1)
        differs = (pp["W1"] - params["W1"]).abs().flatten(1).amax(1) > 0
        distinct &= bool((differs | ~moved).all())
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    status = "consistent" if worst <= tol and distinct else "violated"
    return NumericResult("perm.nonunique-minima", status, "max rel loss gap over permuted copies", worst, networks,
                         device, tolerance=tol, details={"copies_distinct": distinct, "copies_per_network": 8})
