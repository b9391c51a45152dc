r"""Z3 search for two ReLU networks with identical outputs and an empty maximum match (the zero-match search).

Z3 search for the subspace-match seed: two same-architecture ReLU networks with integer weights in
``[-R, R]`` and distinct integer data points in ``[-R, R]^{d}`` whose output activation vectors agree on
the data while the maximum match at a chosen hidden layer is empty.

Encoding (exact, integer arithmetic).  ReLU is ``If(z > 0, z, 0)``.  The maximum match is empty iff no
pair of nonempty subsets ``X``, ``Y`` of *nonzero* neurons has ``span z_X = span z_Y``, and span
equality is ``rank z_X = rank z_Y = rank z_{X∪Y}``, with ``rank ≥ r`` iff some r×r minor is nonzero.

Methods (``method=``), each exact; a ``none`` is UNSAT of the stated bounds in all three:

``naive``
    The whole problem in one solver, unbounded integers, no symmetry breaking (the benchmark baseline).
``whole``
    The whole problem in one solver, bit-vectors of a width that provably holds every value
    (:func:`_bit_width`), lex-leader symmetry breaking and the output reduction below.
``split`` (default)
    One solver on the union of every data set's first-layer table (*Cover* below), whose UNSAT settles them all;
    otherwise one solver per data set: the data sets are enumerated outside Z3, one per orbit of the signed
    permutations of the input coordinates (:func:`data_orbits`), and on a fixed data set ``X`` a
    first-layer neuron's activation vector is one of the finitely many vectors
    ``relu(w·x_p + b)_p`` with ``w, b`` in the box (:func:`first_layer_table`), so the first layer is a
    table lookup instead of products and ReLUs.

Why the reductions keep a ``none`` sound (each maps any witness to one the reduced search still admits):

* *Data symmetry.*  For a signed permutation matrix ``S`` (``Sᵀ = S⁻¹``, entries 0, ±1), replacing the
  data ``x_p`` by ``S x_p`` and the first-layer weights ``W₁`` by ``W₁ Sᵀ`` keeps ``W₁ x_p``, hence every
  activation, and keeps every weight and data entry in ``[-R, R]`` and the points distinct.
* *Neuron order and the two networks.*  Permuting the hidden units of a layer (rows of ``W_l``, ``b_l``,
  columns of ``W_{l+1}``) or swapping the networks changes no condition.  Under one global order of
  the variables (per network, unit by unit: row ``u`` of ``W₁`` then ``b₁[u]``, for each first-layer
  unit, then the same for ``W₂, b₂``, …; network ``a`` before ``b``; with the table a first-layer unit's
  activation vector stands for its row and bias) each adjacent transposition
  of units compares the units' signatures lexicographically, so requiring ``x ≤_lex g(x)`` for those
  ``g`` keeps the lex-least member of every orbit (lex-leader constraints).
* *Implied constraints* (``whole`` and ``split``).  With a linear output layer read from the compared hidden
  layer ``H``, every output row's activation vector ``o = Σ_u w_u z_u (+ b·1)`` lies in the span of ``H``'s
  activation vectors (and the constant vector ``1`` with biases), so ``rank(H ∪ {o}) = rank(H)`` holds in every
  assignment that meets the other conditions; stating it removes no solution and spares the solver deriving it
  bit by bit.  Likewise, a product ``w·x`` with a weight ``w ∈ [-R, R]`` (``R ≤`` :data:`SMALL_WEIGHTS`) is written
  as a choice over the weight's values (:func:`_times`), equal to it on the box.
* *Cover* (``split``).  On a data set ``X`` the tabled encoding meets the data only through its table ``T_X``
  (each first-layer activation vector lies in ``T_X``; every other condition is on those vectors and the later
  weights), so a solution for ``T_X`` is one for any superset.  One solve with the union of all the data sets'
  tables is therefore UNSAT only if every data set is, and its UNSAT settles the whole search; when it is SAT or
  unknown nothing is concluded from it and the data sets are solved one by one.  It is tried after the first
  data set (when that one has a solution, the search ends there, as it would without the cover).
* *Outputs.*  The conditions on the outputs are one per output row (row ``k`` of both networks
  agrees on the data; some row is nonzero), so a witness with ``o`` outputs restricts to its (nonzero)
  row ``k`` and a witness with one output extends to ``o`` by zero rows: the search runs with one
  output and the witness is padded with zero rows.

Every ``found`` is re-checked by :mod:`proofs.subspace` at the full requested size (SymPy ranks,
independent of the encoding); a timeout gives ``unknown`` and says how many data sets were settled.

*Defaults.*  A pair with an all-zero hidden neuron or all-zero outputs is a trivial witness (an all-zero
hidden layer has an empty maximum match by definition, and zero outputs agree for any hidden layer), so by
default the search requires some nonzero output (``nonzero_output``) and no hidden neuron that is zero on
every data point (``no_zero_neuron``); both can be switched off.

*Limits* (:data:`LIMITS`, checked before any work, each a :class:`ValueError` that names it).  The empty-match
condition compares every pair of nonempty subsets of the hidden units by rank, with ``r × r`` minors
(``r! `` terms each) of ``r ≤ min(points, 2·width)`` vectors, so the encoding grows as
:math:`4^{\text{width}}\cdot\text{points}!`; :func:`encoding_terms` counts its determinant terms (about
25,000 are built per second on the 2-core reference machine, and memory grows with them).  The split method
enumerates the :math:`(2R+1)^d` grid points, the point sets and, per data set, the :math:`(2R+1)^{d(+1)}`
first-layer weight vectors in Python and numpy.  Beyond the limits the search could not finish or would
exhaust memory before its time limit stops it; the time limit bounds the rest: the encoding, the
enumeration and each solve all stop at the deadline (``unknown``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import chain, combinations, permutations, product

import numpy as np
import z3

from ._z3 import GUARD_NOTE, RLIMIT, check_rlimit, check_time_limit, lex_le, lex_less, relu, resources, solver, unknown_note
from .bounded import GRACE
from .record import SearchResult
from .subspace import activations, maximum_match

__all__ = ["search_zero_match", "recheck_zero_match", "zero_match_exists", "isomorphic_unmatched",
           "sweep_zero_match", "sweep_configurations", "data_orbits", "first_layer_table", "encoding_terms",
           "check_bounds", "METHODS", "LIMITS"]

METHODS = ("naive", "whole", "split")
MAX_DATA_SUBSETS = 5_000_000  # split enumerates the point sets in numpy; beyond this it is refused

LIMITS = {
    "inputs": (6, "input dimension: the split method's symmetry group has d!·2^d elements"),
    "outputs": (16, "output dimension"),
    "hidden layers": (4, "hidden layers"),
    "hidden width": (8, "units per hidden layer: (2^width − 1)² subset pairs are compared by rank"),
    "points": (8, "data points: rank tests use minors of up to min(points, 2·width) rows"),
    "max_weight": (10 ** 6, "R: weights and data in [-R, R]"),
    "encoding terms": (4_000_000, "determinant terms of the empty-match condition (encoding_terms), "
                                  "about 3 minutes to build on the 2-core reference machine"),
    "data sets": (MAX_DATA_SUBSETS, "point sets the split method enumerates"),
    "first-layer table": (1_000_000, "weight vectors (2R+1)^(d+biases) the split method tables per data set"),
    "jobs": (64, "worker processes"),
    "sweep configurations": (200, "configurations one --sweep walks (each under its own time limit)"),
}
"""Every bound the zero-match search refuses to exceed: ``name -> (limit, what it counts)``."""


def _limit(name: str) -> int:
    return LIMITS[name][0]


class _Deadline(Exception):
    """The time limit passed while building or enumerating (becomes ``unknown``)."""


def _check_deadline(deadline: float | None, what: str) -> None:
    if deadline is not None and time.time() > deadline:
        raise _Deadline(what)


def encoding_terms(width: int, points: int) -> int:
    r"""Determinant terms in the empty-match condition for one hidden layer of ``width`` units and ``points``
    data points: for each pair of nonempty unit subsets ``X``, ``Y`` and each rank ``r``, the minors of ``X``,
    ``Y`` and ``X ∪ Y`` (twice), :math:`inom{n}{r}inom{P}{r}` minors of ``r!`` terms each.

    >>> encoding_terms(2, 2), encoding_terms(5, 3)
    (244, 408960)
    """
    def minors(n, r):
        return math.comb(n, r) * math.comb(points, r) * math.factorial(r) if r <= min(n, points) else 0

    maxr = min(points, 2 * width)
    return sum(math.comb(width, a) * math.comb(width, b)
               * sum(minors(a, r) + minors(b, r) + 2 * minors(a + b, r) for r in range(1, maxr + 1))
               for a in range(1, width + 1) for b in range(1, width + 1))


def check_bounds(*, inputs: int, hidden: tuple, outputs: int, points: int, max_weight: int, hidden_layer: int,
                 biases: bool = False, method: str = "split", jobs: int = 1) -> None:
    """Refuse, before any work, sizes beyond :data:`LIMITS` (a :class:`ValueError` naming the limit) and sizes
    that make no sense (below 1, points that do not fit in the box)."""
    if min((inputs, outputs, points, max_weight) + tuple(hidden)) < 1 or not 1 <= hidden_layer <= len(hidden):
        raise ValueError("sizes, points and max_weight must be >= 1 and hidden_layer within the hidden layers")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1 (got {jobs})")
    for name, value, option in (("inputs", inputs, "--inputs"), ("outputs", outputs, "--outputs"),
                                ("hidden layers", len(hidden), "--hidden"), ("hidden width", max(hidden), "--hidden"),
                                ("points", points, "--points"), ("max_weight", max_weight, "--max-weight"),
                                ("jobs", jobs, "--jobs")):
        if value > _limit(name):
            raise ValueError(f"{name} {value} ({option}) is above the limit {_limit(name)} ({LIMITS[name][1]})")
    if points > (2 * max_weight + 1) ** inputs:
        raise ValueError(f"{points} distinct points do not fit in [-{max_weight}, {max_weight}]^{inputs}")
    terms = encoding_terms(hidden[hidden_layer - 1], points)
    if terms > _limit("encoding terms"):
        raise ValueError(f"the empty-match condition for width {hidden[hidden_layer - 1]} and {points} points has "
                         f"{terms} determinant terms, above the limit {_limit('encoding terms')} "
                         f"({LIMITS['encoding terms'][1]})")
    if method == "split":
        sets = math.comb((2 * max_weight + 1) ** inputs, points)
        if sets > MAX_DATA_SUBSETS:
            raise ValueError(f"{sets} sets of {points} points in [-{max_weight}, {max_weight}]^{inputs}: too many to "
                             f"enumerate (limit {MAX_DATA_SUBSETS}); use the method 'whole'")
        table = (2 * max_weight + 1) ** (inputs + (1 if biases else 0))
        if table > _limit("first-layer table"):
            raise ValueError(f"the first-layer table has {table} weight vectors, above the limit "
                             f"{_limit('first-layer table')} ({LIMITS['first-layer table'][1]}); use the method 'whole'")


def _det(M):
    n = len(M)
    if n == 1:
        return M[0][0]
    return z3.Sum([(-1) ** c * M[0][c] * _det([row[:c] + row[c + 1:] for row in M[1:]]) for c in range(n)])


def _rank_ge(vectors, r):
    """``rank(vectors) >= r`` as a disjunction of nonzero r×r minors (vectors: lists of terms)."""
    if r > len(vectors) or r > len(vectors[0]):
        return z3.BoolVal(False, vectors[0][0].ctx)
    return z3.Or([_det([[vectors[i][p] for p in cols] for i in rows]) != 0
                  for rows in combinations(range(len(vectors)), r)
                  for cols in combinations(range(len(vectors[0])), r)])


def _same_rank(A, B, maxr):
    return z3.And([_rank_ge(A, r) == _rank_ge(B, r) for r in range(1, maxr + 1)])


@dataclass(frozen=True)
class _Spec:
    """The bounds of one search (sizes = (inputs, *hidden, outputs))."""

    sizes: tuple
    R: int
    points: int
    output_activation: str
    biases: bool
    hidden_layer: int
    isomorphic: bool
    nonzero_output: bool
    no_zero_neuron: bool


def _bit_width(spec: _Spec, first_peak: int | None = None) -> int:
    """Signed width that holds every intermediate value exactly: |activations| grow as
    m_{l+1} = n_l·R·m_l (+R with biases) from m_0 = R (or m_1 = ``first_peak``, the largest entry of a
    first-layer table); an r×r minor of hidden values is at most r!·m^r; the outputs are at most the
    last m.  Two bits of headroom on top of the sign."""
    sizes, R = spec.sizes, spec.R
    m, hidden_peak = R, 0
    for l, n_in in enumerate(sizes[:-1]):
        m = first_peak if (l == 0 and first_peak is not None) else n_in * R * m + (R if spec.biases else 0)
        if l < len(sizes) - 2:
            hidden_peak = max(hidden_peak, m)
    r = min(spec.points, 2 * max(sizes[1:-1]))
    peak = max(R, m, math.factorial(r) * hidden_peak ** r)
    return peak.bit_length() + 2


def data_orbits(d: int, R: int, P: int, deadline: float | None = None) -> list[list[list[int]]]:
    r"""One representative of every orbit of the ``P``-point subsets of :math:`\{-R..R\}^d` under the
    signed permutations of the coordinates (the hyperoctahedral group, :math:`d!\,2^d` elements).

    Each subset is coded by its sorted point indices; the representative is the one whose code is
    least among its images, so every subset's orbit is represented exactly once.  ``deadline`` (a
    ``time.time()`` value) stops the enumeration when it passes.
    """
    n = (2 * R + 1) ** d
    if math.comb(n, P) > MAX_DATA_SUBSETS:  # checked before anything is built
        raise ValueError(f"{math.comb(n, P)} sets of {P} points in [-{R}, {R}]^{d}: too many to enumerate "
                         f"(limit {MAX_DATA_SUBSETS}); use the method 'whole'")
    grid = np.array(list(product(range(-R, R + 1), repeat=d)), dtype=np.int64)  # row index = lex code
    weights = (2 * R + 1) ** np.arange(d - 1, -1, -1)
    subsets = np.fromiter((i for c in combinations(range(n), P) for i in c), dtype=np.int64).reshape(-1, P)
    key_w = n ** np.arange(P - 1, -1, -1)
    own = subsets @ key_w
    least = own.copy()
    for perm in permutations(range(d)):
        for signs in product((1, -1), repeat=d):
            _check_deadline(deadline, "enumerating the data sets")
            image = ((grid[:, list(perm)] * np.array(signs)) + R) @ weights
            least = np.minimum(least, np.sort(image[subsets], axis=1) @ key_w)
    return [grid[S].tolist() for S in subsets[least == own]]


def first_layer_table(X, R: int, biases: bool, deadline: float | None = None) -> dict[tuple, tuple]:
    """Every activation vector ``(relu(w·x_p + b))_p`` a first-layer neuron can have on the data ``X``
    with ``w`` (and ``b``) in ``[-R, R]``, mapped to the first ``(w, b)`` that gives it."""
    table = {}
    for k, wb in enumerate(product(range(-R, R + 1), repeat=len(X[0]) + (1 if biases else 0))):
        if k % 4096 == 0:
            _check_deadline(deadline, "tabling the first layer")
        w, b = wb[:len(X[0])], (wb[-1] if biases else 0)
        table.setdefault(tuple(max(0, sum(a * x for a, x in zip(w, p)) + b) for p in X), (list(w), b))
    return table


SMALL_WEIGHTS = 4
"""Up to this ``R``, the reduced encodings multiply by a weight through a choice over its ``2R`` nonzero values
(:func:`_times`) instead of a bit-vector multiplier."""


def _times(w, x, R: int | None):
    """``w·x`` for a weight variable ``w`` with ``-R <= w <= R`` (the box constraint): with ``R`` at most
    :data:`SMALL_WEIGHTS`, ``If(w = c, c·x, …, 0)`` over the nonzero ``c`` in ``[-R, R]``, equal to ``w·x`` on
    the box and made of constant multiples only (shifts and adds once bit-blasted, where ``w·x`` is a full
    multiplier); otherwise (and for ``R=None``: the naive encoding) the product itself."""
    if R is None or R > SMALL_WEIGHTS or not z3.is_expr(w):
        return w * x
    term = 0 * x
    for c in range(-R, R + 1):
        if c:
            term = z3.If(w == c, c * x, term)
    return term


def _forward(Ws, bs, h, output_activation, start=0, R=None):
    outs = []
    for l in range(start, len(Ws)):
        W = Ws[l]
        z = [z3.Sum([_times(W[i][j], h[j], R) for j in range(len(h))]) + (bs[l][i] if bs else 0)
             for i in range(len(W))]
        last = l == len(Ws) - 1
        h = z if (last and output_activation == "linear") else [relu(t) for t in z]
        outs.append(h)
    return outs


def _encode(s, spec: _Spec, var, data=None, table=None, symmetry_breaking=True, deadline=None, small_weights=None,
            implied=None):
    """Add the zero-match conditions to solver ``s``.

    ``data``: constant points (else the points are variables, distinct by strict lex order);
    ``table``: first-layer activation vectors drawn from it (needs ``data``); ``small_weights``: products by a
    weight as :func:`_times`, ``implied``: the constraints of :func:`_implied` added (each by default with the
    symmetry breaking, i.e. not in the naive encoding).  Returns the
    point terms; per network, ``(Ws, bs, H)`` (``H``: the first layer's activation vectors when tabled); and the
    compared layer's and the outputs' terms (``{"hidden": (a, b), "outputs": (a, b)}``, for :func:`_implied`).
    """
    sizes, R, P = spec.sizes, spec.R, spec.points
    small = R if (symmetry_breaking if small_weights is None else small_weights) else None  # naive: multipliers
    box = lambda vs: [z3.And(v >= -R, v <= R) for v in vs]  # noqa: E731
    if data is None:
        xs = [[var(f"x{p}_{i}") for i in range(sizes[0])] for p in range(P)]
        s.add(box([v for x in xs for v in x]))
        s.add([lex_less(xs[p], xs[p + 1]) for p in range(P - 1)])
    else:
        xs = data
    nets, hidden = {}, {}
    for name in ("a", "b"):
        Ws = [[[var(f"{name}W{l}_{i}_{j}") for j in range(sizes[l])] for i in range(sizes[l + 1])]
              for l in range(len(sizes) - 1)]
        bs = [[var(f"{name}b{l}_{i}") for i in range(sizes[l + 1])] for l in range(len(sizes) - 1)] if spec.biases else None
        first = 1 if table is not None else 0
        s.add(box([v for W in Ws[first:] for row in W for v in row] + [v for b in (bs or [])[first:] for v in b]))
        if table is not None:
            H = [[var(f"{name}h{i}_{p}") for p in range(P)] for i in range(sizes[1])]
            s.add([z3.Or([z3.And([t == c for t, c in zip(h, vec)]) for vec in table]) for h in H])
            outs = [[[h[p] for h in H]] + _forward(Ws, bs, [h[p] for h in H], spec.output_activation, 1, small)
                    for p in range(P)]
        else:
            H = None
            outs = [_forward(Ws, bs, x, spec.output_activation, 0, small) for x in xs]
        # one signature per unit, in the global variable order (module docstring)
        unit = lambda l, u: ((H[u] if (l == 1 and H is not None) else Ws[l - 1][u] + ([bs[l - 1][u]] if bs else []))  # noqa: E731
                             + [Ws[l][o][u] for o in range(sizes[l + 1])])
        if symmetry_breaking:
            for l in range(1, len(sizes) - 1):
                s.add([lex_le(unit(l, u), unit(l, u + 1)) for u in range(sizes[l] - 1)])
        flat = [v for u in range(sizes[1]) for v in (H[u] if H is not None else Ws[0][u] + ([bs[0][u]] if bs else []))]
        flat += [v for l in range(1, len(sizes) - 1) for u in range(sizes[l + 1])
                 for v in Ws[l][u] + ([bs[l][u]] if bs else [])]
        nets[name] = (Ws, bs, H, flat)
        hidden[name] = [[outs[p][spec.hidden_layer - 1][i] for p in range(P)] for i in range(sizes[spec.hidden_layer])]
        nets[name] += ([o[-1] for o in outs],)
    if symmetry_breaking:
        s.add(lex_le(nets["a"][3], nets["b"][3]))
    out_a, out_b = nets["a"][4], nets["b"][4]
    s.add([x == y for p in range(P) for x, y in zip(out_a[p], out_b[p])])
    if spec.nonzero_output:
        s.add(z3.Or([v != 0 for o in out_a for v in o]))
    ua, ub = hidden["a"], hidden["b"]
    nz = lambda v: z3.Or([t != 0 for t in v])  # noqa: E731
    if spec.no_zero_neuron:
        s.add([nz(v) for v in ua + ub])
    maxr = min(P, 2 * len(ua))
    subsets = lambda n: [c for k in range(1, n + 1) for c in combinations(range(n), k)]  # noqa: E731
    for X in subsets(len(ua)):
        for Y in subsets(len(ub)):
            _check_deadline(deadline, "building the encoding")
            VX, VY = [ua[i] for i in X], [ub[j] for j in Y]
            span_eq = z3.And(_same_rank(VX, VX + VY, maxr), _same_rank(VY, VX + VY, maxr))
            s.add(z3.Or(z3.Not(z3.And([nz(v) for v in VX + VY])), z3.Not(span_eq)))
    if spec.isomorphic:
        s.add(_same_rank(ua, ub, maxr), _rank_ge(ua, 1))
    terms = {"hidden": (ua, ub), "outputs": (out_a, out_b)}
    if symmetry_breaking if implied is None else implied:
        s.add(_implied(spec, terms))
    return xs, {n: nets[n][:3] for n in nets}, terms


def _implied(spec: _Spec, terms: dict) -> list:
    """Constraints that every solution of :func:`_encode`'s conditions meets (module docstring, *Implied
    constraints*): with a linear output layer read from the compared hidden layer, each output row's activation
    vector lies in the span of that layer's activation vectors (and of the constant vector with biases).  Empty
    where the output layer is not such a read-out.  ``terms``: :func:`_encode`'s third value."""
    sizes, P = spec.sizes, spec.points
    if spec.output_activation != "linear" or spec.hidden_layer != len(sizes) - 2:
        return []
    implied = []
    for units, outs in zip(terms["hidden"], terms["outputs"]):
        ones = [[1 + 0 * units[0][p] for p in range(P)]] if spec.biases else []
        for k in range(sizes[-1]):
            out = [outs[p][k] for p in range(P)]
            implied.append(_same_rank(units + ones + [out], units + ones, min(P, len(units) + len(ones) + 1)))
    return implied


