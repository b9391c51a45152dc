r"""Numeric cross-checks of the Hessian family (seed 003) in float64, on MLPs of depth 1–4.

Networks come from :mod:`nnclaims.numeric.curvature` (any depth, tanh unless stated, biases): ``d = 3`` inputs,
hidden width 5, ``n = 8`` data points whose targets come from a random teacher of the same architecture.
Where a claim speaks of an optimum the networks are **fitted to interpolation** by Levenberg–Marquardt
(:func:`~nnclaims.numeric.curvature.fit_to_interpolation`) and a network counts as *at an optimum* when

.. math:: \max_{x,c} |f_c(x) - y_{xc}| \le \mathrm{tol}(n q)\cdot\max(1, \max|y|) \qquad (\text{criterion } \mathcal O)

(every per-sample squared error is then stationary to float64 rounding; :func:`at_optimum`).  The Hessian
``H`` is ``torch.func.hessian`` of the loss (the oracle); the Gauss–Newton term ``G``, the residual term ``R``
and the Jacobian ``J`` come from the matrix-free products of :mod:`~nnclaims.numeric.curvature`, so the
comparisons are between independent code paths.  Each check returns ``as_stated`` (the claim as the seed
states it, on random networks and float64 replays of the symbolic counterexamples) and a negative control: the
same statistic where it must fail (a non-optimum, a wrong feature map, a flipped sign).
"""

from __future__ import annotations

import zlib

import torch
from torch.func import hessian, jacrev, vmap

from nnclaims.caching import cached
from nnclaims.proofs.registry import empirical_family, get_claim
from nnclaims.proofs.record import NumericResult

from .curvature import (ACTIVATIONS, Arch, activation_derivative, dense, fit_to_interpolation, forward, hidden,
                        init_theta, loss)
from .statistics import condition_summary, run_seeds, sample_size
from .tolerance import as_stated_from, identity_result, negative_control, tolerance

__all__ = [
    "DEPTHS", "arch_for", "optimum_zoo", "at_optimum", "zero_threshold", "zero_count",
    "check_gauss_newton_split", "check_residual_vanishes", "check_feature_gram_at_optimum",
    "check_zero_eigs_feature_rank", "check_vector_output", "check_linear_features_example",
    "check_earlier_layers_act_derivs", "check_next_layer_gradient_same", "check_layer_orthogonal_basis",
    "check_information_loss_broadness", "receptive_forward", "broadness_counts",
]

F64 = torch.float64
DEPTHS = (1, 2, 3, 4)
D_IN, WIDTH, N_POINTS = 3, 5, 8
GAP = 10.0
"""A network enters the zero-eigenvalue count only if J's smallest nonzero singular value squared is at least
``GAP`` times the zero threshold: its rank is then unambiguous at float64."""


def arch_for(depth: int, *, q: int = 1, activation: str = "tanh", bias: bool = True) -> Arch:
    """The family's architecture at a depth: ``3 → 5 → … → 5 → q``."""
    return Arch(d=D_IN, widths=(WIDTH,) * depth, q=q, activation=activation, bias=bias)


def _seed(seed: int, *key) -> int:
    return (seed * 7919 + zlib.crc32(repr(key).encode())) % (2 ** 31)


@cached(maxsize=32)
def optimum_zoo(networks: int, device: str, seed: int, arch: Arch, n: int = N_POINTS) -> dict:
    """``{"theta0", "theta", "X", "Y"}``: initial parameters, the same fitted to interpolation, inputs and teacher
    targets (float64, ``networks`` stacked).  Interpolation is reachable: ``n·q < P`` for every architecture
    used here."""
    g = torch.Generator().manual_seed(_seed(seed, arch, n))
    X = torch.randn(networks, n, arch.d, generator=g, dtype=F64)
    teacher = init_theta(arch, networks, g)
    theta0 = init_theta(arch, networks, g)
    X, teacher, theta0 = (t.to(device) for t in (X, teacher, theta0))
    Y = vmap(lambda t, x: forward(t, x, arch))(teacher, X)
    theta = fit_to_interpolation(theta0, X, Y, arch)
    return {"theta0": theta0, "theta": theta, "X": X, "Y": Y}


def at_optimum(theta, X, Y, arch: Arch) -> torch.Tensor:
    """Criterion 𝒪 of the module docstring, per network (a boolean mask)."""
    r = vmap(lambda t, x, y: (forward(t, x, arch) - y).abs().max())(theta, X, Y)
    tol = tolerance(F64, X.shape[-2] * arch.q) * Y.abs().flatten(1).amax(1).clamp_min(1.0)
    return r <= tol


def _dense(theta, X, Y, arch: Arch, kind: str = "mse") -> dict:
    K = theta.shape[0]
    return vmap(lambda t, x, y: dense(t, x, y, arch, kind, networks=K))(theta, X, Y)


def oracle_hessian(theta, X, Y, arch: Arch, kind: str = "mse"):
    """``torch.func.hessian`` of the loss, per network (reverse-over-forward; the independent oracle)."""
    return vmap(hessian(lambda t, x, y: loss(t, x, y, arch, kind)))(theta, X, Y)


def quartic_loss(theta, X, Y, arch: Arch):
    r""":math:`\sum_x \|f(x) - y\|_4^4`: convex, zero at a perfect fit, with :math:`\ell'' = 0` there."""
    return ((forward(theta, X, arch) - Y) ** 4).sum()


def _fro(A):
    return A.flatten(1).norm(dim=1)


def _rel(A, B):
    return _fro(A - B) / _fro(B).clamp_min(torch.finfo(F64).tiny)


def _jtj(J):
    return J.transpose(1, 2) @ J


def _optimum(networks, device, seed, arch):
    z = optimum_zoo(networks, device, seed, arch)
    ok = at_optimum(z["theta"], z["X"], z["Y"], arch)
    return z, ok


# --- float64 replays of the symbolic counterexamples ------------------------------------------------------

