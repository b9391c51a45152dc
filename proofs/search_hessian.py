r"""Z3 search for the Hessian seed's basis-change claim (hessian.layer-orthogonal-basis).

The seed re-expresses a hidden layer in the eigenbasis ``U`` of its activation Gram
:math:`A = \sum_x a_x^\top a_x` (row convention, :math:`a_x = \mathrm{relu}(xW_1)`) and transforms both
adjacent weight matrices: :math:`W_1 \to W_1U`, :math:`w_2 \to U^\top w_2`.  The search looks for integer
data ``x``, weights ``W_1``, ``w_2`` and a rational orthogonal ``U = P/D`` that is *not* a signed
permutation, with ``UᵀAU`` diagonal with distinct entries (so ``U`` is *the* eigenbasis of ``A``, unique up
to the order and signs of its columns, as the seed requires), such that the
re-expressed network computes a different output on one of the data points:

.. math:: \mathrm{relu}(xW_1U)\,U^\top w_2 \ne \mathrm{relu}(xW_1)\,w_2 .

Scaled by ``D`` and ``D²`` every quantity is an integer.  A witness is re-checked in SymPy rationals.
"""

from __future__ import annotations

import sympy as sp
import z3

from . import _matrices
from ._z3 import RLIMIT, finish, rational_orthogonal, relu, solver
from .record import SearchResult

__all__ = ["search_basis_change", "recheck_basis_change", "search_residual_at_optimum", "recheck_residual_at_optimum"]


def recheck_basis_change(w: dict) -> bool:
    """Exact: U orthogonal and not a signed permutation (as the search requires), UᵀAU diagonal with distinct
    entries for A = Σ aᵀa over the data, and the re-expressed network's output differs from the original on some
    data point (SymPy rationals)."""
    U = sp.Matrix([[sp.Rational(v) for v in row] for row in w["U"]])
    W1, w2 = sp.Matrix(w["W1"]), sp.Matrix(w["w2"])
    X = sp.Matrix(w["inputs"])
    relu_ = lambda M: M.applyfunc(lambda t: sp.Max(0, t))  # noqa: E731
    Acts = relu_(X * W1)
    B = U.T * (Acts.T * Acts) * U
    diagonal = all(B[i, j] == 0 for i in range(B.rows) for j in range(B.cols) if i != j)
    diagonal &= len({B[i, i] for i in range(B.rows)}) == B.rows  # distinct eigenvalues
    orthogonal = (U.T * U - sp.eye(U.rows)).is_zero_matrix
    return bool(orthogonal and not _matrices.signed_permutation(U) and diagonal and relu_(X * W1 * U) * U.T * w2 != Acts * w2)


def search_basis_change(*, size: int = 2, points: int = 2, max_weight: int = 2, denominator: int = 5,
                        seed: int = 0, timeout: float = 60.0, rlimit: int = RLIMIT) -> SearchResult:
    """Search for the witness described in the module docstring (``size`` hidden units = input dim)."""
    if min(size, points, max_weight, denominator) < 1:
        raise ValueError("size, points, max_weight and denominator must be >= 1")
    bounds = {"size": size, "points": points, "max_weight": max_weight, "denominator": denominator}
    s = solver(seed, timeout, rlimit=rlimit)
    D, k, R = denominator, size, max_weight
    P = rational_orthogonal(s, k, D)
    X = [[z3.Int(f"x{p}_{i}", s.ctx) for i in range(k)] for p in range(points)]
    W1 = [[z3.Int(f"W{i}_{j}", s.ctx) for j in range(k)] for i in range(k)]
    w2 = [z3.Int(f"w{j}", s.ctx) for j in range(k)]
    s.add([z3.And(v >= -R, v <= R) for v in [v for row in X + W1 for v in row] + w2])
    Z = [[z3.Sum([x[i] * W1[i][j] for i in range(k)]) for j in range(k)] for x in X]  # xW1
    acts = [[relu(t) for t in z] for z in Z]
    A = [[z3.Sum([a[i] * a[j] for a in acts]) for j in range(k)] for i in range(k)]
    B = [[z3.Sum([P[r][i] * A[r][c] * P[c][j] for r in range(k) for c in range(k)]) for j in range(k)] for i in range(k)]
    s.add([B[i][j] == 0 for i in range(k) for j in range(k) if i != j])  # U diagonalises A …
    s.add([B[i][i] != B[j][j] for i in range(k) for j in range(i)])  # … with distinct eigenvalues: *the* eigenbasis
    # D²·relu(xW1U)Uᵀw2 = Σ_j relu(Σ_i z_i P_ij) Σ_l P_lj w2_l ;  D²·relu(xW1)w2 = D² Σ_l a_l w2_l
    new = [z3.Sum([relu(z3.Sum([z[i] * P[i][j] for i in range(k)])) * z3.Sum([P[l][j] * w2[l] for l in range(k)])
                   for j in range(k)]) for z in Z]
    old = [D * D * z3.Sum([a[l] * w2[l] for l in range(k)]) for a in acts]
    s.add(z3.Or([n != o for n, o in zip(new, old)]))
    val = lambda m, v: m.eval(v, model_completion=True).as_long()  # noqa: E731
    witness = lambda m: {  # noqa: E731
        "U": [[str(sp.Rational(val(m, p), D)) for p in row] for row in P],
        "W1": [[val(m, v) for v in row] for row in W1], "w2": [[val(m, v)] for v in w2],
        "inputs": [[val(m, v) for v in x] for x in X], "activation": "relu"}
    return finish(s, "basis-change", bounds, witness, recheck_basis_change,
                  "UNSAT: within these bounds every eigenbasis change of the hidden layer keeps the outputs on the data",
                  rlimit, timeout)