def _solver(spec: _Spec, bv: bool, seed: int, seconds: float, first_peak=None, rlimit: int = RLIMIT):
    """A solver in a fresh Z3 context (:func:`proofs._z3.solver`) and constructors for variables and constants
    of the chosen sort."""
    s = solver(seed, seconds, "QF_BV" if bv else None, rlimit)
    ctx = s.ctx
    if not bv:
        return s, (lambda name: z3.Int(name, ctx)), (lambda v: z3.IntVal(v, ctx))
    width = _bit_width(spec, first_peak)
    return s, (lambda name: z3.BitVec(name, width, ctx)), (lambda v: z3.BitVecVal(v, width, ctx))


def _read_witness(m, spec: _Spec, xs, nets, table, outputs: int) -> dict:
    """The model as a witness at the full requested size (zero output rows added back)."""
    def val(v):
        if isinstance(v, int):
            return v
        e = m.eval(v, model_completion=True)
        return e.as_signed_long() if z3.is_bv_value(e) else e.as_long()

    def net(n):
        Ws, bs, H = nets[n]
        W = [[[val(v) for v in row] for row in M] for M in Ws]
        b = [[val(v) for v in bl] for bl in bs] if spec.biases else None
        if H is not None:
            first = [table[tuple(val(v) for v in h)] for h in H]
            W[0] = [w for w, _ in first]
            if b is not None:
                b[0] = [c for _, c in first]
        W[-1] += [[0] * len(W[-1][0]) for _ in range(outputs - len(W[-1]))]
        if b is not None:
            b[-1] += [0] * (outputs - len(b[-1]))
        return {"weights": W, "biases": b}

    return {"inputs": [[val(v) for v in x] for x in xs], "output_activation": spec.output_activation,
            "hidden_layer": spec.hidden_layer, "net_a": net("a"), "net_b": net("b")}