def _quartic_replay() -> dict:
    """The quartic counterexample (proofs.hessian.QUARTIC_COUNTEREXAMPLE) in float64: f = θ0 x + θ1 fits (1, 1),
    (2, 2) at θ* = (1, 0); ℓ = (f − y)⁴.  Returns H, the feature Jacobian J (rows (x, 1)) and the residuals."""
    data = torch.tensor([[1.0, 1.0], [2.0, 2.0]], dtype=F64)
    opt = torch.tensor([1.0, 0.0], dtype=F64)
    feats = torch.stack([data[:, 0], torch.ones(2, dtype=F64)], 1)
    L = lambda t: ((feats @ t - data[:, 1]) ** 4).sum()  # noqa: E731
    return {"H": hessian(L)(opt), "J": feats, "residual": feats @ opt - data[:, 1]}


def _residual_replay() -> dict:
    """The residual counterexample (proofs.hessian.RESIDUAL_COUNTEREXAMPLE) in float64: f = θ², y = −1, θ* = 0,
    squared error: L' = 0, L'' > 0, ℓ'' = 1 > 0 (convex), residual term (f − y) f'' = 2."""
    th = torch.zeros(1, dtype=F64)
    fq = lambda t: t[0] ** 2  # noqa: E731
    L = lambda t: 0.5 * (fq(t) + 1.0) ** 2  # noqa: E731
    H = hessian(L)(th)
    grad = torch.func.grad(L)(th)
    R = (fq(th) + 1.0) * hessian(fq)(th)
    return {"H": H, "R": R, "grad": grad}


def _ce_replay() -> dict:
    """The cross-entropy counterexample in float64: p = (½, ½), J = I: Jᵀ(diag p − ppᵀ)J against JᵀJ."""
    p = torch.tensor([0.5, 0.5], dtype=F64)
    J = torch.eye(2, dtype=F64)
    return {"G": J.T @ (torch.diag(p) - torch.outer(p, p)) @ J, "gram": J.T @ J}


def _distance_from_multiple(A, B):
    """``min_c ‖A − cB‖_F / ‖A‖_F`` per network (least-squares c): 0 iff A is a multiple of B."""
    c = (A * B).flatten(1).sum(1) / (B * B).flatten(1).sum(1).clamp_min(torch.finfo(F64).tiny)
    return _fro(A - c[:, None, None] * B) / _fro(A).clamp_min(torch.finfo(F64).tiny)


# --- hessian.gauss-newton-split -----------------------------------------------------------------------------

def check_gauss_newton_split(networks=16, device="cpu", seed=0) -> NumericResult:
    """H (``torch.func.hessian``) = G + R (products) for squared error at initial and fitted parameters and for
    softmax cross-entropy (q = 3, random labels), depths 1–4.  Control: the residual term with its sign flipped
    (G − R) at the initial parameters."""
    errs, flipped, per_depth = [], [], {}
    for depth in DEPTHS:
        for kind, q in (("mse", 1), ("xent", 3)):
            arch = arch_for(depth, q=q)
            z = optimum_zoo(networks, device, seed, arch_for(depth))
            X = z["X"]
            if kind == "mse":
                points = ((z["theta0"], z["Y"]), (z["theta"], z["Y"]))
            else:
                g = torch.Generator().manual_seed(_seed(seed, "labels", depth))
                labels = torch.randint(0, q, (networks, X.shape[1]), generator=g).to(device)
                theta = init_theta(arch, networks, g).to(device)
                points = ((theta, labels),)
            for i, (theta, Y) in enumerate(points):
                d = _dense(theta, X, Y, arch, kind)
                H = oracle_hessian(theta, X, Y, arch, kind)
                e = _rel(d["G"] + d["R"], H)
                errs.append(e)
                per_depth[f"depth {depth} {kind}{' fitted' if i else ''}"] = float(e.max())
                if i == 0:
                    flipped.append(_rel(d["G"] - d["R"], H))
    errs = torch.stack(errs).amax(0)
    tol = tolerance(F64, N_POINTS * 3 * arch_for(DEPTHS[-1], q=3).P)
    return identity_result("hessian.gauss-newton-split", errs, tol, networks, device,
                           "max rel ‖G + R − H‖_F/‖H‖_F (MSE at init and fitted, cross-entropy; depths 1–4)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("G − R (residual term's sign flipped) against H at the initial "
                                                    "parameters", torch.cat(flipped), tol),
                           per_depth=per_depth, depths=list(DEPTHS))


# --- hessian.residual-vanishes ---------------------------------------------------------------------------

def _non_interpolating_minima(networks, device, seed) -> dict:
    r"""Random instances of the search's model family :math:`f_\theta(x) = a\theta^2x + b\theta x^2` (a, b, three data
    points drawn at random, float64) at the global minimum θ* of the convex squared error: the real root of the cubic
    L'(θ) with the least loss.  Returns per instance |L'(θ*)|/L''(θ*), L''(θ*) (autograd), whether the fit is
    perfect, and |residual term|/L''(θ*) with the residual term Σ (f − y) ∂²f/∂θ²."""
    import numpy as np

    g = torch.Generator().manual_seed(_seed(seed, "non-interpolating"))
    a, b = torch.randn(2, networks, generator=g, dtype=F64)
    x, yv = torch.randn(2, networks, 3, generator=g, dtype=F64)
    u, w = a[:, None] * x, b[:, None] * x ** 2  # f = u θ² + w θ per point
    coeffs = torch.stack([(2 * u ** 2).sum(1), (3 * u * w).sum(1), (w ** 2 - 2 * u * yv).sum(1), -(w * yv).sum(1)], 1)
    L = lambda t, uu, ww, yy: 0.5 * ((uu * t ** 2 + ww * t - yy) ** 2).sum()  # noqa: E731
    thetas = []
    for k in range(networks):
        roots = np.roots(coeffs[k].numpy())
        real = torch.tensor(roots[np.abs(roots.imag) < 1e-9].real, dtype=F64)
        losses = torch.stack([L(t, u[k], w[k], yv[k]) for t in real])
        thetas.append(real[int(losses.argmin())])
    th = torch.stack(thetas)
    d1 = vmap(torch.func.grad(L))(th, u, w, yv)
    d2 = vmap(hessian(L))(th, u, w, yv)
    r = u * th[:, None] ** 2 + w * th[:, None] - yv
    residual = (r * 2 * u).sum(1)
    return {"grad": (d1.abs() / d2.abs()).to(device), "lambda_min": d2.to(device),
            "perfect": (r.abs().amax(1) <= tolerance(F64, 3)).to(device),
            "ratio": (residual.abs() / d2.abs()).to(device)}


