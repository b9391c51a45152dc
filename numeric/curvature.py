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
           "dense_chunk", "dense", "columns", "loss_hessian_sqrt", "scaled_jacobian", "gauss_newton_eigenvalues",
           "to_sequential", "sequential_order", "hutchinson_trace", "lanczos", "numerical_rank", "init_theta",
           "fit_to_interpolation", "activation_derivative"]

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


def jacobian(theta, X, arch: Arch, *, samples: int | None = None, scale: torch.Tensor | None = None) -> torch.Tensor:
    """:math:`J` with rows ``(x, c)``: ``n·q × P``, built per data point (``vmap`` of ``jacrev`` over samples,
    ``samples`` at a time, into one preallocated matrix); with ``scale`` (``n × q × q``) the rows
    :math:`S_x J_x` instead."""
    n = X.shape[-2]
    samples = n if samples is None else max(1, samples)
    per = vmap(jacrev(lambda t, x: forward(t, x[None], arch)[0]), in_dims=(None, 0))
    J = None
    for s in range(0, n, samples):
        block = per(theta, X[..., s:s + samples, :])
        if scale is not None:
            block = scale[..., s:s + samples, :, :] @ block
        block = block.reshape(-1, arch.P)
        if J is None:
            J = block.new_empty(n * arch.q, arch.P)  # batched like ``block`` under an outer vmap
        J[s * arch.q:s * arch.q + block.shape[-2]] = block
        del block
    return J


def _column_bytes(n: int, arch: Arch, itemsize: int) -> int:
    """Bytes one column product (one ``v``) keeps alive: the unit vector, the product and the tangent of the
    gradient (``3·P``), and the activations of the forward, tangent and backward passes (6 per unit and sample)."""
    return itemsize * (3 * arch.P + n * (sum(arch.widths) + arch.d + arch.q) * 6)


def _jacobian_sample_bytes(arch: Arch, itemsize: int) -> int:
    """Bytes one data point's rows of :func:`jacobian` take while they are built: ``depth + 2`` copies of the
    ``q × P`` rows (the reverse pass scatters each layer's gradient into a zero ``P``-vector, then the sum and the
    copy) and the activations of ``q`` backward passes (measured: ``tests/test_curvature_memory.py``)."""
    return itemsize * arch.q * ((arch.depth + 2) * arch.P + 6 * (sum(arch.widths) + arch.d + arch.q))


def _matrices(parts) -> int:
    """How many ``P × P`` matrices :func:`dense` keeps for ``parts``."""
    return sum(k in parts for k in ("H", "G", "R"))


def dense_bytes(P: int, n: int, arch: Arch, networks: int = 1, itemsize: int = 8, chunk: int | None = None,
                parts: tuple = ("H", "G", "R", "J")) -> int:
    """Bytes :func:`dense` needs for ``parts``: one ``P × P`` matrix per part of H, G, R asked for, ``J``
    (``n·q × P``) if asked for, per network, plus ``chunk`` column products run side by side (all ``P`` when
    ``chunk`` is None; :func:`_column_bytes`, the unit vectors counted once for all networks).  No ``P × P``
    identity is built and the chunks are written into the preallocated matrices, so nothing else of size ``P × P``
    exists.  No ``n·q·P·P`` term: the per-output Hessians are never formed."""
    chunk = P if chunk is None else chunk
    fixed = networks * itemsize * (_matrices(parts) * P * P + ("J" in parts) * n * arch.q * P)
    if not any(k in parts for k in ("H", "G", "R")):
        chunk = 0
    work = chunk * (networks * _column_bytes(n, arch, itemsize) - (networks - 1) * itemsize * P)
    if "J" in parts:  # J's rows are built a data point at a time after the columns: at least one must fit
        work = max(work, networks * _jacobian_sample_bytes(arch, itemsize))
    return fixed + work


