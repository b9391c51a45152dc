r"""Numeric cross-checks of the permutation family on trained networks (float64).

Each check trains a zoo (:mod:`numeric.zoo`), applies a random permutation per network (never the identity:
:func:`nontrivial`) and reports the worst relative error over the zoo against
:func:`numeric.tolerance.tolerance`.  Every record carries

* ``as_stated`` — the claim as the seed states it, on the zoo and, for a refuted or qualified claim, on
  float64 replays of the symbolic and search counterexamples;
* ``control`` — the same statistic on a case built to fail (a wrong permutation, a permutation on one side
  only, a signed permutation with a non-odd σ, a network with two equal units …), which must fail.

For a conditional claim ``status`` checks the conditional form the symbolic layer proved.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import torch
from torch.func import grad, jacrev, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import as_stated_from, identity_result, negative_control, rel_err, tolerance
from .zoo import ACTIVATIONS, ZooSpec, forward, mse, perm_matrices, permute_params, random_permutations, trained_zoo

__all__ = [
    "check_elementwise_commutes", "check_orthogonal_commutes", "check_inverse_is_transpose",
    "check_row_column_action", "check_forward_invariance", "check_input_rows_break_symmetry",
    "check_loss_invariance", "check_mse_output_gradient", "check_gradient_equivariance",
    "check_sgd_equivariance", "check_nonunique_minima",
    "nontrivial", "wrong_permutations", "commute_error", "random_orthogonal", "signed_permutations",
    "input_gradient_at_zero", "meets_input_rows_condition", "output_change", "symmetrise_rows",
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


def _f64(values) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float64).flatten()


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


def commute_error(act, Z: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """Per-network ``max rel |σ(Z)Q − σ(ZQ)|`` for stacked ``Z`` (N, n, h) and ``Q`` (N, h, h)."""
    return rel_err(act(Z) @ Q, act(Z @ Q))


def random_orthogonal(networks: int, size: int, seed: int, device: str) -> torch.Tensor:
    """Haar-random orthogonal matrices (QR of a Gaussian, signs fixed by diag R)."""
    g = torch.Generator(device="cpu").manual_seed(seed + 1)
    q, r = torch.linalg.qr(torch.randn(networks, size, size, generator=g, dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)).to(device)


def signed_permutations(P: torch.Tensor) -> torch.Tensor:
    """``P diag(s)`` with ``s = (−1, +1, −1, …)``: a signed permutation with at least one sign flip."""
    s = torch.tensor([(-1.0) ** (k + 1) for k in range(P.shape[-1])], dtype=P.dtype, device=P.device)
    return P * s


def _replay_orthogonal(witnesses: dict) -> dict:
    """float64 replays of exact counterexamples ``{name: {"Z", "Q", "activation"}}``: per name the relative
    error ``|σ(Z)Q − σ(ZQ)|``."""
    acts = dict(ACTIVATIONS)
    out = {}
    for name, w in witnesses.items():
        Z = torch.tensor([[float(Fraction(x)) for x in row] for row in w["Z"]], dtype=torch.float64)[None]
        Q = torch.tensor([[float(Fraction(x)) for x in row] for row in w["Q"]], dtype=torch.float64)[None]
        out[name] = float(commute_error(acts[w.get("activation", name)], Z, Q)[0])
    return out


def check_orthogonal_commutes(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""perm.orthogonal-commutes is conditional.  *As stated* (σ(Z)Q = σ(ZQ) for every orthogonal Q): a
    Haar-random Q on the trained pre-activations, every activation of the zoo, plus float64 replays of the
    symbolic counterexamples (ReLU/tanh/GELU with the rational rotation, sigmoid with Q = −1) and of the Z3
    witness.  *Status*, the proved conditional form: Q a permutation (every σ), σ(x) = 2x with the random Q,
    and Q a signed permutation with an odd σ (tanh).  Control: a signed permutation with the sigmoid (not
    odd), which must fail."""
    from nnclaims.proofs.permutation import ROTATION
    from nnclaims.proofs.searches import search_orthogonal_relu

    params, X, Y, P = _setup(networks, device, seed)
    Z = _preacts(params, X)
    tol = tolerance(torch.float64, SPEC.h)
    Q = random_orthogonal(networks, SPEC.h, seed, device)
    S = signed_permutations(P)
    per_act = {name: commute_error(a, Z, Q) for name, a in ACTIVATIONS.items()}
    rot = [[str(x) for x in row] for row in ROTATION.tolist()]
    witnesses = {name: {"Z": [["1", "0"]], "Q": rot, "activation": name} for name in ("relu", "tanh", "gelu")}
    witnesses["sigmoid (Q = −1)"] = {"Z": [["0"]], "Q": [["-1"]], "activation": "sigmoid"}
    search = search_orthogonal_relu(seed=seed)
    if search.status == "found":
        witnesses["z3 witness"] = search.witness
    replays = _replay_orthogonal(witnesses)
    bare = torch.cat([torch.stack(list(per_act.values())).flatten().cpu(), _f64(list(replays.values()))])
    proved = torch.stack([commute_error(a, Z, P) for a in ACTIVATIONS.values()]
                         + [commute_error(lambda t: 2 * t, Z, Q), commute_error(torch.tanh, Z, S)]).amax(0)
    control = negative_control("signed permutation with the sigmoid (not odd): outside the condition",
                               commute_error(torch.sigmoid, Z, S), tol)
    return identity_result("perm.orthogonal-commutes", proved, tol, networks, device,
                           "max rel |σ(Z)Q − σ(ZQ)| over the proved cases (Q permutation, any σ; σ(x) = 2x, "
                           "Q orthogonal; Q signed permutation, σ = tanh)",
                           as_stated=as_stated_from(bare, tol), control=control,
                           as_stated_per_activation={k: float(v.min()) for k, v in per_act.items()},
                           replays=replays, search=search.status)