def check_residual_vanishes(networks=16, device="cpu", seed=0) -> NumericResult:
    """Conditional form: at optima with ℓ' = 0 on the data (criterion 𝒪, squared error) ‖R‖_F/‖H‖_F is at
    rounding level, depths 1–4.  Control: the same ratio at the initial parameters.  As stated ("vanishes because
    the loss is convex at optima"): the symbolic counterexample replayed in float64 (f = θ², y = −1, a strict
    minimum of a convex loss with R = H) and random networks at strict non-interpolating minima of the convex
    squared error, where R does not vanish."""
    ratios, ratios0, per_depth, kept = [], [], {}, 0
    for depth in DEPTHS:
        arch = arch_for(depth)
        z, ok = _optimum(networks, device, seed, arch)
        for key, out in (("theta", ratios), ("theta0", ratios0)):
            d = _dense(z[key], z["X"], z["Y"], arch)
            H = oracle_hessian(z[key], z["X"], z["Y"], arch)
            r = _fro(d["R"]) / _fro(H)
            out.append(r[ok] if key == "theta" else r)
        per_depth[f"depth {depth}"] = float(ratios[-1].max()) if ratios[-1].numel() else None
        kept += int(ok.sum())
    errs = torch.cat(ratios)
    tol = tolerance(F64, N_POINTS * arch_for(DEPTHS[-1]).P)
    rep = _residual_replay()
    replay = (rep["R"].norm() / rep["H"].norm()).reshape(1)
    minima = _non_interpolating_minima(networks, device, seed)
    strict = (minima["grad"] <= tol) & (minima["lambda_min"] > 0) & ~minima["perfect"]
    stated = torch.cat([replay, minima["ratio"][strict]])
    return identity_result("hessian.residual-vanishes", errs, tol, kept, device,
                           "max ‖R‖_F/‖H‖_F at optima with ℓ' = 0 on the data (criterion 𝒪; depths 1–4)",
                           as_stated="violated" if float(stated.max()) > tol else "holds",
                           control=negative_control("the same ratio at the initial parameters (ℓ' ≠ 0)",
                                                    torch.cat(ratios0), tol),
                           per_depth=per_depth, of=networks * len(DEPTHS),
                           replay={"residual_over_hessian": float(replay), "grad": float(rep["grad"].abs().max()),
                                   "hessian": float(rep["H"].reshape(-1)[0])},
                           non_interpolating_minima={"strict_minima": int(strict.sum()), "of": networks,
                                                     "model": "a θ² x + b θ x², 3 points",
                                                     "median_residual_over_hessian": float(minima["ratio"][strict].median())
                                                     if bool(strict.any()) else None})


# --- hessian.linear-features-example ---------------------------------------------------------------------

def _linear_feature_models(networks, device, seed, depth):
    """Features g(x) = the last hidden layer of a random depth-``depth`` tanh network (frozen), the constant 1,
    random θ and targets: f(x) = Σ θ_i g_i(x) + c, linear in (θ, c)."""
    arch = arch_for(depth)
    g = torch.Generator().manual_seed(_seed(seed, "linear-features", depth))
    fmap = init_theta(arch, networks, g).to(device)
    X = torch.randn(networks, N_POINTS, D_IN, generator=g, dtype=F64).to(device)
    Y = torch.randn(networks, N_POINTS, generator=g, dtype=F64).to(device)
    theta = torch.randn(networks, WIDTH + 1, generator=g, dtype=F64).to(device)
    feats = vmap(lambda p, x: hidden(p, x, arch)[1][-1])(fmap, X)
    ones = torch.ones(networks, N_POINTS, 1, dtype=F64, device=device)
    return torch.cat([feats, ones], 2), Y, theta


def _feature_loss_hessian(feats, Y, theta, power: int):
    """Hessian of Σ_x c_p (f − y)^p with f = [g, 1]·θ (p = 2: the squared error with c = ½; p = 4: quartic)."""
    c = 0.5 if power == 2 else 1.0
    return vmap(hessian(lambda t, F, y: c * ((F @ t - y) ** power).sum()))(theta, feats, Y)


def check_linear_features_example(networks=16, device="cpu", seed=0) -> NumericResult:
    """Conditional form (squared error): H = Gram of the features (g, 1) at random θ, features from frozen random
    networks of depth 1–4.  Control: the Gram without the constant feature.  As stated (any loss): the quartic loss
    at random θ and the quartic counterexample replayed in float64, where H is not the Gram."""
    errs, wrong, stated = [], [], []
    for depth in DEPTHS:
        feats, Y, theta = _linear_feature_models(networks, device, seed, depth)
        gram = _jtj(feats)
        H = _feature_loss_hessian(feats, Y, theta, 2)
        errs.append(_rel(H, gram))
        no_const = feats.clone()
        no_const[..., -1] = 0
        wrong.append(_rel(H, _jtj(no_const)))
        stated.append(_rel(_feature_loss_hessian(feats, Y, theta, 4), gram))
    rep = _quartic_replay()
    stated.append(_rel(rep["H"][None], _jtj(rep["J"][None])))
    errs = torch.cat(errs)
    tol = tolerance(F64, N_POINTS * (WIDTH + 1))
    return identity_result("hessian.linear-features-example", errs, tol, networks * len(DEPTHS), device,
                           "max rel ‖H − Gram(g, 1)‖_F (squared error, random θ; features of depth 1–4)",
                           as_stated=as_stated_from(torch.cat(stated), tol),
                           control=negative_control("Gram of the features without the constant 1", torch.cat(wrong), tol),
                           quartic_min_rel_err=float(torch.cat(stated).min()))


