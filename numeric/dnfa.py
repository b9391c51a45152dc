r"""Numeric cross-checks of the DNFA identities on trained networks (float64).

For the first layer of the zoo's networks (row convention :math:`p = xW_1 + b_1`, so the notes'
:math:`W_i` is :math:`W_1^\top`), with vector output :math:`f(x) \in \mathbb R^q`:

.. math:: \mathrm{AGOP} = \tfrac1n\sum_x J_x(x)^\top J_x(x),\qquad
          G = \tfrac1n\sum_x J_p(x)^\top J_p(x),\qquad \mathrm{AGOP} \overset{?}{=} W_1 G W_1^\top

with Jacobians from ``torch.func.jacrev`` (input, pre-activation and post-activation), vmapped over samples and
networks; :math:`D = \mathrm{diag}\,\sigma'(p)` comes separately from a forward-mode ``jvp`` of the activation.

Every check returns ``as_stated`` (the claim as the seed states it, on the random networks and on float64 replays
of the symbolic and search counterexamples) and a negative ``control``: the same statistic on a case built to
fail (the naive chain rule without D, a non-isotropic G, a tall W outside the stated assumption, a rotated
AGOP).  The empirical claims (the ansatz and isotropy on trained networks) are in :mod:`numeric.dnfa_trained`.
"""

from __future__ import annotations

import dataclasses

import torch
from torch.func import jacrev, jvp, vmap

from nnclaims.caching import cached
from nnclaims.proofs.record import NumericResult

from .tolerance import as_stated_from, identity_result, negative_control, rel_err, tolerance
from .zoo import ACTIVATIONS, ZooSpec, trained_zoo

__all__ = ["agop_pieces", "activation_derivative", "check_chain_rule", "check_chain_rule_naive",
           "check_agop_factorisation", "check_isotropy_equivalence", "check_tight_frame", "check_svd_form",
           "check_any_activation", "cos"]

SPEC = ZooSpec()


def activation_derivative(act, Z: torch.Tensor) -> torch.Tensor:
    r""":math:`\sigma'(Z)` elementwise, by one forward-mode ``jvp`` (independent of the reverse-mode Jacobians).

    >>> z = torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> bool(torch.allclose(activation_derivative(torch.tanh, z), 1 - torch.tanh(z) ** 2))
    True
    """
    return jvp(act, (Z,), (torch.ones_like(Z),))[1]


def agop_pieces(params: dict, X: torch.Tensor, act) -> dict:
    """Per network: the per-sample Jacobians of the output with respect to the input (``Jx``), the first
    pre-activations (``Jp``) and the first post-activations (``Jh``), ``D = σ'(p)``, the AGOP of the input layer,
    G of the pre-activations and the naive G of the post-activations (all stacked over networks)."""

    def out_from_x(p, x):
        return act(x @ p["W1"] + p["b1"][0]) @ p["W2"] + p["b2"][0]

    def out_from_pre(p, z):
        return act(z) @ p["W2"] + p["b2"][0]

    def out_from_h(p, hh):
        return hh @ p["W2"] + p["b2"][0]

    per_sample = lambda f: vmap(vmap(jacrev(f, argnums=1), in_dims=(None, 0)))  # noqa: E731
    Jx = per_sample(out_from_x)(params, X)  # (K, n, q, d)
    Z = X @ params["W1"] + params["b1"]
    Jp = per_sample(out_from_pre)(params, Z)  # (K, n, q, h)
    Jh = per_sample(out_from_h)(params, act(Z))
    n = X.shape[1]
    return {
        "Jx": Jx, "Jp": Jp, "Jh": Jh, "Z": Z, "D": activation_derivative(act, Z),
        "AGOP": torch.einsum("knqd,knqe->kde", Jx, Jx) / n,
        "G": torch.einsum("knqa,knqb->kab", Jp, Jp) / n,
        "G_naive": torch.einsum("knqa,knqb->kab", Jh, Jh) / n,
    }