def check_inverse_is_transpose(networks=16, device="cpu", seed=0) -> NumericResult:
    """``P⁻¹`` (LU solve) against ``Pᵀ``, and ``PᵀP = PPᵀ = I``.  Control: the transpose of a wrong
    permutation, ``P'ᵀP``, against I."""
    P = nontrivial(perm_matrices(random_permutations(networks, SPEC.h, seed, device)))
    eye = torch.eye(SPEC.h, dtype=P.dtype, device=device).expand_as(P)
    Pt = P.transpose(1, 2)
    errs = torch.stack([rel_err(torch.linalg.inv(P), Pt), rel_err(Pt @ P, eye), rel_err(P @ Pt, eye)]).amax(0)
    tol = tolerance(torch.float64, SPEC.h)
    wrong = rel_err(wrong_permutations(P).transpose(1, 2) @ P, eye)
    return identity_result("perm.inverse-is-transpose", errs, tol, networks, device,
                           "max rel |P⁻¹ − Pᵀ|, |PᵀP − I|, |PPᵀ − I|", as_stated=as_stated_from(errs, tol),
                           control=negative_control("P'ᵀP against I with a wrong permutation P'", wrong, tol))


def _row_column_errors(A, P, perms):
    idx = perms.unsqueeze(1).expand(-1, A.shape[1], -1)
    cols = torch.gather(A, 2, idx)  # A[:, :, π(j)]
    inv = torch.argsort(perms, dim=1)
    rows = torch.gather(A, 1, inv.unsqueeze(2).expand(-1, -1, A.shape[2]))  # A[π⁻¹(i), :]
    return torch.maximum(rel_err(A @ P, cols), rel_err(P @ A, rows))


def check_row_column_action(networks=16, device="cpu", seed=0) -> NumericResult:
    """``AP = A[:, π]`` and ``PA = A[π⁻¹, :]`` for an h×h matrix built from trained weights.  Control: the
    same comparison with a wrong permutation matrix."""
    params, X, Y, _ = _setup(networks, device, seed)
    perms = random_permutations(networks, SPEC.h, seed, device)
    P = nontrivial(perm_matrices(perms))
    A = params["W1"].transpose(1, 2) @ params["W1"] + torch.diag_embed(torch.arange(SPEC.h, dtype=torch.float64,
                                                                                      device=device)).expand_as(P)
    tol = tolerance(torch.float64, SPEC.h)
    errs = _row_column_errors(A, P, perms)
    wrong = _row_column_errors(A, wrong_permutations(P), perms)
    return identity_result("perm.row-column-action", errs, tol, networks, device,
                           "max rel |AP − A[:,π]|, |PA − A[π⁻¹,:]|", as_stated=as_stated_from(errs, tol),
                           control=negative_control("AP', P'A against A[:,π], A[π⁻¹,:] with a wrong P'", wrong, tol))