def recheck_zero_match(w: dict, *, isomorphic=False, nonzero_output=False, no_zero_neuron=False) -> bool:
    """Independent exact re-check of a witness (SymPy rationals, :mod:`proofs.subspace`)."""
    oa, layer = w["output_activation"], w["hidden_layer"]
    depth = len(w["net_a"]["weights"])
    if not 1 <= layer < depth or len(w["net_b"]["weights"]) != depth:  # a hidden layer of both (no index from the end)
        return False
    A = activations(w["net_a"]["weights"], w["net_a"]["biases"], w["inputs"], oa)
    B = activations(w["net_b"]["weights"], w["net_b"]["biases"], w["inputs"], oa)
    ok = A[-1] == B[-1]
    ha, hb = A[layer - 1], B[layer - 1]
    ok &= maximum_match(ha, hb) == ([], [])
    ok &= len({tuple(x) for x in w["inputs"]}) == len(w["inputs"])
    if nonzero_output:
        ok &= any(v != 0 for r in A[-1] for v in r)
    if no_zero_neuron:
        ok &= all(any(v != 0 for v in r) for r in ha + hb)
    if isomorphic:
        import sympy as sp

        ra = sp.Matrix([list(r) for r in ha]).rank()
        rb = sp.Matrix([list(r) for r in hb]).rank()
        ok &= ra == rb and ra > 0
    return bool(ok)


