r"""Index-level one-hidden-layer MLP in the seed's row-vector convention (symbolic sizes).

.. math::
    Z = XW^{(1)} + \mathbf 1 b^{(1)},\quad H = \sigma(Z),\quad O = HW^{(2)} + \mathbf 1 b^{(2)},
    \quad L = \sum_{r,c} \ell(O_{rc}, Y_{rc})

with ``X`` n×d, ``W1`` d×h, ``b1`` 1×h, ``W2`` h×q, ``b2`` 1×q; indices ``r < n`` (sample),
``a < d`` (input feature), ``j < h`` (hidden unit), ``c < q`` (output).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._index import Ranges

n, d, h, q = sp.symbols("n d h q", integer=True, positive=True)
r, a, j, c = sp.symbols("r a j c", integer=True)
e, m, k, s = sp.symbols("e m k s", integer=True)  # free indices for results
sigma = sp.Function("sigma")
ell = sp.Function("ell")
X, Y = sp.IndexedBase("X"), sp.IndexedBase("Y")


@dataclass(frozen=True)
class Params:
    """Index functions for the parameters: ``W1(a, j)``, ``b1(j)``, ``W2(j, c)``, ``b2(c)``."""

    W1: object
    b1: object
    W2: object
    b2: object


def indexed_params(prefix: str = "") -> Params:
    W1, b1, W2, b2 = (sp.IndexedBase(prefix + nm) for nm in ("W1", "b1", "W2", "b2"))
    return Params(lambda x, y: W1[x, y], lambda y: b1[y], lambda y, z: W2[y, z], lambda z: b2[z])


def bases(p: Params):
    """The IndexedBase objects behind ``p`` (for differentiation)."""
    return tuple(f(*([sp.Symbol("_")] * nargs)).base for f, nargs in
                 ((p.W1, 2), (p.b1, 1), (p.W2, 2), (p.b2, 1)))


def data(row, feature):
    """The input entry ``X[row, feature]`` (the default input of :func:`preact`)."""
    return X[row, feature]


def preact(p: Params, row=r, unit=j, inp=data):
    """``Z[row, unit] = Σ_a inp(row, a) W1[a, unit] + b1[unit]``; ``inp`` is the input entry (default ``X``)."""
    return sp.Sum(inp(row, a) * p.W1(a, unit), (a, 0, d - 1)) + p.b1(unit)


def output(p: Params, row=r, out=c, act=sigma, inp=data):
    """``O[row, out] = Σ_j σ(Z[row, j]) W2[j, out] + b2[out]``."""
    return sp.Sum(act(preact(p, row, j, inp)) * p.W2(j, out), (j, 0, h - 1)) + p.b2(out)


def mse_loss(p: Params, act=sigma):
    """``½ Σ_{r,c} (O_rc - Y_rc)²`` (the seed's ½‖O−Y‖², a sum, not a mean)."""
    return sp.Sum((output(p, r, c, act) - Y[r, c]) ** 2 / 2, (r, 0, n - 1), (c, 0, q - 1))


def elementwise_loss(p: Params, act=sigma):
    """``Σ_{r,c} ℓ(O_rc, Y_rc)`` for an arbitrary differentiable ``ℓ``."""
    return sp.Sum(ell(output(p, r, c, act), Y[r, c]), (r, 0, n - 1), (c, 0, q - 1))


RANGES = dict(bounds={r: n, a: d, j: h, c: q, e: d, m: h, k: h, s: q})


def ranges(perms: dict | None = None) -> Ranges:
    """Index ranges of the model, plus permutations ``{π: N}`` of ``[0, N-1]``."""
    return Ranges(dict(RANGES["bounds"]), dict(perms or {}))