# --- hessian.residual-vanishes: the second term at a non-interpolating optimum --------------------------

def recheck_residual_at_optimum(w: dict) -> bool:
    """Exact (SymPy): θ* is a strict local minimum of L = ½Σ(f − y)² (L' = 0, L'' > 0), the fit is not
    perfect, and the residual term Σ (f − y)·∂²f/∂θ² is not zero there."""
    th = sp.Symbol("theta")
    f = lambda x: w["a"] * th ** 2 * x + w["b"] * th * x ** 2  # noqa: E731
    data = list(zip(w["x"], w["y"]))
    L = sum((f(x) - y) ** 2 for x, y in data) / 2
    at = {th: w["theta"]}
    residual = sum(((f(x) - y) * sp.diff(f(x), th, 2)).subs(at) for x, y in data)
    perfect = all((f(x) - y).subs(at) == 0 for x, y in data)
    return bool(sp.diff(L, th).subs(at) == 0 and sp.diff(L, th, 2).subs(at) > 0 and not perfect and residual != 0)


def search_residual_at_optimum(*, points: int = 2, max_weight: int = 2, seed: int = 0,
                               timeout: float = 60.0, rlimit: int = RLIMIT) -> SearchResult:
    r"""hessian.residual-vanishes gives convexity of the loss as the reason the second term vanishes at an
    optimum.  Search: a one-parameter model :math:`f_\theta(x) = a\theta^2x + b\theta x^2` with integer
    ``a, b``, data ``(x_p, y_p)`` and an integer :math:`\theta^*` that is a strict local minimum of the convex
    squared error (:math:`L' = 0`, :math:`L'' > 0`) where the fit is not perfect and
    :math:`\sum_x (f - y)\,\partial^2_\theta f \ne 0`: the loss is convex, θ* is an optimum, and the term
    does not vanish.  Integer arithmetic throughout; the witness is re-checked by SymPy differentiation."""
    if min(points, max_weight) < 1:
        raise ValueError("points and max_weight must be >= 1")
    bounds = {"points": points, "max_weight": max_weight, "model": "a·θ²·x + b·θ·x²"}
    s = solver(seed, timeout, rlimit=rlimit)
    R = max_weight
    a, b, th = (z3.Int(n, s.ctx) for n in ("a", "b", "theta"))
    xs = [z3.Int(f"x{p}", s.ctx) for p in range(points)]
    ys = [z3.Int(f"y{p}", s.ctx) for p in range(points)]
    s.add([z3.And(v >= -R, v <= R) for v in [a, b, th] + xs + ys])
    f = [a * th * th * x + b * th * x * x for x in xs]
    f1 = [2 * a * th * x + b * x * x for x in xs]  # ∂f/∂θ
    f2 = [2 * a * x for x in xs]  # ∂²f/∂θ²
    r = [fi - y for fi, y in zip(f, ys)]
    s.add(z3.Sum([ri * d for ri, d in zip(r, f1)]) == 0)  # L' = 0
    s.add(z3.Sum([d * d + ri * dd for ri, d, dd in zip(r, f1, f2)]) > 0)  # L'' > 0: strict minimum
    s.add(z3.Or([ri != 0 for ri in r]))  # not a perfect fit
    s.add(z3.Sum([ri * dd for ri, dd in zip(r, f2)]) != 0)  # the second term
    val = lambda m, t: m.eval(t, model_completion=True).as_long()  # noqa: E731
    witness = lambda m: {"a": val(m, a), "b": val(m, b), "theta": val(m, th),  # noqa: E731
                         "x": [val(m, x) for x in xs], "y": [val(m, y) for y in ys], "loss": "1/2 (f - y)**2"}
    return finish(s, "residual-at-optimum", bounds, witness, recheck_residual_at_optimum,
                  "UNSAT: within these bounds every strict minimum of this model has a vanishing second term",
                  rlimit, timeout)