def search_zero_match(*, inputs: int = 2, hidden: tuple | list | int = (2,), outputs: int = 2, points: int = 2,
                      max_weight: int = 1, output_activation: str = "linear", biases: bool = False,
                      hidden_layer: int = 1, isomorphic: bool = False, nonzero_output: bool = True,
                      no_zero_neuron: bool = True, method: str = "split", jobs: int = 1,
                      seed: int = 0, timeout: float = 60.0, rlimit: int = RLIMIT,
                      progress: Callable[[int, int], None] | None = None, runner=None, cover: bool = True) -> SearchResult:
    """Search for a zero-match pair of networks within the bounds (see the module docstring for the
    conditions, the defaults, the limits, the three methods and why their reductions keep ``none`` sound).

    ``rlimit`` limits each solve (Z3 resource units: a deterministic count, so the answer does not depend on
    the load; the record's ``resources`` sums what the solves used).  ``timeout`` is the outer guard of the whole
    search: enumerating the data sets, building each encoding and each solve stop when it has passed
    (``unknown``, the note saying it was the wall-clock guard).  ``jobs > 1`` solves the split method's data sets in that many
    processes; the outcomes are read in data-set order, so the answer and the witness do not depend on
    ``jobs``.  ``progress(settled, total)`` is called as the split method settles data sets in order.

    ``runner`` (split method only; :class:`nnclaims.backends.RayRunner`) runs the enumeration of the data sets and
    each data set as tasks of a Ray cluster instead (``jobs`` is then unused): the outcomes are read in data-set
    order all the same, so the answer and the witness are those of the local run; ``progress`` counts the data
    sets settled (UNSAT) as they arrive.  ``cover`` (split method): when the first data set has no solution, one
    solve on the union of all the data sets' tables (module docstring, *Cover*), both in this process; its UNSAT
    settles them all, else they are solved one by one and the answer and the witness are those without it (a
    ``none`` it settled says so in its note).  The runner stops waiting :data:`~nnclaims.proofs.bounded.GRACE`
    seconds after ``timeout`` and cancels what is still running: the limit bounds the whole search here too.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if output_activation not in ("linear", "relu"):
        raise ValueError(f"output_activation must be linear or relu (got {output_activation!r})")
    check_bounds(inputs=inputs, hidden=hidden, outputs=outputs, points=points, max_weight=max_weight,
                 hidden_layer=hidden_layer, biases=biases, method=method, jobs=jobs)
    check_time_limit(timeout)
    check_rlimit(rlimit)
    if runner is not None and method != "split":
        raise ValueError(f"a cluster runs the split method's data sets; the method {method!r} is one solver")
    deadline = time.time() + timeout
    spec = _Spec((inputs,) + hidden + (outputs,), max_weight, points, output_activation, biases, hidden_layer,
                 isomorphic, nonzero_output, no_zero_neuron)
    bounds = {"inputs": inputs, "hidden": list(hidden), "outputs": outputs, "points": points, "max_weight": max_weight,
              "output_activation": output_activation, "biases": biases, "hidden_layer": hidden_layer,
              "isomorphic": isomorphic, "nonzero_output": nonzero_output, "no_zero_neuron": no_zero_neuron,
              "method": method, "rlimit": rlimit}
    flags = dict(isomorphic=isomorphic, nonzero_output=nonzero_output, no_zero_neuron=no_zero_neuron)
    t0 = time.perf_counter()
    elapsed = lambda: round(time.perf_counter() - t0, 4)  # noqa: E731
    solved = spec if method == "naive" else replace(spec, sizes=spec.sizes[:-1] + (1,))

    try:
        if method in ("naive", "whole"):
            s, var, _ = _solver(solved, method == "whole", seed, timeout, rlimit=rlimit)
            if method == "whole":
                bounds["bit_width"] = _bit_width(solved)
            xs, nets, _ = _encode(s, solved, var, symmetry_breaking=method == "whole", deadline=deadline)
            res = _check_until(s, deadline)
            used = resources(s)
            if res == z3.sat:
                w = _read_witness(s.model(), solved, xs, nets, None, outputs)
                return SearchResult("zero-match", "found", bounds, w, recheck_zero_match(w, **flags), elapsed(),
                                    resources=used)
            if res == z3.unsat:
                return SearchResult("zero-match", "none", bounds, seconds=elapsed(), resources=used,
                                    note="UNSAT: no pair of networks and data within these bounds satisfies the conditions")
            return SearchResult("zero-match", "unknown", bounds, seconds=elapsed(), resources=used,
                                note=_GUARD if res is None else _unknown_reason(s, rlimit, timeout))
        if runner is None:
            orbits = data_orbits(inputs, max_weight, points, deadline)
        else:
            orbits = runner.call(data_orbits, inputs, max_weight, points, deadline, until=deadline + GRACE)
    except (_Deadline, TimeoutError) as e:
        what = e if isinstance(e, _Deadline) else "enumerating the data sets"
        return SearchResult("zero-match", "unknown", bounds, seconds=elapsed(), resources=0,
                            note=f"{GUARD_NOTE}: time limit reached while {what}; nothing settled")

    bounds["data_sets"] = len(orbits)
    if progress is not None:
        progress(0, len(orbits))
    tasks = [(solved, X, seed, deadline, outputs, rlimit) for X in orbits]
    head, cover_used = [], 0
    if cover and len(tasks) > 1:
        # the first data set in this process first: when it has a solution (or is unknown), that is the answer as
        # without the cover, and the union is never tried
        head = [_solve_data_set(tasks[0])]
        if head[0][0] != "unsat":
            return _first_sat(head, len(orbits), bounds, flags, elapsed, progress)
        covered, cover_used = _solve_union(solved, orbits, seed, deadline, rlimit)
        if covered == "unsat":
            if progress is not None:
                progress(len(orbits), len(orbits))
            return SearchResult("zero-match", "none", bounds, seconds=elapsed(), resources=head[0][2] + cover_used,
                                note=f"UNSAT on the union of the first-layer tables of all {len(orbits)} data sets (one "
                                     "per orbit of the signed coordinate permutations), which holds each data set's "
                                     "table: no pair of networks and data within these bounds satisfies the conditions")
        tasks = tasks[1:]
    if runner is not None:
        settled = len(head)
        if head and progress is not None:
            progress(settled, len(orbits))

        def arrived(_, outcome):
            nonlocal settled
            settled += outcome[0] == "unsat"
            if progress is not None and outcome[0] == "unsat":
                progress(settled, len(orbits))

        outcomes = runner.ordered(_solve_data_set, [(t,) for t in tasks], until=deadline + GRACE, on_result=arrived)
        with closing(_until_limit(outcomes)) as in_order:  # closing it cancels the data sets still running
            return _first_sat(chain(head, in_order), len(orbits), bounds, flags, elapsed, used=cover_used)
    if jobs > 1:
        import multiprocessing

        # fork where there is one: no re-import of __main__ (spawn fails when it is stdin)
        method_ = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with multiprocessing.get_context(method_).Pool(min(jobs, len(tasks))) as pool:
            return _first_sat(chain(head, pool.imap(_solve_data_set, tasks)), len(orbits), bounds, flags, elapsed,
                              progress, cover_used)
    return _first_sat(chain(head, map(_solve_data_set, tasks)), len(orbits), bounds, flags, elapsed, progress,
                      cover_used)


COVER_TABLE = 2_000
"""The most first-layer vectors the union of the data sets' tables may hold for :func:`_solve_union` to try it."""


