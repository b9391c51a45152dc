r"""Numeric cross-checks of the Hessian family with dense ``torch.func.hessian`` in float64.

Small one-hidden-layer tanh networks with a flat parameter vector θ (``P`` entries), trained by
full-batch gradient descent in float64.  For MSE, :math:`H = J^\top J + R` with
:math:`R = \sum_x r_x \nabla^2 f_x`; at interpolation ``R → 0``.  Zero eigenvalues of ``H`` are
counted with the Weyl bound :math:`|\lambda_i(H) - \lambda_i(J^\top J)| \le \|R\|_2`: an eigenvalue
counts as zero when :math:`|\lambda| \le \|R\|_2 + \tau` with :math:`\tau = P\,\varepsilon\,\|H\|_2`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch.func import grad, hessian, jacrev, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import identity_result, tolerance
from .zoo import ACTIVATIONS, ZooSpec

__all__ = [
    "HessSpec", "trained_flat_zoo", "curvature", "check_gauss_newton_split", "check_residual_vanishes",
    "check_feature_gram_at_optimum", "check_zero_eigs_feature_rank", "check_vector_output",
    "check_linear_features_example", "check_earlier_layers_act_derivs", "check_next_layer_gradient_same",
    "check_layer_orthogonal_basis", "check_information_loss_broadness",
]

F64 = torch.float64


@dataclass(frozen=True)
class HessSpec(ZooSpec):
    """A :class:`~numeric.zoo.ZooSpec` for dense-Hessian checks: small tanh networks with scalar output,
    trained to interpolation (same per-sample step θ ← θ − lr·∇L/n as the zoo)."""

    d: int = 3
    q: int = 1
    n: int = 8
    steps: int = 3000
    lr: float = 0.4
    duplicate_inputs: bool = False  # columns (x1, x1, x2, …): features share input parts

    @property
    def sizes(self):
        return [(self.d, self.h), (self.h,), (self.h, self.q), (self.q,)]

    @property
    def P(self):
        return self.d * self.h + self.h + self.h * self.q + self.q


def unflatten(theta, spec: HessSpec):
    out, i = [], 0
    for shp in spec.sizes:
        k = 1
        for s in shp:
            k *= s
        out.append(theta[i:i + k].reshape(shp))
        i += k
    return out


def net(theta, X, spec: HessSpec):
    W1, b1, W2, b2 = unflatten(theta, spec)
    return ACTIVATIONS[spec.activation](X @ W1 + b1) @ W2 + b2


def mse(theta, X, Y, spec):
    return 0.5 * ((net(theta, X, spec) - Y) ** 2).sum()


@functools.lru_cache(maxsize=8)
def trained_flat_zoo(networks: int, device: str, seed: int, spec: HessSpec = HessSpec()):
    """θ₀ and trained θ (float64) with teacher data; the teacher is a network of the same shape, so
    interpolation is reachable."""
    g = torch.Generator().manual_seed(seed + 31)
    X = torch.randn(networks, spec.n, spec.d, generator=g, dtype=F64)
    if spec.duplicate_inputs:
        base = torch.randn(networks, spec.n, (spec.d + 1) // 2, generator=g, dtype=F64)
        X = base.repeat_interleave(2, dim=2)[:, :, : spec.d]
    teacher = torch.randn(networks, spec.P, generator=g, dtype=F64) * 0.7
    Y = vmap(lambda t, x: net(t, x, spec))(teacher, X)
    theta0 = torch.randn(networks, spec.P, generator=g, dtype=F64) * 0.5
    gl = vmap(grad(lambda t, x, y: mse(t, x, y, spec)))
    theta = theta0
    for _ in range(spec.steps):
        theta = theta - (spec.lr / spec.n) * gl(theta, X, Y)
    if not torch.isfinite(theta).all():
        raise FloatingPointError("training diverged (non-finite parameters)")
    dev = lambda t: t.to(device)
    return dev(theta0), dev(theta), dev(X), dev(Y)


def curvature(theta, X, Y, spec: HessSpec):
    """Per network: H (P×P), J (n·q × P), R = Σ r ∇²f, loss — all dense, vmapped."""
    H = vmap(hessian(lambda t, x, y: mse(t, x, y, spec)))(theta, X, Y)
    J = vmap(jacrev(lambda t, x: net(t, x, spec).reshape(-1)))(theta, X)
    Hf = vmap(hessian(lambda t, x: net(t, x, spec).reshape(-1)))(theta, X)  # (K, nq, P, P)
    r = vmap(lambda t, x, y: (net(t, x, spec) - y).reshape(-1))(theta, X, Y)
    R = torch.einsum("kn,knab->kab", r, Hf)
    L = vmap(lambda t, x, y: mse(t, x, y, spec))(theta, X, Y)
    return H, J, R, L


@functools.lru_cache(maxsize=16)
def trained_curvature(networks: int, device: str, seed: int, spec: HessSpec = HessSpec(), trained: bool = True):
    """``(H, J, R, L)`` at the trained (or initial) parameters of :func:`trained_flat_zoo`, computed once."""
    th0, th, X, Y = trained_flat_zoo(networks, device, seed, spec)
    return curvature(th if trained else th0, X, Y, spec)


def _fro(A):
    return A.flatten(1).norm(dim=1)


def _rel(A, B):
    return _fro(A - B) / _fro(B).clamp_min(1e-300)


SPEC = HessSpec()


def check_gauss_newton_split(networks=16, device="cpu", seed=0) -> NumericResult:
    """H = JᵀJ + Σ r ∇²f at initialisation and after training (an identity at every θ)."""
    errs = []
    for trained in (False, True):
        H, J, R, _ = trained_curvature(networks, device, seed, SPEC, trained)
        errs.append(_rel(J.transpose(1, 2) @ J + R, H))
    return identity_result("hessian.gauss-newton-split", torch.stack(errs).amax(0), tolerance(F64, SPEC.n * SPEC.P), networks,
                device, "max rel ‖JᵀJ + R − H‖_F / ‖H‖_F (at init and trained)")


def check_residual_vanishes(networks=16, device="cpu", seed=0) -> NumericResult:
    """At interpolation ‖R‖/‖H‖ is small, of the order of the residual; at initialisation it is not."""
    H0, _, R0, _ = trained_curvature(networks, device, seed, SPEC, False)
    H, _, R, L = trained_curvature(networks, device, seed, SPEC)
    ratio = _fro(R) / _fro(H)
    bound = 1e-3  # stated: at a loss ≤ 1e-8 the residual term is below 0.1 % of H
    fitted = L <= 1e-8
    return identity_result("hessian.residual-vanishes", ratio[fitted], bound, int(fitted.sum()), device,
                "max ‖R‖_F/‖H‖_F over networks fitted to loss ≤ 1e-8",
                at_init_median=float((_fro(R0) / _fro(H0)).median()), trained_loss_max=float(L.max()),
                fitted=int(fitted.sum()), of=networks)


def check_feature_gram_at_optimum(networks=16, device="cpu", seed=0) -> NumericResult:
    H, J, R, L = trained_curvature(networks, device, seed, SPEC)
    errs = _rel(J.transpose(1, 2) @ J, H)
    fitted = L <= 1e-8
    return identity_result("hessian.feature-gram-at-optimum", errs[fitted], 1e-3,
                int(fitted.sum()), device, "max rel ‖JᵀJ − H‖_F/‖H‖_F at interpolation (MSE, loss ≤ 1e-8)",
                trained_loss_max=float(L.max()))


def _zero_count(H, J, R):
    P = H.shape[-1]
    evH = torch.linalg.eigvalsh(H)
    normH = evH.abs().amax(-1)
    tau = P * torch.finfo(F64).eps * normH
    rnorm = torch.linalg.matrix_norm(R, ord=2)
    zH = (evH.abs() <= (rnorm + tau)[:, None]).sum(-1)
    sv = torch.linalg.svdvals(J)
    rankJ = (sv > (P * torch.finfo(F64).eps * sv.amax(-1))[:, None]).sum(-1)
    return zH, P - rankJ


def check_zero_eigs_feature_rank(networks=16, device="cpu", seed=0) -> NumericResult:
    H, J, R, L = trained_curvature(networks, device, seed, SPEC)
    zH, expect = _zero_count(H, J, R)
    mismatch = (zH != expect).to(F64)
    return identity_result("hessian.zero-eigs-feature-rank", mismatch, 0.0, networks, device,
                "networks where #zero eigenvalues of H (Weyl threshold) ≠ P − rank J",
                zero_eigs_median=float(zH.to(F64).median()), P=SPEC.P, trained_loss_max=float(L.max()),
                spectrum_network0=torch.linalg.eigvalsh(H[0]).abs().sort().values.tolist(),
                weyl_threshold_network0=float(torch.linalg.matrix_norm(R[0], ord=2)
                                              + SPEC.P * torch.finfo(F64).eps * torch.linalg.matrix_norm(H[0], ord=2)),
                expected_zero_network0=int(expect[0]))


def check_vector_output(networks=16, device="cpu", seed=0) -> NumericResult:
    """Softmax cross-entropy: H − R_CE equals Σ Jᵀ(diag p − ppᵀ)J, and differs from the feature Gram ΣJᵀJ."""
    spec = HessSpec(q=3, steps=0)
    th0, _, X, _ = trained_flat_zoo(networks, device, seed, spec)
    g = torch.Generator().manual_seed(seed + 5)
    labels = torch.randint(0, 3, (networks, spec.n), generator=g).to(device)

    def ce(t, x, lab):
        z = net(t, x, spec)
        return (torch.logsumexp(z, -1) - z.gather(1, lab[:, None])[:, 0]).sum()

    H = vmap(hessian(ce))(th0, X, labels)
    Jx = vmap(jacrev(lambda t, x: net(t, x, spec)))(th0, X)  # (K, n, q, P)
    p = vmap(lambda t, x: torch.softmax(net(t, x, spec), -1))(th0, X)
    Hz = torch.diag_embed(p) - p[..., :, None] * p[..., None, :]
    Hf = vmap(hessian(lambda t, x: net(t, x, spec)))(th0, X)  # (K, n, q, P, P)
    resid = p - torch.nn.functional.one_hot(labels, 3).to(F64)
    R = torch.einsum("knc,kncab->kab", resid, Hf)
    GN = torch.einsum("kncp,kncd,kndq->kpq", Jx, Hz, Jx)
    gram = torch.einsum("kncp,kncq->kpq", Jx, Jx)
    split_err = _rel(GN + R, H)
    gram_dev = _rel(gram * (torch.einsum("kpp->k", GN) / torch.einsum("kpp->k", gram))[:, None, None], GN)
    tol = tolerance(F64, spec.n * spec.P)
    status = "violated" if float(split_err.max()) <= tol and float(gram_dev.min()) > 1e-3 else "consistent"
    return NumericResult("hessian.vector-output", status,
                         "min rel distance of the CE Gauss–Newton term from the best multiple of the feature Gram",
                         float(gram_dev.min()), networks, device, tolerance=tol,
                         details={"ce_split_max_rel_err": float(split_err.max()),
                                  "gram_deviation_median": float(gram_dev.median())})


def check_linear_features_example(networks=16, device="cpu", seed=0) -> NumericResult:
    """f(x) = Σ θ_i g_i(x) + c with g_i(x) = tanh(a_iᵀx), MSE: H = Gram of (g, 1) at random θ."""
    g = torch.Generator().manual_seed(seed + 11)
    Pf, n, d = 5, 10, 3
    A = torch.randn(networks, d, Pf, generator=g, dtype=F64).to(device)
    X = torch.randn(networks, n, d, generator=g, dtype=F64).to(device)
    Y = torch.randn(networks, n, generator=g, dtype=F64).to(device)
    th = torch.randn(networks, Pf + 1, generator=g, dtype=F64).to(device)

    def L(t, a, x, y):
        feats = torch.cat([torch.tanh(x @ a), torch.ones(x.shape[0], 1, dtype=F64, device=x.device)], 1)
        return 0.5 * ((feats @ t - y) ** 2).sum()

    H = vmap(hessian(L))(th, A, X, Y)
    feats = torch.cat([torch.tanh(X @ A), torch.ones(networks, n, 1, dtype=F64, device=device)], 2)
    gram = feats.transpose(1, 2) @ feats
    return identity_result("hessian.linear-features-example", _rel(H, gram), tolerance(F64, n * Pf), networks, device,
                "max rel ‖H − Gram(g, 1)‖_F (MSE, random θ)")


def check_earlier_layers_act_derivs(networks=16, device="cpu", seed=0) -> NumericResult:
    """∂f/∂W1[e, m] = W2[m] tanh'(z_m) x_e per sample, against autograd."""
    th0, th, X, _ = trained_flat_zoo(networks, device, seed, SPEC)
    J = vmap(jacrev(lambda t, x: net(t, x, SPEC)[:, 0]))(th, X)  # (K, n, P)
    W1, b1, W2, _ = vmap(lambda t: tuple(unflatten(t, SPEC)))(th)
    z = X @ W1 + b1[:, None, :]
    formula = W2[:, None, None, :, 0] * (1 - torch.tanh(z) ** 2)[:, :, None, :] * X[..., None]  # (K, n, d, h)
    got = J[..., : SPEC.d * SPEC.h].reshape(networks, SPEC.n, SPEC.d, SPEC.h)
    return identity_result("hessian.earlier-layers-act-derivs", _rel(got, formula), tolerance(F64, SPEC.h), networks, device,
                "max rel ‖autograd ∂f/∂W1 − W2 σ'(z) x‖")


