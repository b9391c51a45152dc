r"""Z3 search for the subspace-match seed: two same-architecture ReLU networks with integer weights in
``[-R, R]`` and distinct integer data points in ``[-R, R]^{d}`` whose output activation vectors agree on
the data while the maximum match at a chosen hidden layer is empty.

Encoding (exact, integer arithmetic).  ReLU is ``If(z > 0, z, 0)``.  The maximum match is empty iff no
pair of nonempty subsets ``X``, ``Y`` of *nonzero* neurons has ``span z_X = span z_Y``, and span
equality is ``rank z_X = rank z_Y = rank z_{X∪Y}``, with ``rank ≥ r`` iff some r×r minor is nonzero.
Symmetry breaking: data points in strictly increasing lexicographic order (any witness can be
reordered so).  Every ``found`` is re-checked by :mod:`proofs.subspace` (SymPy ranks, independent of
this encoding); ``none`` means UNSAT for exactly the stated bounds; a timeout gives ``unknown``.
"""

from __future__ import annotations

import time
from itertools import combinations

import z3

from .record import SearchResult
from .subspace import activations, maximum_match

__all__ = ["search_zero_match", "recheck_zero_match", "zero_match_exists", "isomorphic_unmatched", "sweep_zero_match"]


def _relu(t):
    return z3.If(t > 0, t, 0)


def _det(M):
    n = len(M)
    if n == 1:
        return M[0][0]
    return z3.Sum([(-1) ** c * M[0][c] * _det([row[:c] + row[c + 1:] for row in M[1:]]) for c in range(n)])


def _rank_ge(vectors, r):
    """``rank(vectors) >= r`` as a disjunction of nonzero r×r minors (vectors: lists of Int terms)."""
    if r > len(vectors) or r > len(vectors[0]):
        return z3.BoolVal(False)
    return z3.Or([_det([[vectors[i][p] for p in cols] for i in rows]) != 0
                  for rows in combinations(range(len(vectors)), r)
                  for cols in combinations(range(len(vectors[0])), r)])


def _same_rank(A, B, maxr):
    return z3.And([_rank_ge(A, r) == _rank_ge(B, r) for r in range(1, maxr + 1)])


def _lex_less(a, b):
    """Strict lexicographic order of two integer vectors."""
    conds = []
    for i in range(len(a)):
        conds.append(z3.And([a[j] == b[j] for j in range(i)] + [a[i] < b[i]]))
    return z3.Or(conds)


def _lex_le(a, b):
    return z3.Or(_lex_less(a, b), z3.And([x == y for x, y in zip(a, b)]))


def _bit_width(sizes, R, points, biases) -> int:
    """Signed width that holds every intermediate value exactly: |activations| grow as
    m_{l+1} = n_l·R·m_l (+R with biases); an r×r minor of hidden values is at most r!·m^r; the
    outputs are at most the last m.  Two bits of headroom on top of the sign."""
    import math

    m, hidden_peak = R, 0
    for l, n_in in enumerate(sizes[:-1]):
        m = n_in * R * m + (R if biases else 0)
        if l < len(sizes) - 2:
            hidden_peak = max(hidden_peak, m)
    r = min(points, 2 * max(sizes[1:-1]))
    peak = max(R, m, math.factorial(r) * hidden_peak ** r)
    return peak.bit_length() + 2


def _network(prefix, sizes, R, biases, var=z3.Int):
    Ws = [[[var(f"{prefix}W{l}_{i}_{j}") for j in range(sizes[l])] for i in range(sizes[l + 1])]
          for l in range(len(sizes) - 1)]
    bs = [[var(f"{prefix}b{l}_{i}") for i in range(sizes[l + 1])] for l in range(len(sizes) - 1)] if biases else None
    box = [v for W in Ws for row in W for v in row] + ([v for b in bs for v in b] if bs else [])
    return Ws, bs, [z3.And(v >= -R, v <= R) for v in box]


