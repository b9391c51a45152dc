r"""The AGOP of every weight layer of a feed-forward network in one forward and one backward sweep.

Column convention, as in the DNFA notes: :math:`z_l = W_l h_{l-1} + b_l`, :math:`h_l = \sigma(z_l)` for the
hidden layers :math:`l = 1..L`, :math:`h_0 = x`, output :math:`f = z_{L+1} = W_{L+1} h_L + b_{L+1}`.  With
:math:`D_l = \operatorname{diag}\sigma'(z_l)` the Jacobians of the output with respect to the
pre-activations obey :math:`J_{L+1} = I`, :math:`J_L = W_{L+1} D_L`, :math:`J_l = J_{l+1} W_{l+1} D_l`, and

.. math:: G_l = \tfrac1n \sum_x J_l^\top J_l, \qquad
          \mathrm{AGOP}_l = \tfrac1n \sum_x (J_l W_l)^\top (J_l W_l) = W_l^\top G_l W_l

is the AGOP of the whole network as a function of layer ``l``'s input :math:`h_{l-1}` (the data itself for
the first layer).  Only batched matrix products: no autograd through the network, any depth, any
elementwise activation (``σ'`` by one forward-mode ``jvp``), biases optional, and the data visited in chunks
so that memory does not grow with the number of samples.  Every tensor keeps a leading network axis, so a
stack of networks (the zoo) is swept at once.

A one-hidden-layer linear network, where every quantity is known in closed form:

>>> W1 = torch.tensor([[[1., 2.], [0., 1.], [1., 0.]]], dtype=torch.float64)  # (1 network, 3 × 2)
>>> W2 = torch.tensor([[[1., -1., 2.]]], dtype=torch.float64)               # (1, 1 × 3)
>>> X = torch.randn(1, 5, 2, dtype=torch.float64)
>>> out = agop_sweep([W1, W2], X, "identity")
>>> bool(torch.allclose(out["G"][0], W2.mT @ W2))  # J_1 = W_2 for every sample
True
>>> bool(torch.allclose(out["AGOP"][0], (W2 @ W1).mT @ (W2 @ W1)))
True
>>> bool(torch.equal(out["G"][1], torch.eye(1, dtype=torch.float64)[None]))  # the output layer's G is I
True
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch.func import jvp

from .zoo import ACTIVATIONS as _ZOO_ACTIVATIONS

__all__ = ["ACTIVATIONS", "CHUNK_ELEMENTS", "activation_function", "agop_sweep", "chunk_rows", "forward_layers"]


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


ACTIVATIONS = {**_ZOO_ACTIVATIONS, "identity": _identity}

# Samples per chunk are chosen so that one chunk's Jacobian block J_l, (N, chunk·q, n_l), holds at most this
# many entries (2**22 float64 numbers: 32 MiB); a few such blocks are alive at once.
CHUNK_ELEMENTS = 2 ** 22


def activation_function(activation: str | Callable) -> Callable:
    """The elementwise function for a name in :data:`ACTIVATIONS`, or the callable itself.

    >>> activation_function("identity")(torch.tensor([-2.0])).item()
    -2.0
    >>> activation_function("swish")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'swish': choose from relu, tanh, gelu, sigmoid, identity
    """
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose from {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


def _check(weights: Sequence[torch.Tensor], biases, X: torch.Tensor) -> list:
    if not weights:
        raise ValueError("no weight layers")
    if X.dim() != 3:
        raise ValueError(f"X must be (networks, samples, features); got shape {tuple(X.shape)}")
    N, fan_in = X.shape[0], X.shape[2]
    bs = list(biases) if biases is not None else [None] * len(weights)
    if len(bs) != len(weights):
        raise ValueError(f"{len(weights)} weight layers but {len(bs)} biases")
    for l, (W, b) in enumerate(zip(weights, bs), 1):
        if W.dim() != 3 or W.shape[0] != N or W.shape[2] != fan_in:
            raise ValueError(f"layer {l}: weight of shape {tuple(W.shape)} does not take input (networks={N}, "
                             f"width={fan_in}); weights are (networks, out, in)")
        if b is not None and tuple(b.shape) != (N, W.shape[1]):
            raise ValueError(f"layer {l}: bias of shape {tuple(b.shape)}, expected {(N, W.shape[1])}")
        fan_in = W.shape[1]
    return bs


def chunk_rows(networks: int, outputs: int, widths: Sequence[int], budget: int = CHUNK_ELEMENTS) -> int:
    """Samples per chunk: the most for which one Jacobian block ``(networks, chunk·outputs, max width)``
    stays within ``budget`` entries (at least one sample).

    >>> chunk_rows(1, 10, [1024, 1024])
    409
    """
    return max(1, budget // (networks * outputs * max(widths)))


def forward_layers(weights: Sequence[torch.Tensor], X: torch.Tensor, activation: str | Callable = "relu", *,
                   biases: Sequence[torch.Tensor | None] | None = None) -> list[torch.Tensor]:
    r"""Every layer's output on ``X``: :math:`h_1, \dots, h_L` (post-activation) and the network output
    :math:`f = z_{L+1}`, each ``(networks, samples, n_l)``.

    >>> W = [torch.ones(1, 2, 3), -torch.ones(1, 1, 2)]
    >>> [h.tolist() for h in forward_layers(W, torch.ones(1, 1, 3))]
    [[[[3.0, 3.0]]], [[[-6.0]]]]
    """
    act = activation_function(activation)
    bs = _check(weights, biases, X)
    h, outs = X, []
    for l, (W, b) in enumerate(zip(weights, bs)):
        z = h @ W.mT + (b[:, None, :] if b is not None else 0)
        h = act(z) if l < len(weights) - 1 else z
        outs.append(h)
    return outs


def agop_sweep(weights: Sequence[torch.Tensor], X: torch.Tensor, activation: str | Callable = "relu", *,
               biases: Sequence[torch.Tensor | None] | None = None, chunk_size: int | None = None) -> dict:
    r"""``G_l`` and ``AGOP_l`` of every weight layer ``l = 1..L+1`` (module docstring), stacked over networks.

    Args:
        weights: ``L+1`` tensors ``(networks, n_l, n_{l-1})`` (``torch.nn.Linear``'s (out, in) layout with a
            leading network axis), input layer first; ``L = 0`` (one linear map) is allowed.
        X: ``(networks, samples, n_0)``, each network's own data.
        activation: a name in :data:`ACTIVATIONS` (``identity`` included) or any elementwise callable.
        biases: ``None`` (no biases) or one ``(networks, n_l)`` tensor or ``None`` per layer.
        chunk_size: samples per chunk; ``None`` picks :func:`chunk_rows`.  Sums are accumulated over the
            chunks and divided by ``samples`` once at the end.

    Returns:
        ``{"G": [G_1, …, G_{L+1}], "AGOP": [AGOP_1, …, AGOP_{L+1}]}`` with ``G_l`` ``(networks, n_l, n_l)`` and
        ``AGOP_l`` ``(networks, n_{l-1}, n_{l-1})``.  The output layer's ``J`` is the identity, so
        :math:`G_{L+1} = I` and :math:`\mathrm{AGOP}_{L+1} = W_{L+1}^\top W_{L+1}` exactly.

    Raises:
        ValueError: shapes that do not chain, an unknown activation, a chunk size below 1.

    Memory: the data, the weights, the ``G_l`` (``Σ n_l²`` per network), and for one chunk the derivatives
    ``D_l`` (``chunk · Σ n_l``) and two Jacobian blocks ``(chunk · q, n_l)`` — none of it grows with ``samples``.
    """
    act = activation_function(activation)
    bs = _check(weights, biases, X)
    Ws = list(weights)
    N, n = X.shape[0], X.shape[1]
    q = Ws[-1].shape[1]
    hidden = [W.shape[1] for W in Ws[:-1]]
    if n < 1:
        raise ValueError("no samples")
    if chunk_size is None:
        chunk_size = chunk_rows(N, q, hidden or [1])
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1 (got {chunk_size})")
    G = [X.new_zeros(N, w, w) for w in hidden]
    L = len(hidden)
    for start in range(0, n if L else 0, chunk_size):
        h, D = X[:, start:start + chunk_size], []
        m = h.shape[1]
        for l in range(L):
            z = h @ Ws[l].mT + (bs[l][:, None, :] if bs[l] is not None else 0)
            h, d = jvp(act, (z,), (torch.ones_like(z),))
            D.append(d)
        # J_l stored flat as (N, m·q, n_l): rows are (sample, output) pairs, so every step is one bmm
        J = (Ws[L][:, None] * D[L - 1][:, :, None, :]).reshape(N, m * q, -1)
        G[L - 1] = G[L - 1] + J.mT @ J
        for l in range(L - 1, 0, -1):
            J = ((J @ Ws[l]).view(N, m, q, -1) * D[l - 1][:, :, None, :]).view(N, m * q, -1)
            G[l - 1] = G[l - 1] + J.mT @ J
        del J, D, h
    G = [g / n for g in G] + [torch.eye(q, dtype=X.dtype, device=X.device).expand(N, q, q).clone()]
    return {"G": G, "AGOP": [Ws[l].mT @ G[l] @ Ws[l] for l in range(L)] + [Ws[L].mT @ Ws[L]]}