def _solve_union(spec: _Spec, orbits, seed: int, deadline: float, rlimit: int) -> tuple[str, int]:
    """One solve of the split encoding with the first layer drawn from the union of every data set's table:
    ``("unsat", used)`` settles every data set (module docstring, *Cover*); ``sat`` or ``unknown`` settles none
    (the data sets are then solved one by one, as without it); ``skipped`` when the union holds more than
    :data:`COVER_TABLE` vectors or the time limit passed while building it."""
    union: set[tuple] = set()  # the vectors only: no witness is read from this solve
    try:
        for X in orbits:
            union.update(first_layer_table(X, spec.R, spec.biases, deadline))
            if len(union) > COVER_TABLE:
                return "skipped", 0
        table = sorted(union)
        s, var, _ = _solver(spec, True, seed, max(deadline - time.time(), 0.001), max(max(v) for v in table), rlimit)
        _encode(s, spec, var, [], table, deadline=deadline)  # tabled: the points do not enter
    except _Deadline:
        return "skipped", 0
    res = _check_until(s, deadline)
    return ("unsat" if res == z3.unsat else "sat" if res == z3.sat else "unknown"), resources(s)


_GUARD = f"{GUARD_NOTE}: the time limit passed (depends on the load)"


def _check_until(s, deadline: float):
    """``s.check()`` with the solver's time limit (the wall-clock guard) set to what is left before ``deadline``
    (building the encoding used part of it); its resource limit is untouched."""
    left = deadline - time.time()
    if left <= 0:
        return None
    s.set("timeout", max(1, int(left * 1000)))
    return s.check()


