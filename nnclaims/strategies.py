r"""Hypothesis strategies for claims about networks: exact weights, permutations, small networks, data sets.

Every strategy draws *exact* values (Python ints or :class:`fractions.Fraction`), so a counterexample found
with them can be re-checked in exact arithmetic; each shrinks towards small sizes and small entries (Hypothesis
shrinks integers towards 0 and lists towards their minimum length).  Sizes may be given as an int or as a
strategy of ints; bounds are keyword-only and checked before anything is drawn.

Networks use the column convention of the search witnesses (:mod:`nnclaims.proofs.search_subspace`):
``{"weights": [W1, …], "biases": [b1, …] or None, "activation": name}`` with each ``W`` of shape
(out × in), :math:`h_l = \sigma(W_l h_{l-1} + b_l)` and a linear last layer.

>>> from hypothesis import find
>>> find(permutations(4), lambda p: p[0] != 0)
(1, 0, 2, 3)
>>> find(networks(inputs=2, max_depth=2), lambda n: len(n["weights"]) == 3)["weights"][0]
[[0, 0]]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from hypothesis import strategies as st

__all__ = ["integers_in", "rationals", "integer_matrices", "rational_matrices", "permutations",
           "permutation_matrices", "signed_permutations", "signed_permutation_matrices", "networks",
           "datasets", "ACTIVATIONS"]

ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid", "identity")


def _size(n, name: str) -> st.SearchStrategy[int]:
    if isinstance(n, st.SearchStrategy):
        return n
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{name} must be a non-negative int or a strategy of ints (got {n!r})")
    return st.just(n)


def _bound(bound: int) -> int:
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise ValueError(f"bound must be a non-negative int (got {bound!r})")
    return bound


def integers_in(*, bound: int = 2) -> st.SearchStrategy[int]:
    """Integers in ``[-bound, bound]`` (shrinking towards 0)."""
    b = _bound(bound)
    return st.integers(-b, b)


def rationals(*, bound: int = 2, max_denominator: int = 4) -> st.SearchStrategy[Fraction]:
    """Fractions ``p/q`` with ``|p/q| ≤ bound`` and ``1 ≤ q ≤ max_denominator`` (shrinking towards 0 and q = 1)."""
    b = _bound(bound)
    if isinstance(max_denominator, bool) or not isinstance(max_denominator, int) or max_denominator < 1:
        raise ValueError(f"max_denominator must be a positive int (got {max_denominator!r})")

    @st.composite
    def draw(draw_):
        q = draw_(st.integers(1, max_denominator))
        return Fraction(draw_(st.integers(-b * q, b * q)), q)

    return draw()


def _matrices(rows, cols, entries) -> st.SearchStrategy[list[list]]:
    @st.composite
    def draw(draw_):
        r, c = draw_(_size(rows, "rows")), draw_(_size(cols, "cols"))
        return [draw_(st.lists(entries, min_size=c, max_size=c)) for _ in range(r)]

    return draw()


def integer_matrices(rows, cols, *, bound: int = 2) -> st.SearchStrategy[list[list[int]]]:
    """``rows × cols`` lists of integers in ``[-bound, bound]``."""
    return _matrices(rows, cols, integers_in(bound=bound))


def rational_matrices(rows, cols, *, bound: int = 2, max_denominator: int = 4) -> st.SearchStrategy[list[list[Fraction]]]:
    """``rows × cols`` lists of :func:`rationals`."""
    return _matrices(rows, cols, rationals(bound=bound, max_denominator=max_denominator))


def permutations(n) -> st.SearchStrategy[tuple[int, ...]]:
    """A permutation ``π`` of ``range(n)`` as the tuple ``(π(0), …, π(n−1))``; shrinks towards the identity."""
    return _size(n, "n").flatmap(lambda k: st.permutations(range(k)).map(tuple))


def _matrix_of(perm: Sequence[int], signs: Sequence[int] | None = None) -> list[list[int]]:
    """``P[k][j] = s_j δ(k, π(j))`` so that ``(A P)[:, j] = s_j A[:, π(j)]`` (the catalogue's convention)."""
    n = len(perm)
    s = signs or [1] * n
    return [[s[j] if perm[j] == k else 0 for j in range(n)] for k in range(n)]


def permutation_matrices(n) -> st.SearchStrategy[list[list[int]]]:
    """The matrix ``P_{kj} = δ(k, π(j))`` of a permutation drawn by :func:`permutations`."""
    return permutations(n).map(_matrix_of)


def signed_permutations(n) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """A signed permutation ``(π, s)`` with ``s_j ∈ {+1, −1}``; shrinks towards ``s = (1, …, 1)``."""
    @st.composite
    def draw(draw_):
        perm = draw_(permutations(n))
        signs = draw_(st.lists(st.sampled_from((1, -1)), min_size=len(perm), max_size=len(perm)))
        return perm, tuple(signs)

    return draw()


def signed_permutation_matrices(n) -> st.SearchStrategy[list[list[int]]]:
    """The matrix ``Q_{kj} = s_j δ(k, π(j))`` of a signed permutation (an orthogonal matrix with entries 0, ±1)."""
    return signed_permutations(n).map(lambda ps: _matrix_of(*ps))


def networks(*, inputs=2, outputs=1, max_depth: int = 2, max_width: int = 3, bound: int = 2,
             max_denominator: int = 1, biases=None, activations: Sequence[str] = ("relu",)) -> st.SearchStrategy[dict]:
    """A small MLP: 0 to ``max_depth`` hidden layers of 1 to ``max_width`` units, exact weights in
    ``[-bound, bound]`` (integers, or rationals with ``max_denominator > 1``), biases when ``biases`` draws True
    (default: either), one activation from ``activations``.  Shrinks towards no hidden layer, width 1, zeros."""
    depth = _bound(max_depth)
    if isinstance(max_width, bool) or not isinstance(max_width, int) or max_width < 1:
        raise ValueError(f"max_width must be a positive int (got {max_width!r})")
    unknown = sorted(set(activations) - set(ACTIVATIONS))
    if not activations or unknown:
        raise ValueError(f"activations must be a non-empty subset of {ACTIVATIONS} (got {activations!r})")
    entries = integers_in(bound=bound) if max_denominator == 1 else rationals(bound=bound, max_denominator=max_denominator)

    @st.composite
    def draw(draw_):
        d, q = draw_(_size(inputs, "inputs")), draw_(_size(outputs, "outputs"))
        widths = draw_(st.lists(st.integers(1, max_width), min_size=0, max_size=depth))
        sizes = [d, *widths, q]
        Ws = [draw_(_matrices(sizes[i + 1], sizes[i], entries)) for i in range(len(sizes) - 1)]
        with_bias = draw_(st.booleans() if biases is None else st.just(bool(biases)))
        bs = [draw_(st.lists(entries, min_size=n, max_size=n)) for n in sizes[1:]] if with_bias else None
        return {"weights": Ws, "biases": bs, "activation": draw_(st.sampled_from(tuple(activations)))}

    return draw()


def datasets(inputs, *, min_points: int = 1, max_points: int = 4, bound: int = 2,
             distinct: bool = True) -> st.SearchStrategy[list[list[int]]]:
    """``points × inputs`` integer data in ``[-bound, bound]`` (distinct points by default)."""
    if not 0 <= min_points <= max_points:
        raise ValueError(f"need 0 <= min_points <= max_points (got {min_points}, {max_points})")

    @st.composite
    def draw(draw_):
        d = draw_(_size(inputs, "inputs"))
        point = st.lists(integers_in(bound=bound), min_size=d, max_size=d).map(tuple)
        pts = draw_(st.lists(point, min_size=min_points, max_size=max_points, unique=distinct))
        return [list(p) for p in pts]

    return draw()
