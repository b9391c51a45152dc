"""Exact matrix predicates the searches' re-checks share (SymPy matrices), a floor below the search modules."""

from __future__ import annotations

import sympy as sp

__all__ = ["signed_permutation"]


def signed_permutation(Q: sp.Matrix) -> bool:
    """Every entry 0 or ±1 and one nonzero entry per row (for an orthogonal Q: a signed permutation).

    >>> signed_permutation(sp.Matrix([[0, -1], [1, 0]])), signed_permutation(sp.Matrix([[1, 1], [0, 1]]))
    (True, False)
    """
    return all(abs(x) in (0, 1) for x in Q) and all(sum(x != 0 for x in Q.row(i)) == 1 for i in range(Q.rows))