@cached(maxsize=8)
def _zoo_pieces(networks, device, seed, activation, d=SPEC.d, h=SPEC.h):
    """A trained zoo (of :data:`SPEC` with this activation and sizes) and its :func:`agop_pieces`."""
    spec = dataclasses.replace(SPEC, activation=activation, d=d, h=h)
    params, X, Y = trained_zoo(networks, device, seed, spec)
    return params, X, agop_pieces(params, X, ACTIVATIONS[activation])


def _chain_rule_errors(params, pc, with_D: bool) -> torch.Tensor:
    """Per network: max rel |J_x − (J_h ⊙ D) W_1ᵀ| (``with_D``) or |J_x − J_h W_1ᵀ| (the naive form)."""
    Jh = pc["Jh"] * pc["D"][:, :, None, :] if with_D else pc["Jh"]
    return rel_err(pc["Jx"], Jh @ params["W1"].transpose(1, 2).unsqueeze(1))


def check_chain_rule(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""Per sample, :math:`J_x = (J_h D) W_1^\top` — the seed's :math:`\nabla f_i^\top = \nabla f_{i+1}^\top D_{i+1}
    W_i` with ``J_h`` the post-activation gradient and ``D`` from a ``jvp`` of σ.  Negative control: the same
    error without ``D`` (the naive chain rule) on the same tanh networks."""
    params, X, pc = _zoo_pieces(networks, device, seed, SPEC.activation)
    tol = tolerance(torch.float64, SPEC.h)
    errs = _chain_rule_errors(params, pc, with_D=True)
    return identity_result("dnfa.chain-rule", errs, tol, networks, device, "max rel |J_x − (J_h D) W_1ᵀ| per network",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("the same without D (naive chain rule), tanh networks",
                                                    _chain_rule_errors(params, pc, with_D=False), tol),
                           activation=SPEC.activation)


def _replay_scalar_chain_rule(activation: str, W, h, v) -> float:
    """float64 replay of a counterexample ``f_i(h) = vᵀσ(W h)``: relative error between ∇f_i (autograd) and the
    naive Wᵀv; inf where a pre-activation sits at a ReLU kink (the gradient is not defined there)."""
    act = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}[activation]
    W = torch.tensor(W, dtype=torch.float64)
    v = torch.tensor(v, dtype=torch.float64).reshape(-1)
    h = torch.tensor(h, dtype=torch.float64).reshape(-1).requires_grad_(True)
    if activation == "relu" and bool((W @ h == 0).any()):
        return float("nan")
    (v @ act(W @ h)).backward()
    naive = W.T @ v
    return float((h.grad - naive).abs().max() / naive.abs().max().clamp_min(torch.finfo(torch.float64).tiny))


@cached(maxsize=4)
def _naive_chain_rule_witness(seed: int):
    from nnclaims.proofs.search_random import search_naive_chain_rule

    r = search_naive_chain_rule(seed=seed, timeout=30.0)
    return r.witness if r.status == "found" and r.rechecked else None


def naive_jacobian(params, pc) -> torch.Tensor:
    """The naive form's prediction of ``J_x``: ``J_h W_1ᵀ`` (no activation derivative)."""
    return pc["Jh"] @ params["W1"].transpose(1, 2).unsqueeze(1)


def check_chain_rule_naive(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""dnfa.chain-rule-naive, :math:`J_x = J_h W_1^\top` (no D).

    *As stated*: on the trained tanh networks, plus float64 replays of the symbolic counterexample (tanh, W = [1],
    h = 1) and of the search witness (ReLU, ``vᵀrelu(Wh)``): violated wherever D ≠ I.
    *Status* (the conditional form, D = I): the same statistic on the same trained weights with a linear σ
    (σ' ≡ 1); negative control: the tanh networks (D ≠ I).
    """
    from nnclaims.proofs.dnfa import CHAIN_RULE_COUNTEREXAMPLE as cex

    params, X, pc = _zoo_pieces(networks, device, seed, SPEC.activation)
    tol = tolerance(torch.float64, SPEC.h)
    stated = rel_err(pc["Jx"], naive_jacobian(params, pc))  # tanh: D ≠ I
    replays = {"symbolic counterexample (tanh, W = [1], h = 1)":
               _replay_scalar_chain_rule(cex["activation"], cex["W_i"], cex["h_i"], [1.0])}
    wit = _naive_chain_rule_witness(seed)
    if wit is not None:
        replays["search witness (ReLU)"] = _replay_scalar_chain_rule("relu", wit["W"], wit["h"], wit["v"])
    all_stated = torch.cat([stated, torch.tensor([v for v in replays.values() if v == v], dtype=torch.float64)])
    linear = agop_pieces(params, X, lambda z: z)  # the same trained weights with σ' ≡ 1: D = I at every sample
    errs = rel_err(linear["Jx"], naive_jacobian(params, linear))
    return identity_result("dnfa.chain-rule-naive", errs, tol, networks, device,
                           "max rel |J_x − J_h W_1ᵀ| where D = I (the trained weights with a linear σ)",
                           as_stated=as_stated_from(all_stated, tol),
                           control=negative_control("the same statistic on the tanh networks (D ≠ I)", stated, tol),
                           as_stated_max_rel_err=float(all_stated.max()), replays=replays, activation=SPEC.activation)


def _factorisation_errors(networks, device, seed, activations, key="G"):
    per = {}
    for name in activations:
        params, X, pc = _zoo_pieces(networks, device, seed, name)
        per[name] = rel_err(params["W1"] @ pc[key] @ params["W1"].transpose(1, 2), pc["AGOP"])
    return per


def check_agop_factorisation(networks=16, device="cpu", seed=0) -> NumericResult:
    r""":math:`\mathrm{AGOP} = W_1 G W_1^\top` with the AGOP from input Jacobians and G from pre-activation
    Jacobians.  Negative control: G of the post-activation gradients (the seed's first, D-free version)."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    errs = _factorisation_errors(networks, device, seed, [SPEC.activation])[SPEC.activation]
    ctrl = _factorisation_errors(networks, device, seed, [SPEC.activation], "G_naive")[SPEC.activation]
    return identity_result("dnfa.agop-factorisation", errs, tol, networks, device, "max rel |W_1 G W_1ᵀ − AGOP|",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("W_1 G_naive W_1ᵀ with G of the post-activation gradients", ctrl,
                                                    tol))


def check_any_activation(networks=16, device="cpu", seed=0) -> NumericResult:
    """The factorisation on relu, tanh, gelu and sigmoid zoos; the negative control is the D-free G on each."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    per = _factorisation_errors(networks, device, seed, list(ACTIVATIONS))
    ctrl = _factorisation_errors(networks, device, seed, list(ACTIVATIONS), "G_naive")
    errs = torch.stack(list(per.values())).amax(0)
    return identity_result("dnfa.any-activation", errs, tol, networks, device,
                           "max rel |W_1 G W_1ᵀ − AGOP| over relu, tanh, gelu, sigmoid zoos",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("W_1 G_naive W_1ᵀ (post-activation G) on every zoo",
                                                    torch.stack(list(ctrl.values())), tol),
                           per_activation={k: float(v.max()) for k, v in per.items()})


# --- the algebraic equivalences on trained weights -------------------------------------------------

def cos(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Uncentred cosine ``<A, B>_F / (|A|_F |B|_F)`` per network (leading axis).

    >>> I = torch.eye(3, dtype=torch.float64)[None]
    >>> round(float(cos(I, I)), 12), round(float(cos(I, torch.diag(torch.tensor([1.0, 0, 0], dtype=torch.float64))[None])), 4)
    (1.0, 0.5774)
    """
    return (A * B).flatten(1).sum(1) / (A.flatten(1).norm(dim=1) * B.flatten(1).norm(dim=1)).clamp_min(1e-300)


def smallest_singular_value(W: torch.Tensor) -> torch.Tensor:
    """The smallest of the min(k', k) singular values of each ``W`` (its k'-th when W has full row rank)."""
    return torch.linalg.svdvals(W)[..., -1]


def largest_singular_value(W: torch.Tensor) -> torch.Tensor:
    return torch.linalg.svdvals(W)[..., 0]


def equivalence_excess(W: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    r"""How far one network breaks the two-sided bound that makes the equivalence hold (notes' convention, W k'×k).

    With :math:`E = G - cI` (c the least-squares scale of the ansatz residual), full row rank gives
    :math:`\sigma_{\min}^2\|E\|_F \le \|W^\top E W\|_F \le \sigma_{\max}^2\|E\|_F`: the isotropy residual vanishes
    exactly when the ansatz residual does, and each bounds the other.  Returned per network: the larger of
    :math:`\sigma_{\min}^2\|E\|/\|W^\top EW\| - 1` and :math:`\|W^\top EW\|/(\sigma_{\max}^2\|E\|) - 1`, clamped at 0
    (so 0 where the bound holds, huge where the ansatz holds with G not ∝ I).

    >>> W = torch.eye(2, dtype=torch.float64)[None]
    >>> float(equivalence_excess(W, torch.diag(torch.tensor([1.0, 2.0], dtype=torch.float64))[None]))
    0.0
    """
    WtW = W.transpose(1, 2) @ W
    WtGW = W.transpose(1, 2) @ G @ W
    c = (WtGW * WtW).flatten(1).sum(1) / (WtW * WtW).flatten(1).sum(1)
    E = G - c[:, None, None] * torch.eye(G.shape[-1], dtype=G.dtype, device=G.device)
    e = E.flatten(1).norm(dim=1)
    ans = (W.transpose(1, 2) @ E @ W).flatten(1).norm(dim=1)
    tiny = torch.finfo(G.dtype).tiny
    lower = smallest_singular_value(W) ** 2 * e / ans.clamp_min(tiny) - 1
    upper = ans / (largest_singular_value(W) ** 2 * e).clamp_min(tiny) - 1
    return torch.maximum(lower, upper).clamp_min(0)


def check_isotropy_equivalence(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""W_iᵀW_i ∝ W_iᵀGW_i ⇔ G ∝ I for invertible W_i, on trained square networks (d = h = 6) with their own,
    non-isotropic G: :func:`equivalence_excess` must be 0 up to rounding (each residual bounds the other, so
    neither can vanish alone).  Negative control: the tall first layer of the d = 4 < h = 6 zoo (outside the
    seed's assumption) with :math:`G = cI + P_{\ker W^\top}`: WᵀGW = cWᵀW exactly while G is not ∝ I."""
    h = 6
    params, X, pc = _zoo_pieces(networks, device, seed, SPEC.activation, d=h, h=h)
    W = params["W1"].transpose(1, 2)  # notes' convention: p = W h, W is k' × k = 6 × 6
    tol = tolerance(torch.float64, h * h)
    errs = equivalence_excess(W, pc["G"])
    tall, _, _ = _zoo_pieces(networks, device, seed, SPEC.activation)
    Wt = tall["W1"].transpose(1, 2)  # 6 × 4: tall
    eye = torch.eye(SPEC.h, dtype=Wt.dtype, device=Wt.device)
    null_proj = eye - Wt @ torch.linalg.pinv(Wt)  # projector onto ker(Wᵀ)
    ctrl = equivalence_excess(Wt, 2.5 * eye + null_proj)
    return identity_result("dnfa.isotropy-equivalence", errs, tol, networks, device,
                           "max over networks of the excess over σ_min²|G − cI| ≤ |Wᵀ(G − cI)W| ≤ σ_max²|G − cI| "
                           "(trained square W, their own G)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("tall W (6×4, outside the assumption) with G = cI + P_ker(Wᵀ)",
                                                    ctrl, tol),
                           ansatz_cos_median=float(cos(W.transpose(1, 2) @ W, W.transpose(1, 2) @ pc["G"] @ W).median()),
                           isotropy_cos_median=float(cos(pc["G"], torch.eye(h, dtype=W.dtype).expand_as(pc["G"]))
                                                     .median()))


def tight_frame_errors(Gam: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    r"""Per network, for the gradient data matrix Γ (k × N) and c = tr(G)/k: the worst of
    rel |G − cI|, rel |SSᵀ − I| with S = Γ/√(Nc), and max over unit directions v of |Σ(vᵀg)²/(Nc) − 1|."""
    k, N = Gam.shape[-2], Gam.shape[-1]
    G = Gam @ Gam.transpose(1, 2) / N
    c = G.diagonal(dim1=1, dim2=2).sum(-1) / k
    eye = torch.eye(k, dtype=Gam.dtype, device=Gam.device).expand_as(G)
    S = Gam / (N * c)[:, None, None].sqrt()
    mass = ((directions @ Gam) ** 2).sum(-1)  # (K, directions)
    return torch.stack([rel_err(G, c[:, None, None] * eye), rel_err(S @ S.transpose(1, 2), eye),
                        (mass / (N * c[:, None]) - 1).abs().amax(1)]).amax(0)


def semi_orthogonal(networks: int, k: int, N: int, generator) -> torch.Tensor:
    """Random k×N matrices with orthonormal rows (QR of a Gaussian), float64."""
    return torch.linalg.qr(torch.randn(networks, N, k, generator=generator, dtype=torch.float64))[0].transpose(1, 2)


def check_tight_frame(networks=16, device="cpu", seed=0) -> NumericResult:
    """Γ = √(Nc)·S with S semi-orthogonal: G = cI, SSᵀ = I and equal mass Σ(vᵀg)² = Nc in 64 random unit
    directions.  Negative control: the trained networks' own pre-activation gradients (not a tight frame)."""
    g = torch.Generator().manual_seed(seed + 3)
    k, N, c = 5, 40, 0.7
    Gam = (N * c) ** 0.5 * semi_orthogonal(networks, k, N, g)
    v = torch.randn(64, k, generator=g, dtype=torch.float64)
    v = v / v.norm(dim=1, keepdim=True)
    tol = tolerance(torch.float64, N)
    errs = tight_frame_errors(Gam, v)
    _, _, pc = _zoo_pieces(networks, device, seed, SPEC.activation)
    real = pc["Jp"].flatten(1, 2).transpose(1, 2).cpu()  # (K, h, n·q): columns are the gradients g_(x, output)
    vh = torch.randn(64, SPEC.h, generator=g, dtype=torch.float64)
    ctrl = tight_frame_errors(real, vh / vh.norm(dim=1, keepdim=True))
    return identity_result("dnfa.tight-frame", errs, tol, networks, device,
                           "max rel |G − cI|, |SSᵀ − I| and |mass/(Nc) − 1| over 64 directions (Γ = √(Nc)S)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("the trained networks' own pre-activation gradients", ctrl, tol))


def proportionality_error(A: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """Per network: rel |s·M − A| for the least-squares scale s (0 exactly when M ∝ A)."""
    s = (A * M).flatten(1).sum(1) / (M * M).flatten(1).sum(1).clamp_min(torch.finfo(M.dtype).tiny)
    return rel_err(s[:, None, None] * M, A)


def _shares_eigenvectors_in_order(A: torch.Tensor, M: torch.Tensor, tol: float) -> bool:
    """``A``'s eigenvectors (distinct eigenvalues) are eigenvectors of ``M``, with Rayleigh quotients of ``M`` in
    the same strict order (float64, one matrix pair)."""
    ev, V = torch.linalg.eigh(A)
    if bool((ev[1:] - ev[:-1] <= tol * ev.abs().max()).any()):
        return False
    MV = M @ V
    mu = (V * MV).sum(0)
    if float((MV - V * mu).abs().max()) > tol * float(M.abs().max()):
        return False
    return bool((mu[1:] > mu[:-1]).all())


@cached(maxsize=4)
def _svd_witness(seed: int):
    from nnclaims.proofs.search_dnfa import search_svd_form

    r = search_svd_form(seed=seed, timeout=60.0)
    return r.witness if r.status == "found" and r.rechecked else None


def witness_agop(W, v, inputs) -> torch.Tensor:
    """The AGOP Σ_x ∇f ∇fᵀ of ``f(x) = vᵀ relu(Wx)`` by autograd in float64 (independent of the exact SymPy one)."""
    W = torch.tensor(W, dtype=torch.float64)
    v = torch.tensor(v, dtype=torch.float64).reshape(-1)
    X = torch.tensor(inputs, dtype=torch.float64)
    J = vmap(jacrev(lambda x: v @ torch.relu(W @ x)))(X)
    return J.T @ J


def spectrum_for(V: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``V diag(values) Vᵀ`` per network: a matrix with the columns of V as eigenvectors."""
    return V @ torch.diag_embed(values) @ V.transpose(1, 2)


def check_svd_form(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""dnfa.svd-form.  *Status* (the true direction ⇒): on trained W₁, M = WᵀW/λ has the right singular vectors V
    as eigenvectors with eigenvalues σ²/λ (rel |MV − Vσ²/λ|); negative control: M rotated by a random orthogonal Q.

    *As stated* (the "⇔"): float64 replays of the symbolic counterexample and of the Z3 witness (a ReLU network's
    AGOP, recomputed by autograd), and on every trained W₁ the matrix V diag(μ) Vᵀ with random decreasing μ: each
    has WᵀW's eigenvectors in the same order, and the claim fails wherever it is not ∝ WᵀW."""
    from nnclaims.proofs.dnfa import SVD_COUNTEREXAMPLE

    params, _, _ = _zoo_pieces(networks, device, seed, SPEC.activation)
    W = params["W1"].transpose(1, 2)
    _, sv, Vh = torch.linalg.svd(W, full_matrices=False)
    V = Vh.transpose(1, 2)
    WtW = W.transpose(1, 2) @ W
    lam = 3.0
    tol = tolerance(torch.float64, SPEC.h * SPEC.d)
    fwd = rel_err((WtW / lam) @ V, V * (sv ** 2 / lam)[:, None, :])
    g = torch.Generator().manual_seed(seed + 9)
    Q = torch.linalg.qr(torch.randn(networks, SPEC.d, SPEC.d, generator=g, dtype=torch.float64))[0].to(W.device)
    rotated = Q @ (WtW / lam) @ Q.transpose(1, 2)
    ctrl = rel_err(rotated @ V, V * (sv ** 2 / lam)[:, None, :])
    mu = torch.sort(torch.rand(networks, sv.shape[1], generator=g, dtype=torch.float64), descending=True).values
    violations = {"trained W₁ with V diag(μ) Vᵀ (μ random, decreasing)":
                  proportionality_error(WtW, spectrum_for(V, mu.to(W.device)))}
    pairs = {"symbolic counterexample": (torch.tensor(SVD_COUNTEREXAMPLE["W"], dtype=torch.float64),
                                         torch.tensor(SVD_COUNTEREXAMPLE["M"], dtype=torch.float64))}
    wit = _svd_witness(seed)
    if wit is not None:
        Ww = torch.tensor(wit["W"], dtype=torch.float64)
        pairs["search witness (ReLU network, AGOP by autograd)"] = (Ww, witness_agop(wit["W"], wit["v"], wit["inputs"]))
    replays = {}
    for name, (Wp, M) in pairs.items():
        A = Wp.T @ Wp
        shared = _shares_eigenvectors_in_order(A, M, tol)
        err = float(proportionality_error(A[None], M[None]))
        replays[name] = {"shares_eigenvectors_in_order": shared, "proportionality_rel_err": err}
        violations[name] = torch.tensor([err if shared else 0.0], dtype=torch.float64)
    all_v = torch.cat([v.cpu() for v in violations.values()])
    as_stated = "violated" if float(all_v.min()) > tol else "holds"  # every instance must break the "⇐"
    return identity_result("dnfa.svd-form", fwd, tol, networks, device,
                           "max rel |(WᵀW/λ)V − Vσ²/λ| on trained W₁ (⇒)", as_stated=as_stated,
                           control=negative_control("the same with WᵀW/λ rotated by a random orthogonal Q", ctrl, tol),
                           converse_min_proportionality_error=float(all_v.min()), replays=replays)
