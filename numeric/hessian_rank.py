r"""Hessian ranks of deep linear networks: the closed forms of Singh, Bachmann & Hofmann (2021), measured.

S. P. Singh, G. Bachmann, T. Hofmann, *Analytic Insights into Structure and Rank of Neural Network Hessian
Maps*, NeurIPS 2021 (arXiv:2106.16225); formulas as in the authors' notebook (``dalab/hessian-rank``,
``hessian_rank.ipynb`` at commit 2cfb747a0ba44bceff4b69dbed658399843a0b74).  For a bias-free linear network
:math:`f(x) = W_L\cdots W_1x` with ``L`` weight matrices, input dimension ``d``, hidden widths
:math:`m_1, \dots, m_{L-1}`, ``k`` outputs, squared error, and data whose second-moment matrix
:math:`\sum_x xx^\top` has rank ``r``, with :math:`q = \min(r, k, m_1, \dots, m_{L-1})` and :math:`s = \min(r, k)`:

.. math:: \operatorname{rank} H_o = q(r + k - q), \qquad
          \operatorname{rank} H_f = 2q\sum_{l=1}^{L-1} m_l + 2qs - Lq^2, \qquad
          \operatorname{rank} H_L = 2q\sum_{l=1}^{L-1} m_l + q(r + k) - Lq^2 ,

where :math:`H_o = \sum_x J_x^\top J_x` is the outer-product (Gauss–Newton) term, :math:`H_f` the functional
(residual) term and :math:`H_L = H_o + H_f` the loss Hessian; the first is exact, the others are upper bounds that
are attained at generic (e.g. random) weights and targets.  Cross-entropy replaces ``k`` by ``k − 1``.

>>> singh_ranks(d=25, widths=(5, 10), k=10, r=25)   # the notebook's example: 150, 175, 250
{'outer': 150, 'functional': 175, 'hessian': 250, 'q': 5, 's': 10}
"""

from __future__ import annotations

import torch
from torch.func import vmap

from .curvature import Arch, dense, forward, init_theta, numerical_rank

__all__ = ["singh_ranks", "measured_ranks", "rank_table"]

F64 = torch.float64


def singh_ranks(d: int, widths: tuple, k: int, r: int | None = None) -> dict:
    """The closed forms of the module docstring (``r`` defaults to ``d``: full-rank data)."""
    r = d if r is None else r
    L = len(widths) + 1
    q = min((r, k) + tuple(widths))
    s = min(r, k)
    return {"outer": q * (r + k - q), "functional": 2 * q * sum(widths) + 2 * q * s - L * q * q,
            "hessian": 2 * q * sum(widths) + q * (r + k) - L * q * q, "q": q, "s": s}


def measured_ranks(arch: Arch, n: int, networks: int = 2, seed: int = 0) -> dict:
    """Numerical ranks of G (= H_o), R (= H_f) and H at random weights, inputs and targets (float64, dense), the
    minimum over ``networks`` draws, with the data rank ``r``."""
    g = torch.Generator().manual_seed(seed)
    theta = init_theta(arch, networks, g)
    X = torch.randn(networks, n, arch.d, generator=g, dtype=F64)
    Y = torch.randn(networks, n, arch.q, generator=g, dtype=F64) + vmap(lambda t, x: forward(t, x, arch))(theta, X)
    D = vmap(lambda t, x, y: dense(t, x, y, arch, networks=networks, parts=("H", "G", "R")))(theta, X, Y)
    ranks = {k: min(numerical_rank(torch.linalg.eigvalsh(D[k][i]), arch.P) for i in range(networks))
             for k in ("H", "G", "R")}
    r = int(torch.linalg.matrix_rank(X[0]))
    return {"outer": ranks["G"], "functional": ranks["R"], "hessian": ranks["H"], "r": r, "P": arch.P}


def rank_table(shapes, activations=("identity", "relu", "tanh"), n: int = 40, seed: int = 0) -> list[dict]:
    """For each ``(d, widths, k)`` and activation: measured ranks, Singh et al.'s linear-network forms, and the
    departure (measured − formula) of each."""
    rows = []
    for d, widths, k in shapes:
        for act in activations:
            arch = Arch(d=d, widths=tuple(widths), q=k, activation=act, bias=False)
            m = measured_ranks(arch, n, seed=seed)
            f = singh_ranks(d, tuple(widths), k, m["r"])
            rows.append({"d": d, "widths": list(widths), "k": k, "activation": act, "P": m["P"], "r": m["r"],
                         **{f"{key}_measured": m[key] for key in ("outer", "functional", "hessian")},
                         **{f"{key}_formula": f[key] for key in ("outer", "functional", "hessian")}})
    return rows