def _unknown_reason(s, rlimit: int, timeout: float | None = None) -> str:
    return unknown_note(s.reason_unknown(), rlimit, timeout)


def _solve_data_set(task) -> tuple[str, dict | str | None, int]:
    """One data set of the split method: ``("sat", witness, used)``, ``("unsat", None, used)`` or
    ``("unknown", why, used)``, ``used`` the solver's resource units.  Top level and built from plain data, so that
    worker processes can run it."""
    spec, X, seed, deadline, outputs, rlimit = task
    left = deadline - time.time()
    if left <= 0:
        return "unknown", _GUARD, 0
    try:
        table = first_layer_table(X, spec.R, spec.biases, deadline)
        s, var, const = _solver(spec, True, seed, left, max(max(v) for v in table), rlimit)
        _, nets, _ = _encode(s, spec, var, [[const(v) for v in x] for x in X], table, deadline=deadline)
    except _Deadline:
        return "unknown", _GUARD, 0
    res = _check_until(s, deadline)
    if res is None:
        return "unknown", _GUARD, 0
    if res == z3.sat:
        return "sat", _read_witness(s.model(), spec, X, nets, table, outputs), resources(s)
    if res == z3.unsat:
        return "unsat", None, resources(s)
    return "unknown", _unknown_reason(s, rlimit), resources(s)


