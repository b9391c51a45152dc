r"""Z3 search for a ReLU network whose AGOP refutes the DNFA seed's SVD form (dnfa.svd-form).

Z3 search for the DNFA seed's SVD form (dnfa.svd-form): a real network whose AGOP has the right
singular vectors of ``W`` as eigenvectors, in the same order, while ``WᵀW`` is *not* proportional to the AGOP.

Network (column convention, as the notes): :math:`f(x) = v^\top \mathrm{relu}(Wx)` with integer ``W``
(2×2), ``v`` and distinct integer data points, no pre-activation at the kink (``Wx`` has no zero entry, so
the gradient is defined).  Its AGOP (up to the factor ``1/n``, which changes no condition) is

.. math:: M = \sum_x \nabla f(x)\nabla f(x)^\top,\qquad \nabla f(x) = W^\top D_x v,\quad D_x = \mathrm{diag}[Wx > 0].

With ``A = WᵀW`` of distinct eigenvalues, a symmetric ``M`` has ``A``'s eigenvectors iff it commutes with
``A``, i.e. (2×2) iff :math:`M = \alpha I + \beta A`; its eigenvalues :math:`\alpha + \beta\sigma_i^2` are in
the same order as :math:`\sigma_i^2` iff :math:`\beta > 0`, and ``M`` is proportional to ``A`` iff
:math:`\alpha = 0`.  In integers: ``AM = MA``; :math:`\beta` has the sign of
:math:`(M_{00}-M_{11})(A_{00}-A_{11}) + 4M_{01}A_{01}` (the traceless parts); :math:`\alpha \ne 0` iff
``vec M`` and ``vec A`` are independent (a nonzero 2×2 minor).  Bit-vectors of a width that provably holds
every term (:func:`_bit_width`) keep the arithmetic exact.  The
re-check recomputes ``M`` in SymPy and tests eigenvectors, their order and proportionality directly,
without ``α`` and ``β``.
"""

from __future__ import annotations

import sympy as sp
import z3

from ._z3 import RLIMIT, finish, lex_less, solver
from .record import SearchResult

__all__ = ["search_svd_form", "recheck_svd_form", "agop_exact", "same_order"]


def agop_exact(W, v, X) -> sp.Matrix:
    """``Σ_x ∇f ∇fᵀ`` of ``f(x) = vᵀ relu(Wx)`` in SymPy rationals (requires no pre-activation at 0)."""
    W, v = sp.Matrix(W), sp.Matrix(v)
    M = sp.zeros(W.cols, W.cols)
    for x in X:
        z = W * sp.Matrix(x)
        if any(t == 0 for t in z):
            raise ValueError("a pre-activation is at the kink: the gradient is not defined")
        g = W.T * sp.diag(*[1 if t > 0 else 0 for t in z]) * v
        M += g * g.T
    return M


def recheck_svd_form(w: dict) -> bool:
    """Exact: WᵀW has distinct eigenvalues; each of its eigenvectors is an eigenvector of the AGOP M; the
    Rayleigh quotients of M on them are strictly in the order of WᵀW's eigenvalues; M is not ∝ WᵀW; and the
    witness's recorded ``AGOP`` (if any) is M."""
    A = sp.Matrix(w["W"]).T * sp.Matrix(w["W"])
    try:
        M = agop_exact(w["W"], w["v"], w["inputs"])
    except ValueError:
        return False
    if "AGOP" in w and sp.Matrix([[sp.Rational(e) for e in row] for row in w["AGOP"]]) != M:
        return False
    vecs = A.eigenvects()
    if len(vecs) != A.rows or len({tuple(x) for x in w["inputs"]}) != len(w["inputs"]):
        return False
    pairs = []
    for lam, _, basis in vecs:
        u = basis[0]
        mu = (u.T * M * u)[0] / (u.T * u)[0]
        if not (M * u - mu * u).is_zero_matrix:
            return False
        pairs.append((lam, mu))
    pairs.sort(key=lambda p: p[0])
    in_order = all(sp.simplify(b[1] - a[1]) > 0 for a, b in zip(pairs, pairs[1:]))
    proportional = sp.Matrix([list(A), list(M)]).rank() < 2
    return bool(in_order and not proportional)