# --- hessian.feature-gram-at-optimum ---------------------------------------------------------------------

def check_feature_gram_at_optimum(networks=16, device="cpu", seed=0) -> NumericResult:
    """Conditional form (squared error): at optima (criterion 𝒪) H = JᵀJ, depths 1–4.  Control: the same statistic
    at the initial parameters.  As stated (any loss): the quartic loss at the *same* optima (a perfect fit of a
    convex loss) and the quartic counterexample in float64 have H ≈ 0 ≠ JᵀJ."""
    errs, ctrl, stated, kept, per_depth = [], [], [], 0, {}
    for depth in DEPTHS:
        arch = arch_for(depth)
        z, ok = _optimum(networks, device, seed, arch)
        for key in ("theta", "theta0"):
            J = vmap(lambda t, x: jacrev(lambda u: forward(u, x, arch).reshape(-1))(t))(z[key], z["X"])
            H = oracle_hessian(z[key], z["X"], z["Y"], arch)
            e = _rel(_jtj(J), H)
            if key == "theta":
                errs.append(e[ok])
                Hq = vmap(hessian(lambda t, x, y: quartic_loss(t, x, y, arch)))(z[key], z["X"], z["Y"])
                stated.append(_rel(Hq, _jtj(J))[ok])
            else:
                ctrl.append(e)
        per_depth[f"depth {depth}"] = float(errs[-1].max()) if errs[-1].numel() else None
        kept += int(ok.sum())
    rep = _quartic_replay()
    stated.append(_rel(rep["H"][None], _jtj(rep["J"][None])))
    tol = tolerance(F64, N_POINTS * arch_for(DEPTHS[-1]).P)
    return identity_result("hessian.feature-gram-at-optimum", torch.cat(errs), tol, kept, device,
                           "max rel ‖JᵀJ − H‖_F/‖H‖_F at optima (squared error, criterion 𝒪; depths 1–4)",
                           as_stated=as_stated_from(torch.cat(stated), tol),
                           control=negative_control("the same statistic at the initial parameters (not an optimum)",
                                                    torch.cat(ctrl), tol),
                           per_depth=per_depth, of=networks * len(DEPTHS))


# --- hessian.zero-eigs-feature-rank ----------------------------------------------------------------------

def zero_threshold(scale: torch.Tensor, P: int) -> torch.Tensor:
    r"""An eigenvalue counts as zero when :math:`|\lambda| \le \mathrm{tol}(P)\,\|J^\top J\|_2`: the rounding
    level of a ``P × P`` symmetric eigenproblem on the scale of the features (``scale`` = ‖JᵀJ‖₂)."""
    return tolerance(F64, P) * scale


def zero_count(H: torch.Tensor, J: torch.Tensor) -> dict:
    r"""Per network: the number of zero eigenvalues of ``H`` (:func:`zero_threshold`), ``P − rank J`` (rank with
    the usual :math:`\max(nq, P)\,\varepsilon\,\sigma_{\max}` cut) and the gap ratio
    :math:`\sigma_r(J)^2 / \text{threshold}` (``inf`` when J has rank 0)."""
    P = H.shape[-1]
    sv = torch.linalg.svdvals(J)
    cut = max(J.shape[-2:]) * torch.finfo(F64).eps * sv[:, :1]
    rank = (sv > cut).sum(-1)
    thr = zero_threshold(sv[:, 0] ** 2, P)
    zeros = (torch.linalg.eigvalsh(H).abs() <= thr[:, None]).sum(-1)
    smallest = torch.where(rank > 0, sv.gather(1, (rank - 1).clamp_min(0)[:, None])[:, 0], torch.full_like(thr, float("inf")))
    return {"zeros": zeros, "expected": P - rank, "rank": rank, "threshold": thr, "gap": smallest ** 2 / thr}


def check_zero_eigs_feature_rank(networks=16, device="cpu", seed=0) -> NumericResult:
    """Conditional form (ℓ'' = 1 > 0): at optima — criterion 𝒪 and ‖R‖₂ ≤ threshold/2, so by Weyl the zero
    eigenvalues of JᵀJ stay below the threshold — with J's rank unambiguous (gap ≥ GAP), #zero eigenvalues of H =
    P − rank J; depths 1–4, tanh, plus ReLU and identity (deep linear) at depth 2.  Statistic: the number of
    networks where they differ (tolerance 0).  Control: the same count at the initial parameters (not an
    optimum).  As stated (any loss at a perfect optimum): the quartic loss at the same optima, and the quartic
    counterexample in float64, have P zero eigenvalues, not P − rank J."""
    mismatch, ctrl, stated, per_arch, first = [], [], [], {}, None
    archs = [arch_for(depth) for depth in DEPTHS] + [arch_for(2, activation="relu"), arch_for(2, activation="identity")]
    for arch in archs:
        z, ok = _optimum(networks, device, seed, arch)
        X, Y = z["X"], z["Y"]
        d = _dense(z["theta"], X, Y, arch)
        H = oracle_hessian(z["theta"], X, Y, arch)
        c = zero_count(H, d["J"])
        usable = ok & (torch.linalg.matrix_norm(d["R"], ord=2) <= c["threshold"] / 2) & (c["gap"] >= GAP)
        mismatch.append((c["zeros"] != c["expected"])[usable].to(F64))
        Hq = vmap(hessian(lambda t, x, y: quartic_loss(t, x, y, arch)))(z["theta"], X, Y)
        cq = zero_count(Hq, d["J"])
        stated.append((cq["zeros"] != cq["expected"])[usable].to(F64))
        d0 = _dense(z["theta0"], X, Y, arch)
        c0 = zero_count(oracle_hessian(z["theta0"], X, Y, arch), d0["J"])
        ctrl.append((c0["zeros"] != c0["expected"]).to(F64))
        per_arch[f"depth {arch.depth} {arch.activation}"] = {
            "usable": int(usable.sum()), "of": networks, "zeros_median": float(c["zeros"].to(F64).median()),
            "expected_median": float(c["expected"].to(F64).median()), "P": arch.P,
            "min_gap": float(c["gap"][usable].min()) if bool(usable.any()) else None}
        if first is None and bool(usable.any()):
            k = int(usable.nonzero()[0, 0])
            first = {"spectrum_network0": torch.linalg.eigvalsh(H[k]).abs().sort().values.tolist(),
                     "weyl_threshold_network0": float(c["threshold"][k]), "expected_zero_network0": int(c["expected"][k])}
    rep = _quartic_replay()
    cr = zero_count(rep["H"][None], rep["J"][None])
    stated.append((cr["zeros"] != cr["expected"]).to(F64))
    errs = torch.cat(mismatch)
    return identity_result("hessian.zero-eigs-feature-rank", errs, 0.0, errs.numel(), device,
                           "networks at an optimum where #zero eigenvalues of H ≠ P − rank J (depths 1–4)",
                           as_stated=as_stated_from(torch.cat(stated), 0.0),
                           control=negative_control("the same count at the initial parameters (not an optimum)",
                                                    torch.cat(ctrl), 0.0),
                           per_architecture=per_arch, criterion="criterion 𝒪, ‖R‖₂ ≤ threshold/2, gap ≥ 10",
                           quartic_replay={"zeros": int(cr["zeros"][0]), "P_minus_rank_J": int(cr["expected"][0])},
                           **(first or {}))