def _deep_errors(networks, device, seed, widths=(4, 6, 5, 7, 2)):
    """Random deep MLP (3 hidden layers), W_l → P_{l-1}ᵀ W_l P_l, b_l → b_l P_l with P_0 = P_L+1 = I.
    Returns the errors and those of a control that forgets P_{l}ᵀ on the layer after the first hidden one."""
    g = torch.Generator().manual_seed(seed + 23)
    Ws = [torch.randn(networks, a, b, generator=g, dtype=torch.float64) / a ** 0.5 for a, b in zip(widths, widths[1:])]
    bs = [torch.randn(networks, 1, b, generator=g, dtype=torch.float64) * 0.1 for b in widths[1:]]
    X = torch.randn(networks, 16, widths[0], generator=g, dtype=torch.float64)
    eye = lambda n: torch.eye(n, dtype=torch.float64).expand(networks, n, n)  # noqa: E731
    Ps = [eye(widths[0])] + [nontrivial(perm_matrices(random_permutations(networks, w, seed + 100 * i, "cpu")))
                             for i, w in enumerate(widths[1:-1], 1)] + [eye(widths[-1])]

    def run(Ws_, bs_):
        h = X
        for i, (W, b) in enumerate(zip(Ws_, bs_)):
            z = h @ W + b
            h = z if i == len(Ws_) - 1 else ACT(z)
        return h

    Wp = [Ps[i].transpose(1, 2) @ W @ Ps[i + 1] for i, W in enumerate(Ws)]
    bp = [b @ Ps[i + 1] for i, b in enumerate(bs)]
    broken = [W @ Ps[i + 1] if i == 1 else Wp[i] for i, W in enumerate(Ws)]  # layer 2 forgets P_1ᵀ
    base = run(Ws, bs)
    return rel_err(run(Wp, bp), base).to(device), rel_err(run(broken, bp), base).to(device)


def check_forward_invariance(networks=16, device="cpu", seed=0) -> NumericResult:
    """Trained one-hidden-layer zoo, and random depth-3 MLPs with a permutation at every hidden layer.
    Control: the permutation on one side only (W1, b1 permuted, W2 not; in the deep MLP one layer's Pᵀ
    missing)."""
    params, X, Y, P = _setup(networks, device, seed)
    f = vmap(lambda p, x: forward(p, x, ACT))
    o = f(params, X)
    o_p = f(permute_params(params, P), X)
    one_side = rel_err(f(dict(permute_params(params, P), W2=params["W2"]), X), o)
    deep, deep_broken = _deep_errors(networks, device, seed)
    tol = tolerance(torch.float64, SPEC.d + SPEC.h + 3 * 7)
    errs = torch.maximum(rel_err(o_p, o), deep)
    return identity_result("perm.forward-invariance", errs, tol, networks, device,
                           "max rel |O(θ_P) − O(θ)| (one hidden layer trained; depth 3 random)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("the permutation on one side only (W2 not permuted; deep: one "
                                                    "layer without P_{l-1}ᵀ)", torch.cat([one_side, deep_broken]), tol),
                           deep_max=float(deep.max()))


def input_gradient_at_zero(params: dict, act=ACT) -> torch.Tensor:
    """``g = ∇_x f(0)`` (d×q) per network, by ``torch.func.jacrev`` of the one-sample forward pass."""
    def f(p, x):
        return forward(p, x[None], act)[0]

    d = params["W1"].shape[1]
    zero = torch.zeros(params["W1"].shape[0], d, dtype=params["W1"].dtype, device=params["W1"].device)
    return vmap(jacrev(f, argnums=1))(params, zero).transpose(1, 2)


def meets_input_rows_condition(params: dict, Q: torch.Tensor, act_name: str, tol: float) -> torch.Tensor:
    """Per network: σ differentiable at b1 (ReLU: no zero bias) and ``Qg ≠ g`` for the input gradient at 0
    (relative difference above ``tol``): the sufficient condition of perm.input-rows-break-symmetry."""
    g = input_gradient_at_zero(params, ACTIVATIONS[act_name])
    smooth = (params["b1"] != 0).flatten(1).all(1) if act_name == "relu" else torch.ones(len(g), dtype=torch.bool)
    return smooth.to(g.device) & (rel_err(Q @ g, g) > tol)