def _bit_width(R: int, points: int) -> int:
    """Signed bit-vector width holding every term exactly (2×2, entries in [-R, R]): |Wx|, |∇f|, |A| ≤ 2R²,
    |M| ≤ n(2R²)², and the largest product is max(2|M|², 8|M||A|) (det M, the commutator, the sign of β).
    Two bits of headroom on top of the sign."""
    a = 2 * R * R
    m = points * a * a
    return max(2 * m * m, 8 * m * a).bit_length() + 2


def same_order(M, A):
    r"""Z3 constraint :math:`\beta > 0` for :math:`M = \alpha I + \beta A` (2×2): the traceless parts of M and A
    point the same way, :math:`(M_{00}-M_{11})(A_{00}-A_{11}) + 4M_{01}A_{01} > 0`, so M's eigenvalues on A's
    eigenvectors come in the same order."""
    return (M[0][0] - M[1][1]) * (A[0][0] - A[1][1]) + 4 * M[0][1] * A[0][1] > 0


def search_svd_form(*, points: int = 2, max_weight: int = 2, full_rank: bool = True, seed: int = 0,
                    timeout: float = 60.0, rlimit: int = RLIMIT) -> SearchResult:
    """Search for the witness described in the module docstring (2 inputs, 2 hidden units); with
    ``full_rank`` the AGOP must be nonsingular (no direction the network ignores)."""
    if min(points, max_weight) < 1:
        raise ValueError("points and max_weight must be >= 1")
    bounds = {"inputs": 2, "hidden": 2, "points": points, "max_weight": max_weight, "full_rank": full_rank}
    s = solver(seed, timeout, "QF_BV", rlimit)
    R, k = max_weight, 2
    width = _bit_width(R, points)
    bounds["bit_width"] = width
    W = [[z3.BitVec(f"W{i}_{j}", width, s.ctx) for j in range(k)] for i in range(k)]
    v = [z3.BitVec(f"v{i}", width, s.ctx) for i in range(k)]
    X = [[z3.BitVec(f"x{p}_{j}", width, s.ctx) for j in range(k)] for p in range(points)]
    s.add([z3.And(t >= -R, t <= R) for t in [t for row in W + X for t in row] + v])
    s.add([lex_less(X[p], X[p + 1]) for p in range(points - 1)])  # distinct, in lexicographic order
    M = [[0] * k for _ in range(k)]
    for x in X:
        z = [z3.Sum([W[i][j] * x[j] for j in range(k)]) for i in range(k)]
        s.add([t != 0 for t in z])  # no kink: the gradient exists
        g = [z3.Sum([W[i][j] * z3.If(z[i] > 0, v[i], 0) for i in range(k)]) for j in range(k)]
        M = [[M[a][b] + g[a] * g[b] for b in range(k)] for a in range(k)]
    A = [[z3.Sum([W[i][a] * W[i][b] for i in range(k)]) for b in range(k)] for a in range(k)]
    s.add((A[0][0] - A[1][1]) * (A[0][0] - A[1][1]) + 4 * A[0][1] * A[0][1] != 0)  # distinct eigenvalues
    s.add([z3.Sum([A[a][c] * M[c][b] - M[a][c] * A[c][b] for c in range(k)]) == 0
           for a in range(k) for b in range(k)])  # AM = MA: M = αI + βA
    s.add(same_order(M, A))
    s.add(z3.Or(M[0][0] * A[1][1] != M[1][1] * A[0][0], M[0][0] * A[0][1] != M[0][1] * A[0][0],
                M[1][1] * A[0][1] != M[0][1] * A[1][1]))  # α ≠ 0: vec M, vec A independent
    if full_rank:
        s.add(M[0][0] * M[1][1] != M[0][1] * M[0][1])
    def witness(m):
        val = lambda t: m.eval(t, model_completion=True).as_signed_long()  # noqa: E731
        w = {"W": [[val(t) for t in row] for row in W], "v": [[val(t)] for t in v],
             "inputs": [[val(t) for t in x] for x in X], "activation": "relu"}
        w["AGOP"] = [[str(e) for e in row] for row in agop_exact(w["W"], w["v"], w["inputs"]).tolist()]
        return w

    return finish(s, "svd-form", bounds, witness, recheck_svd_form,
                  "UNSAT: within these bounds every AGOP with WᵀW's eigenvectors in the same order is ∝ WᵀW",
                  rlimit, timeout)