# --- hessian.vector-output -------------------------------------------------------------------------------

def check_vector_output(networks=16, device="cpu", seed=0) -> NumericResult:
    """Conditional form (squared error, q = 3): at optima (criterion 𝒪) H = Σ_x J_xᵀJ_x, depths 1–4.  Control:
    the same statistic at the initial parameters.  As stated (other losses too): softmax cross-entropy's
    Gauss–Newton term Σ Jᵀ(diag p − ppᵀ)J at random θ is not a multiple of Σ JᵀJ, and neither is the
    counterexample's (p = (½, ½), J = I) replayed in float64.  The cross-entropy curvature that shows the
    violation is itself checked (G + R against ``torch.func.hessian``) as part of the status."""
    errs, ctrl, stated, split, kept = [], [], [], [], 0
    for depth in DEPTHS:
        arch = arch_for(depth, q=3)
        z, ok = _optimum(networks, device, seed, arch)
        for key in ("theta", "theta0"):
            d = _dense(z[key], z["X"], z["Y"], arch)
            e = _rel(_jtj(d["J"]), oracle_hessian(z[key], z["X"], z["Y"], arch))
            (errs if key == "theta" else ctrl).append(e[ok] if key == "theta" else e)
        kept += int(ok.sum())
        g = torch.Generator().manual_seed(_seed(seed, "ce-labels", depth))
        labels = torch.randint(0, 3, (networks, N_POINTS), generator=g).to(device)
        d = _dense(z["theta0"], z["X"], labels, arch, "xent")
        stated.append(_distance_from_multiple(d["G"], _jtj(d["J"])))
        split.append(_rel(d["G"] + d["R"], oracle_hessian(z["theta0"], z["X"], labels, arch, "xent")))
    rep = _ce_replay()
    stated.append(_distance_from_multiple(rep["G"][None], rep["gram"][None]))
    tol = tolerance(F64, N_POINTS * 3 * arch_for(DEPTHS[-1], q=3).P)
    stated = torch.cat(stated)
    errs = torch.maximum(torch.cat(errs), torch.cat(split).amax().expand(kept)) if kept else torch.cat(errs)
    return identity_result("hessian.vector-output", errs, tol, kept, device,
                           "max rel ‖Σ J_xᵀJ_x − H‖_F/‖H‖_F at optima (squared error, q = 3; depths 1–4), and "
                           "‖G + R − H‖ for the cross-entropy curvature the violation is read from",
                           as_stated=as_stated_from(stated, tol),
                           control=negative_control("the same statistic at the initial parameters (not an optimum)",
                                                    torch.cat(ctrl), tol),
                           ce_distance_from_gram_min=float(stated.min()), of=networks * len(DEPTHS))


# --- hessian.earlier-layers-act-derivs -------------------------------------------------------------------

def backprop_features(theta, X, arch: Arch, derivative=None) -> list[torch.Tensor]:
    r"""``∂f/∂W_l`` for every layer by the formula (q = 1): :math:`\partial f/\partial W_l[e, m] = h_{l-1}[e]\,\delta_l[m]`
    with :math:`\delta_{L+1} = 1`, :math:`\delta_l = \sigma'(z_l) \odot (\delta_{l+1} W_{l+1}^\top)` — each earlier
    layer's features carry one more factor σ'.  Shapes ``(n, fan_in, fan_out)``."""
    from .curvature import unflatten

    derivative = derivative or activation_derivative
    zs, hs = hidden(theta, X, arch)
    layers = unflatten(theta, arch)
    delta = torch.ones_like(zs[-1])
    out = [None] * len(layers)
    for l in range(len(layers) - 1, -1, -1):
        out[l] = hs[l][:, :, None] * delta[:, None, :]
        if l > 0:
            delta = derivative(zs[l - 1], arch) * (delta @ layers[l][0].T)
    return out


def _autograd_features(theta, X, arch: Arch) -> list[torch.Tensor]:
    J = jacrev(lambda t: forward(t, X, arch)[:, 0])(theta)  # (n, P)
    return [J[:, w0:w0 + a * b].reshape(-1, a, b) for (a, b), (w0, _) in zip(arch.sizes, arch.offsets())]


