r"""Curvature of MLP losses at any depth: Hessian, Gauss–Newton and residual-term products, matrix-free.

Network (the seed's row convention): :math:`h_0 = x`, :math:`h_l = \sigma(h_{l-1}W_l + b_l)` for
:math:`l = 1..L` (``L`` hidden layers, any ``L \ge 0``), :math:`f = h_L W_{L+1} + b_{L+1}`; biases optional,
σ one of relu, tanh, gelu, sigmoid or identity (a deep linear network).  θ is the flat vector of
:math:`(W_1, b_1, \dots, W_{L+1}, b_{L+1})` with ``P`` entries.  The loss sums over the data,
:math:`L(\theta) = \sum_x \ell(f(x;\theta), y_x)`, with the squared error :math:`\ell = \tfrac12\|f - y\|^2`
or softmax cross-entropy :math:`\ell = \log\sum_c e^{f_c} - f_y`, and splits as

.. math:: \nabla^2 L = \underbrace{\sum_x J_x^\top \Lambda_x J_x}_{G\ \text{(Gauss–Newton)}}
          + \underbrace{\sum_x \sum_c g_{xc}\, \nabla^2 f_c(x)}_{R\ \text{(residual term)}},
          \qquad \Lambda_x = \nabla_f^2\ell,\ g_x = \nabla_f \ell ,

where :math:`J_x = \partial f(x)/\partial\theta` (``q × P``).  Squared error: :math:`\Lambda = I`, :math:`g = f - y`;
cross-entropy: :math:`\Lambda = \mathrm{diag}(p) - pp^\top`, :math:`g = p - e_y`, :math:`p = \mathrm{softmax}(f)`.

Products never form a Hessian: :math:`Hv` is forward-over-reverse (``jvp`` of ``grad``); :math:`Gv =
J^\top\Lambda(Jv)` is one ``jvp`` and one ``vjp``; :math:`Rv = \nabla_\theta\langle g, \partial_\theta f\,v\rangle`
with ``g`` held fixed, i.e. the Hessian-vector product of :math:`\theta \mapsto \langle g, f(\theta)\rangle`.  Dense
``P × P`` matrices are built column by column from these products, and only when they fit the memory budget
(:func:`dense_bytes`); the per-output Hessians (an ``n·q·P·P`` tensor) are never formed.  Top eigenvalues come
from :func:`lanczos`; ranks from the spectrum (:func:`numerical_rank`).

>>> arch = Arch(d=2, widths=(3,), q=1, activation="identity", bias=False)
>>> arch.P
9
>>> theta = torch.arange(1.0, 10.0, dtype=torch.float64) / 10
>>> X = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
>>> Y = torch.zeros(2, 1, dtype=torch.float64)
>>> d = dense(theta, X, Y, arch)
>>> bool(torch.allclose(d["H"], d["G"] + d["R"])), bool(torch.allclose(d["G"], d["J"].T @ d["J"]))
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.func import grad, jacrev, jvp, vjp, vmap

from .zoo import ACTIVATIONS as _ZOO_ACTIVATIONS

__all__ = ["Arch", "ACTIVATIONS", "LOSSES", "MemoryBudgetError", "DENSE_BUDGET", "unflatten", "forward", "hidden",
           "loss", "output_gradient", "output_hessian_vp", "hvp", "ggn_vp", "residual_vp", "jacobian", "dense_bytes",
           "dense_chunk", "dense", "to_sequential", "sequential_order", "hutchinson_trace", "lanczos", "numerical_rank", "init_theta", "fit_to_interpolation", "activation_derivative"]

F64 = torch.float64
ACTIVATIONS = {**_ZOO_ACTIVATIONS, "identity": lambda t: t}
LOSSES = ("mse", "xent")
DENSE_BUDGET = 2 * 1024 ** 3
"""Bytes the dense matrices (and the column-by-column products that build them) may take: 2 GiB."""


class MemoryBudgetError(ValueError):
    """The dense matrices would not fit the stated memory budget; use the matrix-free products."""


@dataclass(frozen=True)
class Arch:
    """An MLP: ``d`` inputs, hidden ``widths`` (any number, ``()`` for a linear model), ``q`` outputs."""

    d: int
    widths: tuple = (8,)
    q: int = 1
    activation: str = "tanh"
    bias: bool | tuple = True  # one flag for every linear map, or one per map

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        if min((self.d, self.q) + self.widths) < 1:
            raise ValueError(f"sizes must be positive (d={self.d}, widths={self.widths}, q={self.q})")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)} (got {self.activation!r})")
        if not isinstance(self.bias, bool):
            object.__setattr__(self, "bias", tuple(bool(b) for b in self.bias))
            if len(self.bias) != len(self.widths) + 1:
                raise ValueError(f"bias: one flag per linear map ({len(self.widths) + 1}), got {len(self.bias)}")

    @property
    def bias_flags(self) -> tuple[bool, ...]:
        """Whether each of the ``L + 1`` linear maps has a bias."""
        return self.bias if isinstance(self.bias, tuple) else (self.bias,) * (len(self.widths) + 1)

    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return len(self.widths)

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """``(fan_in, fan_out)`` of each of the ``L + 1`` linear maps."""
        dims = (self.d,) + self.widths + (self.q,)
        return list(zip(dims[:-1], dims[1:]))

    @property
    def P(self) -> int:
        return sum(a * b + (b if has else 0) for (a, b), has in zip(self.sizes, self.bias_flags))

    def offsets(self) -> list[tuple[int, int | None]]:
        """Start of ``W_l`` and of ``b_l`` (None without a bias) in θ, per linear map."""
        out, i = [], 0
        for (a, b), has in zip(self.sizes, self.bias_flags):
            w0 = i
            i += a * b
            b0 = i if has else None
            i += b if has else 0
            out.append((w0, b0))
        return out


def unflatten(theta: torch.Tensor, arch: Arch) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """``[(W_1, b_1), …, (W_{L+1}, b_{L+1})]`` as views of the flat θ (``b_l`` None without biases)."""
    layers = []
    for (a, b), (w0, b0) in zip(arch.sizes, arch.offsets()):
        W = theta[w0:w0 + a * b].reshape(a, b)
        layers.append((W, None if b0 is None else theta[b0:b0 + b]))
    return layers


def hidden(theta: torch.Tensor, X: torch.Tensor, arch: Arch) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Pre-activations ``[z_1 … z_{L+1}]`` (``z_{L+1} = f``) and activations ``[h_0 = X, h_1 … h_L]``."""
    act = ACTIVATIONS[arch.activation]
    zs, hs = [], [X]
    layers = unflatten(theta, arch)
    for i, (W, b) in enumerate(layers):
        z = hs[-1] @ W + (b if b is not None else 0)
        zs.append(z)
        if i < len(layers) - 1:
            hs.append(act(z))
    return zs, hs