def check_next_layer_gradient_same(networks=16, device="cpu", seed=0) -> NumericResult:
    """∂z_k/∂W2[:, k] equals the hidden activations a for every output unit k (q = 3 here)."""
    spec = HessSpec(q=3, steps=0)
    th0, _, X, _ = trained_flat_zoo(networks, device, seed, spec)
    Jz = vmap(jacrev(lambda t, x: net(t, x, spec)))(th0, X)  # (K, n, q, P)
    off = spec.d * spec.h + spec.h
    blocks = Jz[..., off: off + spec.h * spec.q].reshape(networks, spec.n, spec.q, spec.h, spec.q)
    W1, b1, _, _ = vmap(lambda t: tuple(unflatten(t, spec)))(th0)
    a = torch.tanh(X @ W1 + b1[:, None, :])
    errs = torch.stack([_rel(blocks[:, :, k, :, k], a) for k in range(spec.q)]).amax(0)
    return identity_result("hessian.next-layer-gradient-same", errs, tolerance(F64, spec.h), networks, device,
                "max rel ‖∂z_k/∂W2[:,k] − a‖ over output units k")


def check_layer_orthogonal_basis(networks=16, device="cpu", seed=0) -> NumericResult:
    """Eigenbasis U of the hidden Gram: features HU orthogonal, outgoing absorption exact; re-expressing
    the incoming side (σ applied per new unit) changes the function — the bare claim is violated."""
    th0, th, X, _ = trained_flat_zoo(networks, device, seed, SPEC)
    W1, b1, W2, b2 = vmap(lambda t: tuple(unflatten(t, SPEC)))(th)
    Z = X @ W1 + b1[:, None, :]
    Hh = torch.tanh(Z)
    _, U = torch.linalg.eigh(Hh.transpose(1, 2) @ Hh)
    G = (Hh @ U).transpose(1, 2) @ (Hh @ U)
    offdiag = _fro(G - torch.diag_embed(torch.diagonal(G, dim1=1, dim2=2))) / _fro(G)
    out = Hh @ W2 + b2[:, None, :]
    absorbed = (Hh @ U) @ (U.transpose(1, 2) @ W2) + b2[:, None, :]
    rotated = torch.tanh(Z @ U) @ (U.transpose(1, 2) @ W2) + b2[:, None, :]
    tol = tolerance(F64, SPEC.n * SPEC.h)
    change = _rel(rotated, out)
    exact_parts = float(torch.maximum(offdiag, _rel(absorbed, out)).max())
    status = "violated" if exact_parts <= tol and float(change.min()) > tol else "consistent"
    return NumericResult("hessian.layer-orthogonal-basis", status,
                         "min rel output change when the incoming side is re-expressed in the eigenbasis",
                         float(change.min()), networks, device, tolerance=tol,
                         details={"orthogonality_and_absorption_max_err": exact_parts})


