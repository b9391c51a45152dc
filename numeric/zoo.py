r"""A zoo of one-hidden-layer MLPs trained many at once with ``torch.func`` (``vmap`` + ``grad``).

Each network ``k`` has its own seed-derived teacher–student data and parameters
``θ_k = (W1: d×h, b1: 1×h, W2: h×q, b2: 1×q)`` in the seed's row-vector convention,
:math:`O = \sigma(XW_1 + b_1)W_2 + b_2`, trained on :math:`\tfrac12\|O-Y\|^2 / n` by full-batch SGD.
Training runs in float32; identity checks cast the trained weights to float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import grad, vmap

from nnclaims.caching import cached

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "gelu": torch.nn.functional.gelu,
    "sigmoid": torch.sigmoid,
}


@dataclass(frozen=True)
class ZooSpec:
    """Sizes and training settings of a zoo (defaults sized for a CPU test run)."""

    d: int = 4
    h: int = 6
    q: int = 2
    n: int = 32
    steps: int = 100
    lr: float = 0.05
    activation: str = "tanh"


def forward(params: dict, X: torch.Tensor, act=torch.tanh) -> torch.Tensor:
    """:math:`O = \\sigma(XW_1 + b_1)W_2 + b_2` for one network."""
    return act(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def mse(params: dict, X: torch.Tensor, Y: torch.Tensor, act=torch.tanh) -> torch.Tensor:
    """:math:`\\tfrac12\\|O - Y\\|^2` (sum, as in the seed)."""
    return 0.5 * ((forward(params, X, act) - Y) ** 2).sum()


def init_zoo(networks: int, spec: ZooSpec, seed: int, device: str, dtype=torch.float32):
    """Stacked parameters (leading axis = network) and per-network teacher–student data."""
    g = torch.Generator(device="cpu").manual_seed(seed)
    N, d, h, q, n = networks, spec.d, spec.h, spec.q, spec.n
    rnd = lambda *s, scale=1.0: (torch.randn(*s, generator=g, dtype=torch.float64) * scale)
    params = {
        "W1": rnd(N, d, h, scale=d ** -0.5), "b1": rnd(N, 1, h, scale=0.1),
        "W2": rnd(N, h, q, scale=h ** -0.5), "b2": rnd(N, 1, q, scale=0.1),
    }
    X = rnd(N, n, d)
    teacher = rnd(N, d, q, scale=d ** -0.5)
    Y = torch.tanh(X @ teacher)
    to = lambda t: t.to(device=device, dtype=dtype)
    return {k: to(v) for k, v in params.items()}, to(X), to(Y)


def train_zoo(params, X, Y, spec: ZooSpec):
    """Full-batch SGD on every network at once: ``vmap(grad(mse))``."""
    act = ACTIVATIONS[spec.activation]
    g = vmap(grad(lambda p, x, y: mse(p, x, y, act) / x.shape[0]))
    for _ in range(spec.steps):
        grads = g(params, X, Y)
        params = {k: v - spec.lr * grads[k] for k, v in params.items()}
    return params


@cached(maxsize=8)
def trained_zoo(networks: int, device: str, seed: int, spec: ZooSpec = ZooSpec()):
    """Train a zoo in float32 and return it cast to float64 for identity checks (cached; every call
    returns fresh copies)."""
    params, X, Y = init_zoo(networks, spec, seed, device)
    params = train_zoo(params, X, Y, spec)
    f64 = lambda t: t.to(torch.float64)
    return {k: f64(v) for k, v in params.items()}, f64(X), f64(Y)


def random_permutations(networks: int, size: int, seed: int, device: str) -> torch.Tensor:
    """One random permutation of ``range(size)`` per network (``perm[k, j] = π_k(j)``), never the identity
    (redrawn until it moves some unit; ``size`` must be at least 2)."""
    if size < 2:
        raise ValueError("a permutation other than the identity needs at least 2 units")
    g = torch.Generator(device="cpu").manual_seed(seed + 7919)
    ident = torch.arange(size)

    def draw():
        p = torch.randperm(size, generator=g)
        while torch.equal(p, ident):
            p = torch.randperm(size, generator=g)
        return p

    return torch.stack([draw() for _ in range(networks)]).to(device)


def perm_matrices(perms: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
    """``P[k, i, j] = δ_{i, π_k(j)}`` so that ``(A P)[:, j] = A[:, π(j)]``."""
    N, h = perms.shape
    eye = torch.eye(h, dtype=dtype, device=perms.device)
    return eye[:, perms].permute(1, 0, 2)  # columns of I picked by π


def permute_params(params: dict, P: torch.Tensor) -> dict:
    """``(W1P, b1P, PᵀW2, b2)`` for stacked parameters and stacked permutation matrices."""
    return {
        "W1": params["W1"] @ P, "b1": params["b1"] @ P,
        "W2": P.transpose(1, 2) @ params["W2"], "b2": params["b2"],
    }