def _until_limit(outcomes):
    """The outcomes in order until the runner's time limit, then one ``unknown`` (the search's own ending)."""
    try:
        yield from outcomes
    except TimeoutError:
        yield "unknown", _GUARD, 0
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()  # cancels what is still running


def _first_sat(outcomes, n, bounds, flags, elapsed, progress=None, used: int = 0) -> SearchResult:
    """Read the per-data-set outcomes in data-set order: the first ``sat`` is the answer (the same one
    whatever the number of processes), ``unknown`` stops, all ``unsat`` is ``none``.  ``used``: resources spent
    before (the union's solve), added to the record's count."""
    total = used
    for k, (res, w, used) in enumerate(outcomes):
        total += used
        if res == "sat":
            return SearchResult("zero-match", "found", bounds, w, recheck_zero_match(w, **flags), elapsed(),
                                resources=total)
        if res == "unknown":
            return SearchResult("zero-match", "unknown", bounds, seconds=elapsed(), resources=total,
                                note=f"{w}: {k} of {n} data sets settled (UNSAT), the rest not")
        if progress is not None:
            progress(k + 1, n)
    return SearchResult("zero-match", "none", bounds, seconds=elapsed(), resources=total,
                        note=f"UNSAT on each of the {n} data sets (one per orbit of the signed coordinate "
                             "permutations): no pair of networks and data within these bounds satisfies the conditions")