def forward(theta: torch.Tensor, X: torch.Tensor, arch: Arch) -> torch.Tensor:
    """Outputs ``f`` (``n × q``) of one network."""
    return hidden(theta, X, arch)[0][-1]


def activation_derivative(z: torch.Tensor, arch: Arch) -> torch.Tensor:
    """σ'(z) element-wise (a ``jvp`` with a vector of ones, so any element-wise σ works)."""
    return jvp(ACTIVATIONS[arch.activation], (z,), (torch.ones_like(z),))[1]


def _check_loss(kind: str) -> None:
    if kind not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)} (got {kind!r})")


def per_sample_loss(F: torch.Tensor, Y: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """ℓ per data point: ``½‖f − y‖²`` (``Y``: ``n × q`` targets) or ``logsumexp(f) − f_y`` (``Y``: ``n`` labels)."""
    _check_loss(kind)
    if kind == "mse":
        return 0.5 * ((F - Y) ** 2).sum(-1)
    return torch.logsumexp(F, -1) - F.gather(-1, Y.long()[..., None])[..., 0]


def loss(theta: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, arch: Arch, kind: str = "mse") -> torch.Tensor:
    """:math:`L(\\theta) = \\sum_x \\ell(f(x), y_x)` (a sum, as in the seed)."""
    return per_sample_loss(forward(theta, X, arch), Y, kind).sum()


def output_gradient(F: torch.Tensor, Y: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """:math:`g = \\nabla_f \\ell` per data point: ``f − y`` or ``softmax(f) − e_y``."""
    _check_loss(kind)
    if kind == "mse":
        return F - Y
    return torch.softmax(F, -1) - torch.nn.functional.one_hot(Y.long(), F.shape[-1]).to(F.dtype)


def output_hessian_vp(F: torch.Tensor, Y: torch.Tensor, U: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """:math:`\\Lambda_x u_x` per data point: ``u`` (squared error) or ``p ⊙ u − p (pᵀu)`` (cross-entropy)."""
    _check_loss(kind)
    if kind == "mse":
        return U
    p = torch.softmax(F, -1)
    return p * U - p * (p * U).sum(-1, keepdim=True)


def hvp(theta, v, X, Y, arch: Arch, kind: str = "mse") -> torch.Tensor:
    """:math:`\\nabla^2 L\\, v` by forward-over-reverse differentiation."""
    return jvp(grad(lambda t: loss(t, X, Y, arch, kind)), (theta,), (v,))[1]


def ggn_vp(theta, v, X, Y, arch: Arch, kind: str = "mse") -> torch.Tensor:
    """:math:`G v = \\sum_x J_x^\\top \\Lambda_x J_x v`: one ``jvp`` (``Jv``), the loss Hessian in the outputs,
    one ``vjp``."""
    F, Jv = jvp(lambda t: forward(t, X, arch), (theta,), (v,))
    _, pullback = vjp(lambda t: forward(t, X, arch), theta)
    return pullback(output_hessian_vp(F, Y, Jv, kind))[0]


def residual_vp(theta, v, X, Y, arch: Arch, kind: str = "mse") -> torch.Tensor:
    """:math:`R v = \\sum_x \\sum_c g_{xc} \\nabla^2 f_c(x)\\, v`: the Hessian-vector product of
    :math:`\\theta \\mapsto \\langle g, f(\\theta)\\rangle` with ``g`` computed at θ and held fixed."""
    g = output_gradient(forward(theta, X, arch), Y, kind)
    return jvp(grad(lambda t: (g * forward(t, X, arch)).sum()), (theta,), (v,))[1]


def jacobian(theta, X, arch: Arch) -> torch.Tensor:
    """:math:`J` with rows ``(x, c)``: ``n·q × P``."""
    return jacrev(lambda t: forward(t, X, arch).reshape(-1))(theta)


def _column_bytes(n: int, arch: Arch, itemsize: int) -> int:
    """Bytes one column product (one ``v``) keeps alive: the activations of forward, tangent and backward passes."""
    return itemsize * n * (sum(arch.widths) + arch.d + arch.q) * 6


def dense_bytes(P: int, n: int, arch: Arch, networks: int = 1, itemsize: int = 8, chunk: int | None = None) -> int:
    """Bytes :func:`dense` needs: three ``P × P`` matrices and ``J`` (``n·q × P``) per network, plus ``chunk`` column
    products run side by side (all ``P`` when ``chunk`` is None).  No ``n·q·P·P`` term: the per-output Hessians are
    never formed."""
    chunk = P if chunk is None else chunk
    return networks * (itemsize * (3 * P * P + n * arch.q * P) + chunk * _column_bytes(n, arch, itemsize))


def dense_chunk(P: int, n: int, arch: Arch, *, budget: int = DENSE_BUDGET, networks: int = 1,
                itemsize: int = 8) -> int:
    """The largest number of column products (≤ P) that keeps :func:`dense_bytes` within ``budget``; raises
    :class:`MemoryBudgetError` when even one column does not fit."""
    fixed = dense_bytes(P, n, arch, networks, itemsize, chunk=0)
    per = networks * _column_bytes(n, arch, itemsize)
    if fixed + per > budget:
        raise MemoryBudgetError(f"dense curvature of {networks} network(s) with P = {P} needs at least "
                                f"{(fixed + per) / 2 ** 30:.2f} GiB > budget {budget / 2 ** 30:.2f} GiB; use the "
                                "matrix-free products")
    return int(min(P, (budget - fixed) // per))


def dense(theta, X, Y, arch: Arch, kind: str = "mse", *, budget: int = DENSE_BUDGET, networks: int = 1,
          parts: tuple = ("H", "G", "R", "J")) -> dict:
    """The dense ``parts`` of ``{"H", "G", "R", "J"}`` for one network (vmap it for a stack), built from the
    products column by column, ``chunk`` columns at a time (:func:`dense_chunk`).

    Raises :class:`MemoryBudgetError` when they do not fit ``budget`` (``networks`` says how many networks a
    caller's ``vmap`` runs side by side).
    """
    chunk = dense_chunk(arch.P, X.shape[-2], arch, budget=budget, networks=networks, itemsize=theta.element_size())
    basis = torch.eye(arch.P, dtype=theta.dtype, device=theta.device)
    cols = lambda prod: vmap(lambda e: prod(theta, e, X, Y, arch, kind), chunk_size=chunk)(basis)  # noqa: E731
    products = {"H": hvp, "G": ggn_vp, "R": residual_vp}
    out = {k: cols(products[k]) for k in parts if k in products}  # symmetric: rows = columns
    if "J" in parts:
        out["J"] = jacobian(theta, X, arch)
    return out


def lanczos(matvec, P: int, k: int = 1, *, steps: int | None = None, seed: int = 0, dtype=F64,
            device="cpu", tol: float | None = None) -> dict:
    r"""Extreme eigenvalues of a symmetric ``P × P`` operator given only ``v ↦ Av``.

    Lanczos with full re-orthogonalisation (twice, Gram–Schmidt) and a random restart orthogonal to the basis
    whenever the Krylov space is exhausted (:math:`\beta_j \approx 0`), so that ``steps = P`` returns the whole
    spectrum, multiplicities included.  The Ritz values :math:`\theta_i` of the tridiagonal ``T`` come with the
    residual bounds :math:`|\beta_m s_{mi}|` (an eigenvalue of ``A`` lies within that distance).  With ``tol``
    it stops as soon as the ``k`` largest Ritz values' bounds are below ``tol`` times the largest |Ritz value|.

    >>> A = torch.diag(torch.arange(1.0, 11.0, dtype=torch.float64))
    >>> out = lanczos(lambda v: A @ v, 10, k=3, steps=10)
    >>> [round(x, 8) for x in out["top"]]
    [10.0, 9.0, 8.0]
    """
    m = min(P, steps if steps is not None else max(2 * k + 20, 30))
    g = torch.Generator(device="cpu").manual_seed(seed)
    BLOCK = 16  # the basis is kept in blocks of rows: no copy of the whole basis per step
    blocks: list[torch.Tensor] = []
    filled = [0]
    alpha = torch.zeros(m, dtype=dtype, device=device)
    beta = torch.zeros(m, dtype=dtype, device=device)

    def orthogonalise(v):
        for _ in range(2):  # twice is enough (Kahan–Parlett)
            for i, B in enumerate(blocks):
                rows = B if i < len(blocks) - 1 else B[:filled[0]]
                v = v - rows.T @ (rows @ v)
        return v

    def append(v):
        if not blocks or filled[0] == BLOCK:
            blocks.append(torch.empty(BLOCK, P, dtype=dtype, device=device))
            filled[0] = 0
        blocks[-1][filled[0]] = v
        filled[0] += 1

    def fresh():
        v = orthogonalise(torch.randn(P, generator=g, dtype=dtype).to(device))
        return v / v.norm()

    q = fresh()
    scale = torch.zeros((), dtype=dtype, device=device)
    used = m
    for j in range(m):
        append(q)
        w = matvec(q)
        alpha[j] = q @ w
        w = orthogonalise(w)
        b = w.norm()
        scale = torch.maximum(scale, alpha[j].abs() + b)
        if j + 1 < m and b <= P * torch.finfo(dtype).eps * scale:
            beta[j] = 0.0  # invariant subspace found: restart orthogonally (T splits into blocks)
            q = fresh()
        else:
            beta[j] = b
            q = w / b if b > 0 else w
        if tol is not None and j + 1 >= k and j + 1 < m:
            T = torch.diag(alpha[:j + 1]) + torch.diag(beta[:j], 1) + torch.diag(beta[:j], -1)
            r, S = torch.linalg.eigh(T)
            if bool(((beta[j] * S[-1]).abs()[-k:] <= tol * r.abs().max()).all()):
                used = j + 1
                break
    alpha, beta = alpha[:used], beta[:used]
    T = torch.diag(alpha) + torch.diag(beta[:-1], 1) + torch.diag(beta[:-1], -1)
    ritz, S = torch.linalg.eigh(T)
    bounds = (beta[-1] * S[-1]).abs()
    order = torch.argsort(ritz, descending=True)
    return {"ritz": ritz[order], "bounds": bounds[order], "top": ritz[order][:k].tolist(), "steps": used,
            "complete": used == P}


def numerical_rank(eigenvalues: torch.Tensor, size: int, dtype=F64, *, floor: float = 0.0) -> int:
    """Number of eigenvalues of a symmetric ``size × size`` matrix above the rounding level
    :math:`\\max(\\text{floor}, \\text{size}\\cdot\\varepsilon\\cdot\\max|\\lambda|)`."""
    ev = eigenvalues.abs()
    if ev.numel() == 0:
        return 0
    tau = max(floor, size * torch.finfo(dtype).eps * float(ev.max()))
    return int((ev > tau).sum())


def init_theta(arch: Arch, networks: int, generator: torch.Generator, scale: float = 1.0) -> torch.Tensor:
    """``networks × P`` parameters: weights :math:`\\mathcal N(0, \\text{scale}^2/\\text{fan\\_in})`, biases
    :math:`\\mathcal N(0, (0.1\\,\\text{scale})^2)` (float64)."""
    parts = []
    for (a, b), has in zip(arch.sizes, arch.bias_flags):
        parts.append(torch.randn(networks, a * b, generator=generator, dtype=F64) * scale / math.sqrt(a))
        if has:
            parts.append(torch.randn(networks, b, generator=generator, dtype=F64) * 0.1 * scale)
    return torch.cat(parts, 1)


def fit_to_interpolation(theta0: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, arch: Arch, *,
                         iterations: int = 60) -> torch.Tensor:
    r"""Train a stack of networks (leading axis) on the squared error by Levenberg–Marquardt in float64: the
    damped Gauss–Newton step :math:`\delta = J^\top (JJ^\top + \mu s I)^{-1} r` when ``n·q ≤ P`` (the minimum-norm
    step of the over-parameterised case) or :math:`(J^\top J + \mu s I)^{-1} J^\top r` otherwise (the same step,
    the smaller system; ``s`` the mean diagonal), accepted when the loss decreases (then :math:`\mu \to \mu/10`),
    else :math:`\mu \to 10\mu`.  Where interpolation is reachable this converges to it quadratically; otherwise
    to a local minimum of the squared error."""
    lossf = vmap(lambda t, x, y: loss(t, x, y, arch))
    res = vmap(lambda t, x, y: (forward(t, x, arch) - y).reshape(-1))
    jac = vmap(lambda t, x: jacobian(t, x, arch))
    theta = theta0.clone()
    dual = X.shape[-2] * arch.q <= arch.P
    size = X.shape[-2] * arch.q if dual else arch.P
    eye = torch.eye(size, dtype=theta.dtype, device=theta.device)
    mu = torch.full((theta.shape[0],), 1e-3, dtype=theta.dtype, device=theta.device)
    current = lossf(theta, X, Y)
    # rounding level of the loss: every residual within 4 ε of the target scale
    floor = 0.5 * X.shape[-2] * arch.q * (4 * torch.finfo(theta.dtype).eps * Y.abs().amax().clamp_min(1.0)) ** 2
    for _ in range(iterations):
        if bool((current <= floor).all()):
            break
        J, r = jac(theta, X), res(theta, X, Y)[..., None]
        Jt = J.transpose(1, 2)
        K = J @ Jt if dual else Jt @ J
        scale = torch.diagonal(K, dim1=1, dim2=2).mean(1).clamp_min(torch.finfo(theta.dtype).tiny)
        A = K + (mu * scale)[:, None, None] * eye
        step = (Jt @ torch.linalg.solve(A, r) if dual else torch.linalg.solve(A, Jt @ r))[..., 0]
        cand = theta - step
        new = lossf(cand, X, Y)
        better = torch.isfinite(new) & (new < current)
        theta = torch.where(better[:, None], cand, theta)
        current = torch.where(better, new, current)
        mu = torch.where(better, (mu / 10).clamp_min(1e-15), (mu * 10).clamp_max(1e8))
    return theta


def hutchinson_trace(matvec, P: int, samples: int = 64, *, seed: int = 0, dtype=F64, device="cpu") -> dict:
    r"""Hutchinson's estimate :math:`\mathrm{tr} A \approx \frac1m\sum_i v_i^\top A v_i` with Rademacher
    :math:`v_i` (unbiased: :math:`\mathbb E[vv^\top] = I`), with its standard error over the ``m`` samples.

    >>> A = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    >>> hutchinson_trace(lambda v: A @ v, 3, 8)["estimate"]  # exact for a diagonal A: vᵢ² = 1
    6.0
    """
    g = torch.Generator(device="cpu").manual_seed(seed)
    vals = []
    for _ in range(samples):
        v = (torch.randint(0, 2, (P,), generator=g) * 2 - 1).to(dtype=dtype, device=device)
        vals.append(float(v @ matvec(v)))
    t = torch.tensor(vals, dtype=F64)
    return {"estimate": float(t.mean()), "stderr": float(t.std() / math.sqrt(samples)) if samples > 1 else float("nan"),
            "samples": samples}


MODULES = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU, "sigmoid": torch.nn.Sigmoid,
           "identity": torch.nn.Identity}


def to_sequential(theta: torch.Tensor, arch: Arch) -> torch.nn.Sequential:
    """The same network as a ``torch.nn.Sequential`` (``Linear`` weights are ``(out, in)``: :math:`W_l^\\top`), in
    θ's dtype and device, for code that takes modules (curvlinops)."""
    layers = []
    for i, ((a, b), has, (W, bias)) in enumerate(zip(arch.sizes, arch.bias_flags, unflatten(theta, arch))):
        lin = torch.nn.Linear(a, b, bias=has, dtype=theta.dtype, device=theta.device)
        with torch.no_grad():
            lin.weight.copy_(W.T)
            if has:
                lin.bias.copy_(bias)
        layers.append(lin)
        if i < arch.depth:
            layers.append(MODULES[arch.activation]())
    return torch.nn.Sequential(*layers)


def sequential_order(arch: Arch) -> torch.Tensor:
    """Indices ``idx`` with ``θ[idx]`` = the module's parameters flattened in ``parameters()`` order (weights
    ``(out, in)`` row-major, then biases); a curvature matrix ``M`` in that order is ``M_θ[idx][:, idx]``."""
    idx = []
    for (a, b), (w0, b0) in zip(arch.sizes, arch.offsets()):
        idx.append(w0 + torch.arange(a * b).reshape(a, b).T.reshape(-1))
        if b0 is not None:
            idx.append(b0 + torch.arange(b))
    return torch.cat(idx)