def output_change(params: dict, Q: torch.Tensor, X: torch.Tensor, act=ACT) -> torch.Tensor:
    """Per network ``max rel |f_{QW1}(X) − f_{W1}(X)|``: how much permuting the rows of W1 changes the outputs."""
    f = vmap(lambda p, x: forward(p, x, act))
    return rel_err(f(dict(params, W1=Q @ params["W1"]), X), f(params, X))


def symmetrise_rows(W1: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """``mean_k Q^k W1`` over the cyclic group of each Q (k < lcm(1..d), a multiple of every order): the rows
    that Q exchanges become equal, so ``QW1 = W1`` up to rounding."""
    L = math.lcm(*range(1, Q.shape[-1] + 1))
    acc, Qk = W1.clone(), Q
    for _ in range(1, L):
        acc, Qk = acc + Qk @ W1, Q @ Qk
    return acc / L


def _replay_networks(witnesses: list[dict], dtype=torch.float64) -> list[tuple[str, dict, torch.Tensor, str]]:
    """Exact witnesses ``{"W1" (d×h), "W2" (h×q), "Q", "activation", optional "b1"}`` as stacked float64
    networks of size one: ``(name, params, Q, activation)``."""
    out = []
    for w in witnesses:
        W1 = torch.tensor([[float(Fraction(str(x))) for x in row] for row in w["W1"]], dtype=dtype)
        W2 = torch.tensor([[float(Fraction(str(x))) for x in row] for row in w["W2"]], dtype=dtype)
        Q = torch.tensor([[float(Fraction(str(x))) for x in row] for row in w["Q"]], dtype=dtype)
        b1 = torch.tensor([float(Fraction(str(x))) for x in w.get("b1") or [0] * W1.shape[1]], dtype=dtype)
        params = {"W1": W1[None], "b1": b1[None, None], "W2": W2[None], "b2": torch.zeros(1, 1, W2.shape[1], dtype=dtype)}
        out.append((w["name"], params, Q[None], w["activation"]))
    return out


def check_input_rows_break_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""perm.input-rows-break-symmetry is conditional.  *As stated* ("permuting the rows of W1 changes the
    function"): the trained zoo with a random input permutation Q, plus float64 replays of the symbolic
    counterexamples (tanh; distinct and equal rows) and of the search witness (ReLU, distinct rows), which
    keep the function: violated.  *Status*, the proved conditional form: every network that meets the
    condition (σ differentiable at b1 and Qg ≠ g, g = ∇f(0); zoo and replays alike) changes its outputs —
    the statistic is the indicator "meets the condition yet unchanged", which must be 0.  Control: the zoo
    with the rows that Q exchanges made equal (``symmetrise_rows``): the change detector, applied without
    the condition, must find every one unchanged."""
    from nnclaims.proofs.permutation import prove_input_rows_break_symmetry
    from nnclaims.proofs.search_random import search_input_rows_unchanged

    params, X, Y, _ = _setup(networks, device, seed)
    Q = nontrivial(perm_matrices(random_permutations(networks, SPEC.d, seed + 3, device)))
    tol = tolerance(torch.float64, SPEC.d + SPEC.h)
    change = output_change(params, Q, X)
    met = meets_input_rows_condition(params, Q, SPEC.activation, tol)
    wits = [dict(w, name=f"symbolic counterexample ({name})")
            for name, w in prove_input_rows_break_symmetry().counterexample.items()]
    search = search_input_rows_unchanged(seed=seed)
    if search.status == "found":
        wits.append(dict(search.witness, name="search witness", activation="relu"))
    g = torch.Generator().manual_seed(seed + 5)
    replays = {}
    for name, p, Qw, act in _replay_networks(wits):
        Xr = 4 * torch.rand(1, 256, p["W1"].shape[1], generator=g, dtype=torch.float64) - 2
        replays[name] = {"change": float(output_change(p, Qw, Xr, ACTIVATIONS[act])[0]),
                         "meets_condition": bool(meets_input_rows_condition(p, Qw, act, tol)[0])}
    rchange = _f64([r["change"] for r in replays.values()])
    rmet = torch.tensor([r["meets_condition"] for r in replays.values()], dtype=torch.bool)
    unchanged = torch.cat([change.cpu() <= tol, rchange <= tol])
    meets = torch.cat([met.cpu(), rmet])
    indicator = (unchanged & meets).double()[meets]
    sym = dict(params, W1=symmetrise_rows(params["W1"], Q))
    control_unchanged = (output_change(sym, Q, X) <= tol).double()
    control = negative_control("rows that Q exchanges made equal (QW1 = W1): the change detector, without the "
                               "condition, finds each network unchanged", control_unchanged, 0.0)
    return identity_result("perm.input-rows-break-symmetry", indicator, 0.0, int(meets.sum()), device,
                           "networks meeting the condition (Qg ≠ g) whose outputs do not change (0/1 each)",
                           as_stated=as_stated_from(unchanged.double(), 0.0), control=control,
                           change_tolerance=tol, zoo_min_change=float(change.min()),
                           zoo_meets_condition=int(met.sum()), replays=replays, search=search.status)


def check_loss_invariance(networks=16, device="cpu", seed=0) -> NumericResult:
    """``L(θ_P) = L(θ)``.  Control: the permutation on one side only (W2 not permuted)."""
    params, X, Y, P = _setup(networks, device, seed)
    f = vmap(lambda p, x, y: mse(p, x, y, ACT))
    base = f(params, X, Y)[:, None]
    errs = rel_err(f(permute_params(params, P), X, Y)[:, None], base)
    one_side = rel_err(f(dict(permute_params(params, P), W2=params["W2"]), X, Y)[:, None], base)
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    return identity_result("perm.loss-invariance", errs, tol, networks, device, "max rel |L(θ_P) − L(θ)|",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("W1, b1 permuted, W2 not", one_side, tol))


def check_mse_output_gradient(networks=16, device="cpu", seed=0) -> NumericResult:
    """Autograd of ½‖O−Y‖² against ``Hᵀ(O−Y)`` and ``1ᵀ(O−Y)``.  Control: the sign-flipped formula
    ``Hᵀ(Y−O)`` and the formula with Z in place of H (σ left out)."""
    params, X, Y, _ = _setup(networks, device, seed)
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))(params, X, Y)
    Z = _preacts(params, X)
    H = ACT(Z)
    O = H @ params["W2"] + params["b2"]

    def errors(Hm, R):
        return torch.maximum(rel_err(g["W2"], Hm.transpose(1, 2) @ R), rel_err(g["b2"], R.sum(1, keepdim=True)))

    errs = errors(H, O - Y)
    wrong = torch.minimum(errors(H, Y - O), rel_err(g["W2"], Z.transpose(1, 2) @ (O - Y)))
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    return identity_result("perm.mse-output-gradient", errs, tol, networks, device,
                           "max rel |autograd − Hᵀ(O−Y)|, |autograd − 1ᵀ(O−Y)|", as_stated=as_stated_from(errs, tol),
                           control=negative_control("Hᵀ(Y−O) (sign flipped) and Zᵀ(O−Y) (σ left out)", wrong, tol))


def check_gradient_equivariance(networks=16, device="cpu", seed=0) -> NumericResult:
    """``∇L(θ_P) = (∇L(θ))_P``.  Control: ``(∇L(θ))_{P'}`` with a wrong permutation P'."""
    params, X, Y, P = _setup(networks, device, seed)
    g = vmap(grad(lambda p, x, y: mse(p, x, y, ACT)))
    ga, gp = g(params, X, Y), g(permute_params(params, P), X, Y)
    want, wrong = permute_params(ga, P), permute_params(ga, wrong_permutations(P))
    errs = torch.stack([rel_err(gp[k], want[k]) for k in ga]).amax(0)
    werr = torch.stack([rel_err(gp[k], wrong[k]) for k in ga]).amax(0)
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    return identity_result("perm.gradient-equivariance", errs, tol, networks, device, "max rel |∇L(θ_P) − (∇L(θ))_P|",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("(∇L(θ))_{P'} with a wrong permutation P'", werr, tol))


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
    """Train from θ and from θ_P for ``steps`` steps (SGD+momentum and AdamW), float64; compare with the
    permuted end point.  Control: the end point permuted by a wrong permutation P'."""
    params, X, Y, P = _setup(networks, device, seed)
    errs, wrongs, per = [], [], {}
    for name, opt in (("sgd+momentum", _sgd), ("adamw", _adam)):
        a = opt(params, X, Y, steps)
        b = opt(permute_params(params, P), X, Y, steps)
        want, wrong = permute_params(a, P), permute_params(a, wrong_permutations(P))
        e = torch.stack([rel_err(b[k], want[k]) for k in a]).amax(0)
        wrongs.append(torch.stack([rel_err(b[k], wrong[k]) for k in a]).amax(0))
        per[name] = float(e.max())
        errs.append(e)
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * steps)
    errs = torch.stack(errs).amax(0)
    return identity_result("perm.sgd-equivariance", errs, tol, networks, device,
                           f"max rel |θ'_T − (θ_T)_P| after {steps} steps", as_stated=as_stated_from(errs, tol),
                           control=negative_control("θ'_T against (θ_T)_{P'} with a wrong permutation P'",
                                                    torch.stack(wrongs).amin(0), tol),
                           per_optimiser=per, steps=steps)


def _copies_errors(params, X, Y, all_P):
    """Per network: worst relative gap of the loss and of ‖∇L‖ over the copies θ_P (every P in ``all_P``,
    stacked (C, h, h)), and the number of distinct parameter vectors among the copies."""
    N, C = X.shape[0], all_P.shape[0]
    f = vmap(lambda p, x, y: mse(p, x, y, ACT))
    gnorm = vmap(lambda p, x, y: torch.sqrt(sum((v ** 2).sum() for v in grad(lambda q: mse(q, x, y, ACT))(p).values())))
    rep = lambda t: t.repeat_interleave(C, 0)  # noqa: E731  network k's copies are rows k*C … k*C + C − 1
    copies = permute_params({k: rep(v) for k, v in params.items()}, all_P.repeat(N, 1, 1))
    Xr, Yr = rep(X), rep(Y)
    loss, norm = f(copies, Xr, Yr).reshape(N, C), gnorm(copies, Xr, Yr).reshape(N, C)
    gaps = torch.maximum(rel_err(loss, f(params, X, Y)[:, None].expand(N, C)),
                         rel_err(norm, gnorm(params, X, Y)[:, None].expand(N, C)))
    flats = torch.cat([v.flatten(1) for v in copies.values()], 1).reshape(N, C, -1)
    distinct = torch.tensor([len(torch.unique(flats[k], dim=0)) for k in range(N)], device=X.device)
    return gaps, distinct


def _units_distinct(params) -> torch.Tensor:
    """Per network: the hidden units u_j = (W1[:, j], b1[j], W2[j, :]) are pairwise distinct."""
    U = torch.cat([params["W1"].transpose(1, 2), params["b1"].transpose(1, 2), params["W2"]], 2)  # (N, h, ·)
    D = (U[:, :, None, :] - U[:, None, :, :]).abs().amax(-1)
    off = ~torch.eye(U.shape[1], dtype=torch.bool, device=U.device)
    return (D[:, off] > 0).all(1)


def check_nonunique_minima(networks=16, device="cpu", seed=0) -> NumericResult:
    """Trained networks with pairwise distinct hidden units: all h! permuted copies (h = 6: 720) are distinct
    parameter vectors with the same loss and the same gradient norm (so each copy is a minimum exactly when θ
    is; the zoo is trained, not certified minimal, and the claim's conclusion does not need it).  Per-network
    error: the worst relative loss / gradient-norm gap, or 1 when fewer than h! copies are distinct.  Control:
    each network with unit 1 made a copy of unit 0 (not distinct): fewer copies, which must fail."""
    params, X, Y, _ = _setup(networks, device, seed)
    all_P = perm_matrices(torch.tensor(list(itertools.permutations(range(SPEC.h))), device=device))
    count = len(all_P)
    ok = _units_distinct(params)
    keep = {k: v[ok] for k, v in params.items()}
    gaps, distinct = _copies_errors(keep, X[ok], Y[ok], all_P)
    errs = torch.where(distinct == count, gaps, torch.ones_like(gaps))
    dup = {k: v.clone() for k, v in params.items()}
    dup["W1"][:, :, 1], dup["b1"][:, :, 1], dup["W2"][:, 1, :] = dup["W1"][:, :, 0], dup["b1"][:, :, 0], dup["W2"][:, 0, :]
    dgaps, ddistinct = _copies_errors(dup, X, Y, all_P)
    derrs = torch.where(ddistinct == count, dgaps, torch.ones_like(dgaps))
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    return identity_result("perm.nonunique-minima", errs, tol, int(ok.sum()), device,
                           f"per network: max rel loss / ‖∇L‖ gap over the {count} copies, or 1 if fewer are distinct",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("unit 1 a copy of unit 0 (units not distinct)", derrs, tol),
                           copies=count, distinct_min=int(distinct.min()) if len(distinct) else None)