def check_earlier_layers_act_derivs(networks=16, device="cpu", seed=0) -> NumericResult:
    """Autograd ∂f/∂W_l against the backward formula with σ' factors, every layer, depths 1–4, tanh and sigmoid,
    at the fitted parameters.  Control: the same formula with σ' replaced by 1 (features without the activation
    derivatives)."""
    errs, ctrl = [], []
    one = lambda z, arch: torch.ones_like(z)  # noqa: E731
    for depth in DEPTHS:
        for act in ("tanh", "sigmoid"):
            arch = arch_for(depth, activation=act)
            z = optimum_zoo(networks, device, seed, arch_for(depth))
            theta = z["theta"] if act == "tanh" else init_theta(arch, networks, torch.Generator().manual_seed(
                _seed(seed, "sigmoid", depth))).to(device)
            got = vmap(lambda t, x: _autograd_features(t, x, arch))(theta, z["X"])
            want = vmap(lambda t, x: backprop_features(t, x, arch))(theta, z["X"])
            naive = vmap(lambda t, x: backprop_features(t, x, arch, one))(theta, z["X"])
            errs.append(torch.stack([_rel(a, b) for a, b in zip(got, want)]).amax(0))
            if depth > 0:
                ctrl.append(torch.stack([_rel(a, b) for a, b in zip(got[:-1], naive[:-1])]).amin(0))
    errs = torch.stack(errs).amax(0)
    tol = tolerance(F64, N_POINTS * WIDTH * DEPTHS[-1])
    return identity_result("hessian.earlier-layers-act-derivs", errs, tol, networks, device,
                           "max rel ‖autograd ∂f/∂W_l − h_{l−1} δ_l‖ over layers (σ' in δ; depths 1–4, tanh and sigmoid)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("the formula with σ' = 1 (no activation derivatives), layers "
                                                    "before the last", torch.cat(ctrl), tol))


# --- hessian.next-layer-gradient-same --------------------------------------------------------------------

def _preactivation_gradients(theta, X, arch: Arch, layer: int):
    """``(n, width_l, fan_in, width_l)``: ∂z_l[x, k]/∂W_l[e, k'] by autograd."""
    (a, b), (w0, _) = arch.sizes[layer], arch.offsets()[layer]
    Jz = jacrev(lambda t: hidden(t, X, arch)[0][layer])(theta)  # (n, b, P)
    return Jz[..., w0:w0 + a * b].reshape(X.shape[0], b, a, b)


def check_next_layer_gradient_same(networks=16, device="cpu", seed=0) -> NumericResult:
    """For every layer l (hidden and output, q = 2) and unit k: ∂z_l[k]/∂W_l[:, k] = h_{l−1} and
    ∂z_l[k]/∂W_l[:, k'] = 0 for k' ≠ k; depths 1–4 at random parameters (an identity at every θ).  Control: the
    same comparison against the previous layer's activations of another data point (rolled by one)."""
    errs, ctrl = [], []
    for depth in DEPTHS:
        arch = arch_for(depth, q=2)
        g = torch.Generator().manual_seed(_seed(seed, "next-layer", depth))
        X = torch.randn(networks, N_POINTS, D_IN, generator=g, dtype=F64).to(device)
        theta = init_theta(arch, networks, g).to(device)
        hs = vmap(lambda t, x: hidden(t, x, arch)[1])(theta, X)
        for layer in range(depth + 1):
            G = vmap(lambda t, x: _preactivation_gradients(t, x, arch, layer))(theta, X)
            eye = torch.eye(G.shape[2], dtype=F64, device=device)
            want = hs[layer][:, :, None, :, None] * eye[None, None, :, None, :]  # h_{l-1}[e] δ_kk'
            errs.append(_rel(G, want))
            rolled = hs[layer].roll(1, dims=1)[:, :, None, :, None] * eye[None, None, :, None, :]
            ctrl.append(_rel(G, rolled))
    errs = torch.stack(errs).amax(0)
    tol = tolerance(F64, WIDTH)
    return identity_result("hessian.next-layer-gradient-same", errs, tol, networks, device,
                           "max rel ‖∂z_l[k]/∂W_l[:, k'] − h_{l−1} δ_kk'‖ over layers and units (depths 1–4)",
                           as_stated=as_stated_from(errs, tol),
                           control=negative_control("against another data point's activations",
                                                    torch.stack(ctrl).amin(0), tol))


# --- hessian.layer-orthogonal-basis ----------------------------------------------------------------------

def rebased_forward(theta, X, arch: Arch, layer: int, U, mode: str):
    r"""The network with hidden layer ``layer`` (1-based) re-expressed in the basis ``U``.

    ``mode``: ``"outgoing"`` — features :math:`h_lU` and :math:`W_{l+1} \to U^\top W_{l+1}` (the same function);
    ``"features-only"`` — :math:`h_lU` with :math:`W_{l+1}` unchanged (the control); ``"both"`` — the seed's
    reading, both adjacent matrices: :math:`W_l, b_l \to W_lU, b_lU` (σ then acts on the new coordinates) and
    :math:`W_{l+1} \to U^\top W_{l+1}`."""
    from .curvature import unflatten

    act = ACTIVATIONS[arch.activation]
    layers = unflatten(theta, arch)
    h = X
    for i, (W, b) in enumerate(layers):
        bias = b if b is not None else 0
        if i == layer and mode in ("outgoing", "both"):
            W = U.T @ W
        if i == layer - 1 and mode == "both":
            h = act(h @ (W @ U) + (bias @ U if b is not None else 0))
            continue
        z = h @ W + bias
        h = act(z) if i < len(layers) - 1 else z
        if i == layer - 1:
            h = h @ U
    return h


