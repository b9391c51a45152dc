r"""Exact counterexample searches (Z3) and the table of searches ``nnclaims search NAME`` runs.

Exact counterexample searches (Z3).  Each returns a :class:`~proofs.record.SearchResult`:
``found`` with a witness re-checked by independent exact code (SymPy rationals), ``none`` when Z3
proves no witness exists within the stated bounds, ``unknown`` on timeout.

``SEARCHES`` maps the names accepted by ``nnclaims search NAME`` to the search functions.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import sympy as sp
import z3

from . import _matrices
from ._z3 import RLIMIT, finish, rational_orthogonal, relu, solver
from .record import SearchResult
from .search_dnfa import search_svd_form
from .search_hessian import search_basis_change, search_residual_at_optimum
from .search_equivalence import search_equivalent
from .search_subspace import search_zero_match

__all__ = ["SEARCHES", "search_orthogonal_relu", "recheck_orthogonal_relu", "decode_orthogonal", "commuting_control", "search_zero_match", "search_equivalent",
           "search_basis_change", "search_svd_form", "search_residual_at_optimum"]


def _frac(v: z3.ExprRef) -> Fraction:
    if isinstance(v, z3.IntNumRef):
        return Fraction(v.as_long())
    if isinstance(v, z3.RatNumRef):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    raise ValueError(f"non-rational model value {v}")


def recheck_orthogonal_relu(witness: dict) -> bool:
    """Independent exact re-check: Q orthogonal, not a signed permutation (as the search requires), and
    relu(ZQ) != relu(Z) Q (SymPy rationals)."""
    Q = sp.Matrix([[sp.Rational(x) for x in row] for row in witness["Q"]])
    Z = sp.Matrix([[sp.Rational(x) for x in row] for row in witness["Z"]])
    relu = lambda t: sp.Max(0, t)
    orth = (Q.T * Q - sp.eye(Q.shape[0])).is_zero_matrix
    return bool(orth and not _matrices.signed_permutation(Q) and (Z * Q).applyfunc(relu) != Z.applyfunc(relu) * Q)


def decode_orthogonal(m: z3.ModelRef, P, Zv, D: int) -> dict:
    """The witness in a Z3 model: ``Q = P / D`` and the row ``Z`` as exact strings."""
    return {"Q": [[str(Fraction(m.eval(p).as_long(), D)) for p in row] for row in P],
            "Z": [[str(m.eval(zv).as_long()) for zv in Zv]], "activation": "relu"}


def commuting_control(witness: dict) -> dict:
    """A planted non-witness: the witness's Z with Q the permutation that swaps the coordinates (σ commutes
    with it), which :func:`recheck_orthogonal_relu` must reject."""
    n = len(witness["Q"])
    return dict(witness, Q=[["1" if k == (j + 1) % n else "0" for j in range(n)] for k in range(n)])


def search_orthogonal_relu(*, size: int = 2, max_weight: int = 2, denominator: int = 5,
                           seed: int = 0, timeout: float = 30.0, rlimit: int = RLIMIT) -> SearchResult:
    r"""Find a rational orthogonal ``Q`` (entries ``p/denominator``) and an integer row ``Z``
    (entries in ``[-max_weight, max_weight]``) with :math:`\mathrm{relu}(ZQ) \ne \mathrm{relu}(Z)Q`,
    where Q is *not* a signed permutation matrix (perm.orthogonal-commutes).  A found witness counts as
    re-checked only if the re-check also rejects the planted :func:`commuting_control`."""
    bounds = {"size": size, "max_weight": max_weight, "denominator": denominator}
    s = solver(seed, timeout, rlimit=rlimit)
    D = denominator
    P = rational_orthogonal(s, size, D)
    Zv = [z3.Int(f"z{j}", s.ctx) for j in range(size)]
    s.add([z3.And(zv >= -max_weight, zv <= max_weight) for zv in Zv])
    # D·relu(ZQ)_j = relu(Σ_k z_k p_kj);  D·(relu(Z)Q)_j = Σ_k relu(z_k) p_kj
    s.add(z3.Or([relu(z3.Sum([Zv[k] * P[k][j] for k in range(size)])) != z3.Sum([relu(Zv[k]) * P[k][j] for k in range(size)])
                 for j in range(size)]))
    r = finish(s, "orthogonal-relu", bounds, lambda m: decode_orthogonal(m, P, Zv, D), recheck_orthogonal_relu,
               "no rational orthogonal Q with these denominators and integer Z exists", rlimit, timeout)
    if r.status != "found":
        return r
    planted = commuting_control(r.witness)
    rejects = not recheck_orthogonal_relu(planted)
    note = (f"re-check control: the planted non-witness {planted} is "
            f"{'rejected, as it must be' if rejects else 'ACCEPTED: the re-check accepts anything'}")
    return replace(r, rechecked=bool(r.rechecked and rejects), note=note)


SEARCHES = {
    "orthogonal-relu": search_orthogonal_relu,
    "basis-change": search_basis_change,
    "svd-form": search_svd_form,
    "residual-at-optimum": search_residual_at_optimum,
    "zero-match": search_zero_match,
    "equivalent": search_equivalent,
}