def zero_match_exists(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """subspace.zero-match-exists: the 2-2-2, 2-point, R = 1 search with the non-trivial defaults (nonzero
    outputs, no all-zero hidden neuron): the same search as ``nnclaims search zero-match``."""
    return search_zero_match(nonzero_output=True, no_zero_neuron=True, seed=seed, timeout=timeout)


def isomorphic_unmatched(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """subspace.isomorphic-unmatched: hidden spans of equal (positive) dimension, nonzero outputs, no all-zero
    hidden neuron (``nnclaims search zero-match --isomorphic --points 3``).

    Three points: with two points and a linear output layer the search is UNSAT (the identical
    nonzero outputs lie in both hidden spans, and two lines sharing a nonzero vector coincide).
    """
    return search_zero_match(points=3, nonzero_output=True, no_zero_neuron=True, isomorphic=True, seed=seed,
                             timeout=timeout)


def sweep_configurations(*, max_points: int = 3, max_weight: int = 2, hidden: tuple | list | int = (2,),
                         inputs: int = 2) -> list[dict]:
    """The configurations a sweep walks, in the order (R, hidden width, points): every hidden layer of the
    width ``1..max(hidden)``, with as many hidden layers as ``hidden`` has, and only point counts that fit in
    the box.  More than the limit ``sweep configurations`` is a :class:`ValueError`.

    >>> [(c["max_weight"], c["hidden"], c["points"]) for c in sweep_configurations(max_points=2, max_weight=1,
    ...                                                                           hidden=2, inputs=1)]
    [(1, (1,), 1), (1, (1,), 2), (1, (2,), 1), (1, (2,), 2)]
    """
    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if min((max_points, max_weight, inputs) + hidden) < 1:
        raise ValueError("sizes, points and max_weight must be >= 1")
    count = max_weight * max(hidden) * max_points
    if count > _limit("sweep configurations"):
        raise ValueError(f"the sweep would walk {count} configurations, above the limit "
                         f"{_limit('sweep configurations')} ({LIMITS['sweep configurations'][1]})")
    return [dict(points=points, max_weight=R, hidden=(width,) * len(hidden))
            for R in range(1, max_weight + 1) for width in range(1, max(hidden) + 1)
            for points in range(1, max_points + 1)
            if points <= (2 * R + 1) ** inputs]


def sweep_zero_match(*, max_points: int = 3, max_weight: int = 2, hidden: tuple | list | int = (2,),
                     timeout: float = 60.0, seed: int = 0, **kw) -> list[SearchResult]:
    """Every configuration of :func:`sweep_configurations`, each under its own ``timeout``, in that order, so
    the first ``found`` is the smallest configuration found and every ``none`` is a proved bound."""
    return [search_zero_match(timeout=timeout, seed=seed, **config, **kw)
            for config in sweep_configurations(max_points=max_points, max_weight=max_weight, hidden=hidden,
                                               inputs=kw.get("inputs", 2))]