def _forward(Ws, bs, x, output_activation):
    h, outs = x, []
    for l, W in enumerate(Ws):
        z = [z3.Sum([W[i][j] * h[j] for j in range(len(h))]) + (bs[l][i] if bs else 0) for i in range(len(W))]
        last = l == len(Ws) - 1
        h = z if (last and output_activation == "linear") else [_relu(t) for t in z]
        outs.append(h)
    return outs


def recheck_zero_match(w: dict, *, isomorphic=False, nonzero_output=False, no_zero_neuron=False) -> bool:
    """Independent exact re-check of a witness (SymPy rationals, :mod:`proofs.subspace`)."""
    oa, layer = w["output_activation"], w["hidden_layer"]
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
                      hidden_layer: int = 1, isomorphic: bool = False, nonzero_output: bool = False,
                      no_zero_neuron: bool = False, encoding: str = "bv", symmetry_breaking: bool = True,
                      seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """Search for a zero-match pair of networks within the bounds (see the module docstring).

    ``encoding="int"`` with ``symmetry_breaking=False`` is the naive encoding (unbounded integers, ReLU as
    If, minors for ranks); the default uses bit-vectors of a width that provably holds every value, and
    orders the hidden units of each network and the two networks lexicographically (each a symmetry of
    every condition searched for, so a ``none`` stays sound).
    """
    if encoding not in ("int", "bv"):
        raise ValueError(f"encoding must be int or bv (got {encoding!r})")
    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if min((inputs, outputs, points, max_weight) + hidden) < 1 or not 1 <= hidden_layer <= len(hidden):
        raise ValueError("sizes, points and max_weight must be >= 1 and hidden_layer within the hidden layers")
    if output_activation not in ("linear", "relu"):
        raise ValueError(f"output_activation must be linear or relu (got {output_activation!r})")
    R = max_weight
    sizes = (inputs,) + hidden + (outputs,)
    bounds = {"inputs": inputs, "hidden": list(hidden), "outputs": outputs, "points": points, "max_weight": R,
              "encoding": encoding, "symmetry_breaking": symmetry_breaking,
              "output_activation": output_activation, "biases": biases, "hidden_layer": hidden_layer,
              "isomorphic": isomorphic, "nonzero_output": nonzero_output, "no_zero_neuron": no_zero_neuron}
    s = z3.SolverFor("QF_BV") if encoding == "bv" else z3.Solver()
    s.set("timeout", max(1, int(timeout * 1000)))
    s.set("random_seed", seed)
    if encoding == "bv":
        width = _bit_width(sizes, R, points, biases)
        var = lambda name: z3.BitVec(name, width)  # noqa: E731
        bounds["bit_width"] = width
    else:
        var = z3.Int
    xs = [[var(f"x{p}_{i}") for i in range(inputs)] for p in range(points)]
    for x in xs:
        s.add([z3.And(v >= -R, v <= R) for v in x])
    for p in range(points - 1):
        s.add(_lex_less(xs[p], xs[p + 1]))
    nets = {}
    for name in ("a", "b"):
        Ws, bs, box = _network(name, sizes, R, biases, var)
        s.add(box)
        nets[name] = (Ws, bs, [_forward(Ws, bs, x, output_activation) for x in xs])
        if symmetry_breaking:  # hidden units of each layer in lexicographic order of their weights
            for l in range(1, len(sizes) - 1):
                sig = [Ws[l - 1][u] + ([bs[l - 1][u]] if bs else []) + [Ws[l][o][u] for o in range(sizes[l + 1])]
                       for u in range(sizes[l])]
                s.add([_lex_le(sig[u], sig[u + 1]) for u in range(sizes[l] - 1)])
    if symmetry_breaking:  # the conditions are symmetric in the two networks
        flat = lambda n: [v for W in nets[n][0] for row in W for v in row] + (  # noqa: E731
            [v for b in nets[n][1] for v in b] if biases else [])
        s.add(_lex_le(flat("a"), flat("b")))
    outs_a = [o[-1] for o in nets["a"][2]]
    outs_b = [o[-1] for o in nets["b"][2]]
    s.add([oa_ == ob_ for p in range(points) for oa_, ob_ in zip(outs_a[p], outs_b[p])])
    if nonzero_output:
        s.add(z3.Or([v != 0 for o in outs_a for v in o]))
    # activation vectors at the chosen hidden layer: neuron i → (value at point 0, …)
    ua = [[nets["a"][2][p][hidden_layer - 1][i] for p in range(points)] for i in range(hidden[hidden_layer - 1])]
    ub = [[nets["b"][2][p][hidden_layer - 1][i] for p in range(points)] for i in range(hidden[hidden_layer - 1])]
    nz = lambda v: z3.Or([t != 0 for t in v])
    if no_zero_neuron:
        s.add([nz(v) for v in ua + ub])
    maxr = min(points, 2 * len(ua))
    subsets = lambda n: [c for k in range(1, n + 1) for c in combinations(range(n), k)]
    for X in subsets(len(ua)):
        for Y in subsets(len(ub)):
            VX, VY = [ua[i] for i in X], [ub[j] for j in Y]
            span_eq = z3.And(_same_rank(VX, VX + VY, maxr), _same_rank(VY, VX + VY, maxr))
            s.add(z3.Or(z3.Not(z3.And([nz(v) for v in VX + VY])), z3.Not(span_eq)))
    if isomorphic:
        s.add(_same_rank(ua, ub, maxr), _rank_ge(ua, 1))
    t0 = time.perf_counter()
    res = s.check()
    secs = round(time.perf_counter() - t0, 4)
    if res == z3.sat:
        m = s.model()
        def val(v):
            e = m.eval(v, model_completion=True)
            return e.as_signed_long() if z3.is_bv_value(e) else e.as_long()

        net = lambda n: {"weights": [[[val(v) for v in row] for row in W] for W in nets[n][0]],
                         "biases": [[val(v) for v in b] for b in nets[n][1]] if biases else None}
        w = {"inputs": [[val(v) for v in x] for x in xs], "output_activation": output_activation,
             "hidden_layer": hidden_layer, "net_a": net("a"), "net_b": net("b")}
        ok = recheck_zero_match(w, isomorphic=isomorphic, nonzero_output=nonzero_output, no_zero_neuron=no_zero_neuron)
        return SearchResult("zero-match", "found", bounds, w, ok, secs)
    if res == z3.unsat:
        return SearchResult("zero-match", "none", bounds, seconds=secs,
                            note="UNSAT: no pair of networks and data within these bounds satisfies the conditions")
    return SearchResult("zero-match", "unknown", bounds, seconds=secs, note=s.reason_unknown())


def zero_match_exists(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """subspace.zero-match-exists: the 2-2-2, 2-point, R = 1 search with nonzero outputs."""
    return search_zero_match(nonzero_output=True, seed=seed, timeout=timeout)


def isomorphic_unmatched(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """subspace.isomorphic-unmatched: hidden spans of equal (positive) dimension, nonzero outputs.

    Three points: with two points and a linear output layer the search is UNSAT (the identical
    nonzero outputs lie in both hidden spans, and two lines sharing a nonzero vector coincide).
    """
    return search_zero_match(points=3, nonzero_output=True, isomorphic=True, seed=seed, timeout=timeout)


def sweep_zero_match(*, max_points: int = 3, max_weight: int = 2, timeout: float = 60.0, seed: int = 0, **kw):
    """Walk sizes (points, then R) upward; return every result, smallest ``found`` first reached."""
    results = []
    for R in range(1, max_weight + 1):
        for points in range(1, max_points + 1):
            results.append(search_zero_match(points=points, max_weight=R, timeout=timeout, seed=seed, **kw))
    return results