BROAD_THRESHOLD = 1.0


def check_information_loss_broadness(networks=16, device="cpu", seed=0) -> NumericResult:
    """Designed experiment: the same architecture (P = 37) fitted on n = 64 inputs with independent
    features vs inputs whose features repeat the same coordinates (x1, x1, x2, x2).  Statistic: median
    over networks of (#zero Hessian eigenvalues, shared − independent); supported when ≥ 1.  The same
    comparison with n = 8 < P is reported too: there rank J ≤ n in both cases and the input
    structure cannot show."""
    counts, losses = {}, {}
    for n in (64, 8):
        for name, dup in (("independent", False), ("shared", True)):
            spec = HessSpec(d=4, n=n, duplicate_inputs=dup)
            H, J, R, L = trained_curvature(networks, device, seed, spec)
            counts[(n, name)] = _zero_count(H, J, R)[0].to(F64)
            losses[(n, name)] = float(L.median())
    diff = counts[(64, "shared")] - counts[(64, "independent")]
    v = float(diff.median())
    return NumericResult("hessian.information-loss-broadness", "supported" if v >= BROAD_THRESHOLD else "unsupported",
                         "median #zero Hessian eigenvalues (shared input parts − independent inputs), 64 data points, P = 37",
                         v, networks, device, threshold=BROAD_THRESHOLD,
                         details={f"n={n} {name}": float(c.median()) for (n, name), c in counts.items()}
                         | {f"loss n={n} {name}": v for (n, name), v in losses.items()} | {"P": HessSpec(d=4).P})