def check_layer_orthogonal_basis(networks=16, device="cpu", seed=0) -> NumericResult:
    """Every hidden layer of depth-1–4 tanh networks (fitted), U the eigenbasis of Σ_x h hᵀ.  Conditional form:
    the new features hU are orthogonal over the data and re-expressing the *outgoing* side (hU, UᵀW_{l+1}) keeps
    the outputs.  Control: the new features without transforming the outgoing weights.  As stated (both adjacent
    matrices re-expressed): the outputs change; and the ReLU rotation counterexample replayed in float64.  The
    re-expressed network the violation is read from is itself checked against σ(z_L U) UᵀW_{L+1} + b written out
    for the last hidden layer (part of the status)."""
    errs, ctrl, stated = [], [], []
    for depth in DEPTHS:
        arch = arch_for(depth)
        z = optimum_zoo(networks, device, seed, arch)
        theta, X = z["theta"], z["X"]
        out = vmap(lambda t, x: forward(t, x, arch))(theta, X)
        hs = vmap(lambda t, x: hidden(t, x, arch)[1])(theta, X)
        for layer in range(1, depth + 1):
            Hh = hs[layer]
            _, U = torch.linalg.eigh(Hh.transpose(1, 2) @ Hh)
            G = (Hh @ U).transpose(1, 2) @ (Hh @ U)
            offdiag = _fro(G - torch.diag_embed(torch.diagonal(G, dim1=1, dim2=2))) / _fro(G)
            kept = vmap(lambda t, x, u: rebased_forward(t, x, arch, layer, u, "outgoing"))(theta, X, U)
            errs.append(torch.maximum(offdiag, _rel(kept, out)))
            no_out = vmap(lambda t, x, u: rebased_forward(t, x, arch, layer, u, "features-only"))
            ctrl.append(_rel(no_out(theta, X, U), out))
            both = vmap(lambda t, x, u: rebased_forward(t, x, arch, layer, u, "both"))(theta, X, U)
            stated.append(_rel(both, out))
            if layer == depth:  # the seed's re-expression written out for the last hidden layer: σ(z U) Uᵀ W + b
                zs = vmap(lambda t, x: hidden(t, x, arch)[0])(theta, X)
                W, b = theta[:, arch.offsets()[-1][0]:arch.offsets()[-1][1]], theta[:, arch.offsets()[-1][1]:]
                W = W.reshape(networks, WIDTH, arch.q)
                explicit = torch.tanh(zs[layer - 1] @ U) @ (U.transpose(1, 2) @ W) + b[:, None, :]
                errs.append(_rel(both, explicit))
    Ur = torch.tensor([[0.6, -0.8], [0.8, 0.6]], dtype=F64)
    zr = torch.tensor([[1.0, 0.0]], dtype=F64)
    stated.append(_rel(torch.relu(zr @ Ur)[None], (torch.relu(zr) @ Ur)[None]))
    errs = torch.stack(errs).amax(0)
    tol = tolerance(F64, N_POINTS * WIDTH * DEPTHS[-1])
    stated = torch.cat([s.reshape(-1) for s in stated])
    return identity_result("hessian.layer-orthogonal-basis", errs, tol, networks, device,
                           "max over hidden layers of (off-diagonal Gram of hU, rel output change with the outgoing "
                           "side re-expressed); depths 1–4",
                           as_stated=as_stated_from(stated, tol),
                           control=negative_control("features hU with the outgoing weights left as they were",
                                                    torch.stack(ctrl).amin(0), tol),
                           both_sides_min_rel_change=float(stated.min()))


# --- hessian.information-loss-broadness (empirical) ------------------------------------------------------