def dense_chunk(P: int, n: int, arch: Arch, *, budget: int = DENSE_BUDGET, networks: int = 1,
                itemsize: int = 8, parts: tuple = ("H", "G", "R", "J")) -> int:
    """The largest number of column products (≤ P) that keeps :func:`dense_bytes` of ``parts`` within ``budget``;
    raises :class:`MemoryBudgetError` when even one column does not fit."""
    need = dense_bytes(P, n, arch, networks, itemsize, chunk=1, parts=parts)
    if need > budget:
        raise MemoryBudgetError(f"dense {'+'.join(parts)} of {networks} network(s) with P = {P} needs at least "
                                f"{need / 2 ** 30:.2f} GiB > budget {budget / 2 ** 30:.2f} GiB; use the "
                                "matrix-free products")
    fixed = networks * itemsize * (_matrices(parts) * P * P + ("J" in parts) * n * arch.q * P)
    per = networks * _column_bytes(n, arch, itemsize) - (networks - 1) * itemsize * P
    return int(max(1, min(P, (budget - fixed) // per)))


def _jacobian_samples(n: int, arch: Arch, room: int, networks: int, itemsize: int) -> int:
    """Data points per block of :func:`jacobian` that fit ``room`` bytes (at least 1)."""
    return int(max(1, min(n, room // (networks * _jacobian_sample_bytes(arch, itemsize)))))


def columns(prod, P: int, chunk: int, dtype=F64, device="cpu") -> torch.Tensor:
    """The symmetric ``P × P`` matrix with columns ``prod(e_i)``, ``chunk`` unit vectors at a time: each chunk's
    unit vectors are built directly (no ``P × P`` identity) and its products written into one preallocated matrix
    (no list of chunks to concatenate)."""
    M = None
    for s in range(0, P, chunk):
        c = min(chunk, P - s)
        E = torch.zeros(c, P, dtype=dtype, device=device)
        E[torch.arange(c), torch.arange(s, s + c)] = 1
        block = vmap(prod)(E)
        del E
        if M is None:
            M = block.new_empty(P, P)  # batched like ``block`` under an outer vmap over networks
        M[s:s + c] = block  # symmetric: rows = columns
        del block
    return M


def dense(theta, X, Y, arch: Arch, kind: str = "mse", *, budget: int = DENSE_BUDGET, networks: int = 1,
          parts: tuple = ("H", "G", "R", "J")) -> dict:
    """The dense ``parts`` of ``{"H", "G", "R", "J"}`` for one network (vmap it for a stack), built from the
    products column by column, ``chunk`` columns at a time (:func:`dense_chunk`, which budgets only for the
    ``parts`` asked for).  R comes from its own products (an independent check of ``H = G + R``, as the claims
    use it); :func:`~nnclaims.numeric.curvature_summary.hessian_summary`, which only needs R's spectrum, forms
    ``H − G`` in place instead.

    Raises :class:`MemoryBudgetError` when they do not fit ``budget`` (``networks`` says how many networks a
    caller's ``vmap`` runs side by side).
    """
    P, n, size = arch.P, X.shape[-2], theta.element_size()
    chunk = dense_chunk(P, n, arch, budget=budget, networks=networks, itemsize=size, parts=parts)
    products = {"H": hvp, "G": ggn_vp, "R": residual_vp}
    out = {k: columns(lambda e, p=products[k]: p(theta, e, X, Y, arch, kind), P, chunk, theta.dtype, theta.device)
           for k in ("H", "G", "R") if k in parts}
    if "J" in parts:
        room = budget - networks * size * (_matrices(parts) * P * P + n * arch.q * P)
        out["J"] = jacobian(theta, X, arch, samples=_jacobian_samples(n, arch, room, networks, size))
    return {k: out[k] for k in parts if k in out}


def loss_hessian_sqrt(F: torch.Tensor, kind: str = "mse") -> torch.Tensor | None:
    r""":math:`\Lambda_x^{1/2}` per data point (``n × q × q``, the PSD square root), or None for the squared error
    (:math:`\Lambda = I`).  Then :math:`G = \tilde J^\top\tilde J` with :math:`\tilde J_x = \Lambda_x^{1/2} J_x`,
    so :math:`\operatorname{rank} G = \operatorname{rank}\tilde J`."""
    _check_loss(kind)
    if kind == "mse":
        return None
    p = torch.softmax(F, -1)
    ev, V = torch.linalg.eigh(torch.diag_embed(p) - p[..., :, None] * p[..., None, :])
    return (V * ev.clamp_min(0).sqrt()[..., None, :]) @ V.mT


def scaled_jacobian(theta, X, Y, arch: Arch, kind: str = "mse", *, samples: int | None = None) -> torch.Tensor:
    r""":math:`\tilde J` (``n·q × P``): the rows of :math:`\Lambda_x^{1/2} J_x` per data point, so that
    :math:`G = \tilde J^\top \tilde J` (:func:`loss_hessian_sqrt`); scaled block by block as built."""
    return jacobian(theta, X, arch, samples=samples, scale=loss_hessian_sqrt(forward(theta, X, arch), kind))


def gauss_newton_eigenvalues(theta, X, Y, arch: Arch, kind: str = "mse", *, budget: int = DENSE_BUDGET,
                             residual_of: torch.Tensor | None = None, keep_rows: bool = False) -> dict:
    r"""The nonzero spectrum of :math:`G = 	ilde J^	op	ilde J` from the smaller of its two Gram forms, built in
    blocks of data points: the ``m × m`` matrix :math:`K = 	ilde J	ilde J^	op` (``m = n·q``) when ``m ≤ P``,
    else ``G`` itself as :math:`\sum_b 	ilde J_b^	op	ilde J_b`.  ``K`` and ``G`` have the same nonzero
    eigenvalues, so ``numerical_rank(eigenvalues, P)`` is G's numerical rank, by the rule the dense G uses.

    Memory: the Gram matrix and the copy ``eigvalsh`` makes, plus the blocks of :math:`	ilde J`: the whole of it
    when it fits the rest of ``budget`` (one pass), else two blocks at a time (block ``a`` against every block
    ``b ≤ a``, recomputed).  With ``residual_of`` (a dense H, P × P) the pass also overwrites it with
    :math:`R = H - G` (in place; its bytes are the caller's) — unless ``keep_rows`` and :math:`\tilde J` was held
    whole: then H is left as it is and :math:`\tilde J` is returned under ``"rows"`` (``Rv = Hv - \tilde J^\top
    (\tilde J v)`` costs less than forming R when only R's norm is wanted).

    Returns ``{"eigenvalues" (descending), "gram": "JJᵀ" | "JᵀJ", "size", "trace"}``.
    Raises :class:`MemoryBudgetError` when the Gram matrix and one data point's block do not fit.
    """
    P, n, q, size = arch.P, X.shape[-2], arch.q, theta.element_size()
    m = n * q
    side = min(m, P)
    held = (0 if residual_of is None else P * P * size)
    room = budget - held - 2 * side * side * size
    one = q * P * size + _jacobian_sample_bytes(arch, size)  # a data point's rows, while built and held
    if room < 2 * one:
        raise MemoryBudgetError(f"the Gauss–Newton Gram matrix ({side} × {side}) needs "
                                f"{(held + 2 * side * side * size + 2 * one) / 2 ** 30:.2f} GiB > budget "
                                f"{budget / 2 ** 30:.2f} GiB")
    jsb = _jacobian_sample_bytes(arch, size)
    if n * q * P * size + jsb <= room:  # the whole of J̃ held: one pass
        b, chunk = n, max(1, (room - n * q * P * size) // jsb)
    else:
        b = max(1, room // (2 * one))
        chunk = b
    blocks = [(s, min(n, s + b)) for s in range(0, n, b)]
    rows = lambda s, e: scaled_jacobian(theta, X[..., s:e, :], Y[s:e], arch, kind, samples=chunk)  # noqa: E731
    dtype, device = theta.dtype, theta.device
    if m <= P:
        K = torch.empty(m, m, dtype=dtype, device=device)
        for i, (s, e) in enumerate(blocks):
            Ja = rows(s, e)
            if residual_of is not None and not (keep_rows and len(blocks) == 1):
                residual_of.addmm_(Ja.T, Ja, alpha=-1)
            K[s * q:e * q, s * q:e * q] = Ja @ Ja.T
            if keep_rows and len(blocks) == 1:
                kept = Ja
            for s2, e2 in blocks[:i]:
                Jb = rows(s2, e2)
                K[s * q:e * q, s2 * q:e2 * q] = Ja @ Jb.T
                K[s2 * q:e2 * q, s * q:e * q] = K[s * q:e * q, s2 * q:e2 * q].T
                del Jb
            del Ja
        gram, trace = "JJᵀ", float(torch.diagonal(K).sum())
    else:
        K = torch.zeros(P, P, dtype=dtype, device=device)
        for s, e in blocks:
            Ja = rows(s, e)
            K.addmm_(Ja.T, Ja)
            del Ja
        if residual_of is not None:
            residual_of.sub_(K)
        gram, trace = "JᵀJ", float(torch.diagonal(K).sum())
    ev = torch.linalg.eigvalsh(K).flip(0)
    out = {"eigenvalues": ev, "gram": gram, "size": side, "trace": trace, "blocks": len(blocks)}
    if keep_rows and m <= P and len(blocks) == 1:
        out["rows"] = kept
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
    return {"ritz": ritz[order], "bounds": bounds[order], "top": ritz[order][:k].tolist(), "steps": used, "beta": beta[-1],
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