BROAD_D, BROAD_H, BROAD_R, BROAD_N = 8, 4, 2, 64
BROAD_EPS = 1e-6
BROAD_CURVE = (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
DESIGNS = {
    "independent": tuple((2 * m, 2 * m + 1) for m in range(BROAD_H)),  # unit m reads inputs 2m, 2m+1
    "shared": tuple((0, 1) for _ in range(BROAD_H)),  # every unit reads inputs 0, 1
    "independent-relabelled": tuple((m, m + BROAD_H) for m in range(BROAD_H)),  # another disjoint assignment
}


def receptive_forward(theta, X, fields: tuple, depth: int):
    r"""A tanh MLP whose first-layer unit ``m`` reads only the inputs ``fields[m]`` (``r`` weights and a bias per
    unit), then ``depth − 1`` dense hidden layers of the same width and a scalar output.  Every design has the
    same number of parameters :math:`P = h(r + 1) + (depth - 1)(h^2 + h) + h + 1`."""
    idx = torch.tensor(fields, device=X.device)
    h, r = idx.shape
    i = 0
    w = theta[i:i + h * r].reshape(h, r)
    i += h * r
    b = theta[i:i + h]
    i += h
    a = torch.tanh((X[:, idx] * w).sum(-1) + b)
    for _ in range(depth - 1):
        W = theta[i:i + h * h].reshape(h, h)
        i += h * h
        a = torch.tanh(a @ W + theta[i:i + h])
        i += h
    return a @ theta[i:i + h] + theta[i + h]


def broadness_counts(networks: int, device: str, seed: int, depth: int, design: str) -> dict:
    """Per network: #eigenvalues of H with |λ| ≤ ε·λ_max for every ε of the curve, at the perfect-loss optimum
    given by the teacher's own parameters (the targets are its outputs, so the loss is exactly 0 there; the
    same teacher weights, inputs and wiring pattern size in every design), and the rounding-level count.
    Network ``i`` is drawn from its own seed ``seed + i`` (inputs, then weights), so a run is named by its seed
    range and the designs are paired network by network."""
    P = BROAD_H * (BROAD_R + 1) + (depth - 1) * (BROAD_H ** 2 + BROAD_H) + BROAD_H + 1
    X, theta = [], []
    for i in range(networks):
        g = torch.Generator().manual_seed(_seed(seed + i, "broadness", depth))
        X.append(torch.randn(BROAD_N, BROAD_D, generator=g, dtype=F64))
        theta.append(torch.randn(P, generator=g, dtype=F64))
    X, theta = torch.stack(X).to(device), torch.stack(theta).to(device)
    fields = DESIGNS[design]
    Y = vmap(lambda t, x: receptive_forward(t, x, fields, depth))(theta, X)
    r = vmap(lambda t, x, y: receptive_forward(t, x, fields, depth) - y)(theta, X, Y).abs().flatten(1).amax(1)
    H = vmap(hessian(lambda t, x, y: 0.5 * ((receptive_forward(t, x, fields, depth) - y) ** 2).sum()))(theta, X, Y)
    ev = torch.linalg.eigvalsh(H).abs()
    top = ev.amax(1, keepdim=True)
    counts = {eps: (ev <= eps * top).sum(1).to(F64) for eps in BROAD_CURVE}
    counts["rounding"] = (ev <= tolerance(F64, P) * top).sum(1).to(F64)
    return {"counts": counts, "residual_max": float(r.max()), "P": P}


BROAD_SEEN_BEFORE = {
    "depth-1": {"value": 0.0, "interval": [0.0, 2.0], "status": "unsupported", "n": 16,
                "ci_method": "percentile bootstrap (nominal 97.5 %; its coverage at n = 16 is not that)"},
    "depth-2": {"value": 8.0, "interval": [7.0, 9.0], "status": "supported", "n": 16,
                "ci_method": "percentile bootstrap (nominal 97.5 %; its coverage at n = 16 is not that)"},
    "average over the depths (the statistic judged then)": {"value": 4.5, "interval": [4.0, 5.0], "status": "supported",
                                                            "n": 16, "ci_method": "percentile bootstrap (nominal 95 %)"},
}
"""The exploratory run, seen before the design was registered again on 2026-12-03: the committed CPU reference
report (commit 8a5f913, ``--networks 16 --seed 0``, networks drawn from one generator), by the earlier rule."""


def check_information_loss_broadness(networks=16, device="cpu", seed=0) -> NumericResult:
    """The preregistered experiment (the claim's Preregistration, read from the registry): paired by network (same
    inputs, same weight values), first-layer units that all read the same two of eight inputs ("shared") against
    units that read disjoint pairs ("independent"); tanh, 64 data points > P, at perfect-loss optima (the
    teacher's own parameters).  Per network: the difference shared − independent in the number of near-zero
    eigenvalues (|λ| ≤ 1e-6 λ_max).  Each depth (one, two hidden layers) is a preregistered condition, judged on
    its own (never averaged): the median with its distribution-free order-statistic interval at the run's family
    level (:func:`nnclaims.proofs.catalogue.empirical_family`), supported when the interval lies at or above the
    threshold; networks per condition by the preregistered sample-size rule (:func:`statistics.sample_size`);
    networks from the seeds of :func:`statistics.run_seeds` (the default ``seed = 0`` is the confirmatory range).
    Exact linear dependence of the features is *not* built in — inputs are full rank in both designs; the
    rounding-level counts are reported to show it — so the outcome is not forced by the design.  Control, per
    condition, by the same pipeline on a design without information loss: independent against another disjoint
    assignment of inputs to units (paired per network; its value varies with the networks), which must come out
    unsupported in every condition.  The exploratory values seen before are reported beside
    (:data:`BROAD_SEEN_BEFORE`)."""
    claim_id = "hessian.information-loss-broadness"
    pre = get_claim(claim_id).preregistered
    family = empirical_family()
    n = sample_size(networks, family["level"])
    run = run_seeds(pre.confirmatory_seeds, seed, n)
    first = run["seeds"][0]
    conditions, controls, details, P = {}, {}, {}, {}
    residual = 0.0
    for depth in (1, 2):
        c = {}
        for design in DESIGNS:
            out = broadness_counts(n, device, first, depth, design)
            c[design], residual, P[depth] = out["counts"], max(residual, out["residual_max"]), out["P"]
        name = f"depth-{depth}"
        diff = c["shared"][BROAD_EPS] - c["independent"][BROAD_EPS]
        ctrl = c["independent-relabelled"][BROAD_EPS] - c["independent"][BROAD_EPS]
        conditions[name] = condition_summary(diff.tolist(), pre.threshold, level=family["level"])
        conditions[name]["per_network"] = diff.tolist()
        controls[name] = condition_summary(ctrl.tolist(), pre.threshold, level=family["level"])
        controls[name]["per_network"] = ctrl.tolist()
        conditions[name]["control"] = {k: controls[name][k] for k in ("value", "interval", "status")}
        for design in DESIGNS:
            details[f"n={BROAD_N} depth {depth} {design}"] = float(c[design][BROAD_EPS].median())
        details[f"curve depth {depth}"] = {f"{eps:g}": float((c["shared"][eps] - c["independent"][eps]).median())
                                           for eps in BROAD_CURVE}
        # the judgement were ε another value of the curve (ε = 1e-6 was fixed after an unrecorded pilot): reported,
        # never judged, so that a reader sees whether the verdict rests on that choice
        details[f"by epsilon depth {depth}"] = {
            f"{eps:g}": {k: v for k, v in condition_summary((c["shared"][eps] - c["independent"][eps]).tolist(),
                                                            pre.threshold, level=family["level"]).items()
                         if k in ("value", "interval", "status")} for eps in BROAD_CURVE}
        details[f"rounding-level zeros depth {depth}"] = {k: float(c[k]["rounding"].max()) for k in DESIGNS}
    if residual != 0.0:
        raise FloatingPointError("the teacher point is not a perfect-loss optimum (nonzero residual)")
    weakest = min(conditions.values(), key=lambda v: v["interval"][0])
    status = "supported" if weakest["interval"][0] >= pre.threshold else "unsupported"
    fails = all(v["status"] == "unsupported" for v in controls.values())
    control = {"description": "the same pipeline on two designs without information loss: independent against "
                              "another disjoint assignment of inputs to units (must be unsupported in every "
                              "condition)", "value": max(v["value"] for v in controls.values()),
               "interval": max((v["interval"] for v in controls.values()), key=lambda iv: iv[0]),
               "by_condition": {k: {"value": v["value"], "interval": v["interval"], "status": v["status"]}
                                for k, v in controls.items()},
               "per_network": {k: v["per_network"] for k, v in controls.items()}, "fails": fails}
    return NumericResult(claim_id, status, pre.statistic, weakest["value"], 2 * n, device, threshold=pre.threshold,
                         interval=tuple(weakest["interval"]), as_stated="holds" if status == "supported" else "violated",
                         control=control, ci_method=weakest["ci_method"], ci_level=weakest["ci_level"], family=family,
                         details={"conditions": conditions, "networks_per_condition": n, **run,
                                  "exploratory": BROAD_SEEN_BEFORE, "epsilon": BROAD_EPS, "P": P[1],
                                  "P_depth_2": P[2], **details})


REPLAYS = {"quartic": _quartic_replay, "residual": _residual_replay, "cross-entropy": _ce_replay}
"""The float64 replays of the symbolic counterexamples (the tests compare them with the proofs' data)."""
