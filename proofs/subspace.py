r"""Subspace match (Wang et al. 2018; seed 000, Johnson 2019) in exact rational arithmetic.

Definitions.  For a layer with neurons ``F`` evaluated on inputs ``a_1..a_d`` the *activation
vector* of neuron ``v`` is :math:`z_v = (z_v(a_1), …, z_v(a_d))`.  ``(X, Y)`` with ``X ⊆ F``,
``Y ⊆ G`` is an *exact match* when :math:`\operatorname{span} z_X = \operatorname{span} z_Y`; an
*ε-approximate match* when every :math:`z_x` is within :math:`ε\|z_x\|` of :math:`\operatorname{span} z_Y`
and vice versa.  The union of two matches is a match, so there is a unique *maximum match*
``(X*, Y*)``; it is found by pruning neurons outside the other side's span until nothing changes
(all-zero neurons are dropped first but stay in the denominator of the similarity
:math:`(|X^*| + |Y^*|) / (|F| + |G|)`).  A *v-minimal match* is a smallest match containing ``v``,
found greedily: drop one neuron at a time while ``v`` survives in the remainder's maximum match.

Activation matrices are given with one row per neuron (neurons × inputs).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Callable, Sequence

import sympy as sp

from . import _mlp as M
from ._index import normalise, perm_entry, reindex
from .permutation import pi
from .record import Derivation, Proof, equal, sound_rewrite

__all__ = [
    "prune_to_maximum_match", "maximum_match", "minimal_match", "similarity", "is_exact_match",
    "in_span", "all_matches", "forward_relu", "activations", "johnson_readings",
    "prove_johnson_example", "prove_symmetry_preserves_match", "prove_definitions", "definition_cases",
    "symmetry_params", "relu_pull_positive", "RELU", "JOHNSON", "JOHNSON_CORRECTED",
]

Rows = Sequence[Sequence]


def _mat(rows: Rows) -> sp.Matrix:
    rows = [list(r) for r in rows]
    return sp.Matrix(rows) if rows else sp.zeros(0, 0)


def in_span(v: Sequence, rows: Rows) -> bool:
    """Exact: is ``v`` a linear combination of ``rows``?"""
    if not len(rows):
        return all(x == 0 for x in v)
    M = _mat(rows)
    return M.rank() == M.col_join(sp.Matrix([list(v)])).rank()


def is_exact_match(ZX: Rows, ZY: Rows) -> bool:
    """``span ZX == span ZY`` (exact)."""
    if not len(ZX) or not len(ZY):
        return not len(ZX) and not len(ZY)
    A, B = _mat(ZX), _mat(ZY)
    r = A.col_join(B).rank()
    return A.rank() == r and B.rank() == r


def prune_to_maximum_match(nx: int, ny: int, outside: Callable[[int, list, list], list]) -> tuple[list, list]:
    """The pruning loop shared by the exact and the ε versions.

    ``outside(side, keep_self, keep_other)`` returns the members of ``keep_self`` that are not
    (approximately) in the span of ``keep_other``; ``side`` is 0 for X, 1 for Y.
    """
    X, Y = list(range(nx)), list(range(ny))
    changed = True
    while changed and X and Y:
        changed = False
        bad = set(outside(0, X, Y))
        if bad:
            X, changed = [i for i in X if i not in bad], True
        if not X:
            break
        bad = set(outside(1, Y, X))
        if bad:
            Y, changed = [i for i in Y if i not in bad], True
    if not X or not Y:
        return [], []
    return X, Y


def _nonzero(Z: Rows) -> list[int]:
    return [i for i, r in enumerate(Z) if any(x != 0 for x in r)]


def maximum_match(ZX: Rows, ZY: Rows) -> tuple[list[int], list[int]]:
    """Exact maximum match: indices into ``ZX`` and ``ZY`` (all-zero neurons never match)."""
    nzx, nzy = _nonzero(ZX), _nonzero(ZY)
    Zs = ([ZX[i] for i in nzx], [ZY[i] for i in nzy])

    def outside(side, keep, other):
        mine, theirs = Zs[side], Zs[1 - side]
        span = [theirs[j] for j in other]
        return [i for i in keep if not in_span(mine[i], span)]

    X, Y = prune_to_maximum_match(len(nzx), len(nzy), outside)
    return [nzx[i] for i in X], [nzy[j] for j in Y]


def similarity(ZX: Rows, ZY: Rows, match=None) -> Fraction:
    """Maximum-match similarity :math:`(|X^*|+|Y^*|)/(|F|+|G|)` (exact)."""
    X, Y = match if match is not None else maximum_match(ZX, ZY)
    return Fraction(len(X) + len(Y), len(ZX) + len(ZY))


def minimal_match(ZX: Rows, ZY: Rows, side: int, v: int, match_fn=None):
    """Greedy v-minimal match containing neuron ``v`` of side ``side`` (0 = X), or None."""
    match_fn = match_fn or maximum_match
    X, Y = match_fn(ZX, ZY)
    if v not in (X, Y)[side]:
        return None
    for s in (0, 1):
        for cand in list((X, Y)[s]):
            if s == side and cand == v:
                continue
            trial = ([i for i in X if i != cand], Y) if s == 0 else (X, [j for j in Y if j != cand])
            sx, sy = match_fn([ZX[i] for i in trial[0]], [ZY[j] for j in trial[1]])
            got = ([trial[0][i] for i in sx], [trial[1][j] for j in sy])
            if v in got[side]:
                X, Y = trial
    return X, Y


def all_matches(ZX: Rows, ZY: Rows) -> list[tuple[tuple, tuple]]:
    """Brute force (naive verifier): every pair of nonempty subsets of nonzero neurons that match."""
    nzx, nzy = _nonzero(ZX), _nonzero(ZY)
    out = []
    for a in range(1, len(nzx) + 1):
        for X in combinations(nzx, a):
            for b in range(1, len(nzy) + 1):
                for Y in combinations(nzy, b):
                    if is_exact_match([ZX[i] for i in X], [ZY[j] for j in Y]):
                        out.append((X, Y))
    return out


# --- networks -------------------------------------------------------------------------------

def forward_relu(weights, biases, x, output_activation="linear", convention="column"):
    """Layer outputs (post-activation) of a ReLU MLP on one input; exact (SymPy rationals).

    ``column``: h = relu(W h_prev + b) with W of shape (out × in); ``row``: h = relu(h_prev W + b)
    with W (in × out).  The last layer uses ``output_activation``.
    """
    h = sp.Matrix([sp.Rational(v) for v in x])
    outs = []
    L = len(weights)
    for i, W in enumerate(weights):
        Wm = sp.Matrix(W)
        z = Wm * h if convention == "column" else (h.T * Wm).T
        if biases is not None and biases[i] is not None:
            z = z + sp.Matrix(biases[i])
        last = i == L - 1
        h = z if (last and output_activation == "linear") else z.applyfunc(lambda t: sp.Max(0, t))
        outs.append(h)
    return outs


def activations(weights, biases, inputs, output_activation="linear", convention="column"):
    """Activation vectors per layer: ``acts[layer][neuron] = (z(a_1), …, z(a_d))``."""
    per_input = [forward_relu(weights, biases, x, output_activation, convention) for x in inputs]
    return [[tuple(per_input[p][layer][n] for p in range(len(inputs))) for n in range(per_input[0][layer].rows)]
            for layer in range(len(weights))]


JOHNSON = {
    "W1": [[1, 0], [0, 1]], "W1_tilde": [[1, 0], [0, -1]],
    "W2": [[1, -1], [1, -1]], "W2_tilde": [[1, -1], [1, -1]],
    "inputs": [[1, 1], [-1, -1]],
    "printed_hidden": ([(1, 1), (1, 1)], [(1, 0), (1, 0)]),
}

JOHNSON_CORRECTED = {
    "W1": [[1, 1], [1, 1]], "W1_tilde": [[-1, -1], [-1, -1]],
    "W2": [[1, -1], [-1, 1]], "W2_tilde": [[1, -1], [-1, 1]],
    "inputs": [[1, 1], [-1, -1]],
    "printed_hidden": ([(2, 0), (2, 0)], [(0, 2), (0, 2)]),
}
"""A corrected Example 3.1 (W1 with equal rows, W̃1 = −W1, symmetric W2 = W̃2 = [[1,−1],[−1,1]]): in every
reading the outputs are identical and zero, hidden activation sets
``{(2,0),(2,0)}`` and ``{(0,2),(0,2)}`` — two different lines, so no match, though isomorphic.  The negative
control of the example's checks: every assertion of the example holds for it."""


def johnson_readings(example: dict | None = None) -> list[dict]:
    """Example 3.1 (or ``example`` with the same keys) evaluated exactly under each reading of its conventions."""
    ex = JOHNSON if example is None else example
    out = []
    for convention in ("column", "row"):
        for oa in ("linear", "relu"):
            A = activations([ex["W1"], ex["W2"]], None, ex["inputs"], oa, convention)
            B = activations([ex["W1_tilde"], ex["W2_tilde"]], None, ex["inputs"], oa, convention)
            mm = maximum_match(A[0], B[0])
            out.append({
                "convention": convention, "output_activation": oa,
                "hidden_a": [[str(v) for v in r] for r in A[0]], "hidden_b": [[str(v) for v in r] for r in B[0]],
                "output_a": [[str(v) for v in r] for r in A[1]], "output_b": [[str(v) for v in r] for r in B[1]],
                "outputs_identical": A[1] == B[1], "outputs_zero": all(v == 0 for r in A[1] + B[1] for v in r),
                "hidden_max_match": mm, "hidden_similarity": str(similarity(A[0], B[0], mm)),
                "hidden_as_printed": sorted(A[0]) == sorted(ex["printed_hidden"][0])
                and sorted(B[0]) == sorted(ex["printed_hidden"][1]),
            })
    return out


def _rows(strings) -> sp.Matrix:
    return sp.Matrix([[sp.Rational(v) for v in r] for r in sorted(strings)])


def prove_johnson_example(example: dict | None = None) -> Proof:
    r"""Evaluate Example 3.1 as printed under every reading and refute each of its three assertions.

    Readings: activation vectors as columns (:math:`h = \sigma(Wx)`) or rows (:math:`h = \sigma(xW)`), and a
    linear or ReLU output layer.  In every reading (i) the output activation vectors of the two networks
    differ, (ii) the hidden activation sets are not the printed ones, and (iii) the hidden layers *do* match
    (maximum match nonempty): each is a checked counterexample (exact rationals, SymPy ranks), so the proof is
    ``refuted`` only when all twelve refutations hold.

    >>> prove_johnson_example().outcome
    'refuted'
    >>> from nnclaims.proofs.subspace import JOHNSON_CORRECTED
    >>> prove_johnson_example(JOHNSON_CORRECTED).outcome  # the corrected example refutes nothing
    'not proved'
    """
    ex = JOHNSON if example is None else example
    d = Derivation("subspace.johnson-example-3-1",
                   r"O_W = O_{\tilde W} = 0,\ \text{hidden sets as printed},\ \text{no match at the hidden layer}",
                   ["ReLU hidden layer, no biases", "readings: column (h = σ(Wx)) or row (h = σ(xW)) vectors; "
                    "linear or ReLU output"])
    readings = johnson_readings(ex)
    for r in readings:
        tag = f"{r['convention']} vectors, {r['output_activation']} output"
        d.differ(f"{tag}: output activation vectors A = {r['output_a']}, B = {r['output_b']} are not identical "
                 "zero vectors", _rows(r["output_a"]).col_join(_rows(r["output_a"])),
                 _rows(r["output_b"]).col_join(sp.zeros(len(r["output_a"]), len(r["output_a"][0]))))
        printed = [[str(v) for v in row] for side in ex["printed_hidden"] for row in sorted(side)]
        d.differ(f"hidden A = {r['hidden_a']}, B = {r['hidden_b']} ({tag}) are not the printed sets "
                 f"{[list(map(list, side)) for side in ex['printed_hidden']]}",
                 _rows(r["hidden_a"]).col_join(_rows(r["hidden_b"])),
                 _rows(printed[:len(r["hidden_a"])]).col_join(_rows(printed[len(r["hidden_a"]):])))
        X, Y = r["hidden_max_match"]
        d.fact(f"{tag}: the hidden layers match: maximum match {r['hidden_max_match']}, similarity "
               f"{r['hidden_similarity']}", r"(X^*, Y^*) \ne (\emptyset, \emptyset)",
               "exact pruning with SymPy rank tests (maximum_match)", bool(X) and bool(Y), refutes=True)
    return d.close(generality="the example itself, under 4 readings (exact)", general=True, refuted=True,
                   counterexample={"readings": readings})


def _relu_homogeneity(d: Derivation):
    r"""ReLU is positively homogeneous: :math:`\operatorname{relu}(cz) = c\operatorname{relu}(z)` for :math:`c > 0`,
    one chain per sign of ``z``."""
    z = sp.Symbol("z", real=True)
    c = sp.Symbol("c", positive=True)
    relu = sp.Lambda(z, sp.Piecewise((z, z > 0), (0, True)))
    for case, val in (("z > 0", sp.Symbol("z_+", positive=True)), ("z ≤ 0", -sp.Symbol("z_0", nonnegative=True))):
        (d.chain(relu(c * z))
         .assuming(f"case {case}", {z: val})
         .then(c * relu(val), f"= c relu(z): ReLU is positively homogeneous, case {case}, c > 0"))


RELU = sp.Function("relu")
"""ReLU as an undefined function in index-level proofs; its one property used is positive homogeneity."""


@sound_rewrite("ReLU is positively homogeneous, relu(c·u) = c·relu(u) for c > 0 (the case chains of "
               "prove_symmetry_preserves_match); only factors SymPy knows to be positive are pulled out")
def relu_pull_positive(expr):
    r"""Pull positive factors out of ``relu``: :math:`\operatorname{relu}(c\,u) \to c\operatorname{relu}(u)`, c > 0.

    >>> c, u = sp.Symbol("c", positive=True), sp.Symbol("u")
    >>> relu_pull_positive(RELU(c * u)), relu_pull_positive(RELU(-c * u))
    (c*relu(u), c*relu(-u))
    """
    def pull(u):
        if isinstance(u, sp.Mul):
            positive = [f for f in u.args if f.is_positive]
            if positive:
                return sp.Mul(*positive) * RELU(sp.Mul(*[f for f in u.args if not f.is_positive]))
        return RELU(u)

    return expr.replace(RELU, pull)


def symmetry_params(p: M.Params, scale) -> M.Params:
    r"""The transformed network :math:`W_1 P D,\ b_1 P D,\ D^{-1} P^\top W_2,\ b_2` (``scale[j]`` = :math:`d_j`)."""
    kk = sp.Symbol("kk", integer=True)
    return M.Params(
        lambda a_, j_: sp.Sum(p.W1(a_, kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)) * scale[j_],
        lambda j_: sp.Sum(p.b1(kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)) * scale[j_],
        lambda j_, c_: sp.Sum(perm_entry(pi, kk, j_) * p.W2(kk, c_), (kk, 0, M.h - 1)) / scale[j_],
        p.b2)


def prove_symmetry_preserves_match() -> Proof:
    r"""Networks related by :math:`W_1 \to W_1 P D,\ b_1 \to b_1 P D,\ W_2 \to D^{-1}P^\top W_2` (P a
    permutation, D positive diagonal; ReLU) compute the same function, and their hidden activation
    vectors satisfy :math:`z'_j = d_j z_{\pi(j)}`, so the full layers match exactly (each neuron is a
    nonzero multiple of one on the other side).  Mixing by an orthogonal Q does not preserve the match.

    .. math:: Z'_{rj} = \sum_a X_{ra} (W_1PD)_{aj} + (b_1PD)_j = d_j Z_{r,\pi(j)},\qquad
              O'_{rc} = \sum_j \operatorname{relu}(d_j Z_{r\pi(j)})\, W_{2,\pi(j)c}/d_j + b_{2c} = O_{rc}

    >>> prove_symmetry_preserves_match().outcome
    'proved'
    """
    d = Derivation("subspace.symmetry-preserves-match", r"\operatorname{span} z_{F'} = \operatorname{span} z_F",
                   ["ReLU hidden layer", "P permutation, D = diag(d_j) with d_j > 0"])
    _relu_homogeneity(d)
    R = M.ranges({pi: M.h})
    dd = sp.IndexedBase("d", positive=True)
    p = M.indexed_params()
    q = symmetry_params(p, dd)
    z_old = normalise(M.preact(p, M.r, pi(M.j)), R)  # Z_{r,π(j)} of the original network
    (d.chain(M.preact(q))
     .by("hidden pre-activations of the transformed network: the deltas pick k = π(j)", normalise, R)
     .then(dd[M.j] * z_old, "= d_j Z_{r,π(j)}", via=sp.expand))
    pre = dd[M.j] * z_old
    (d.chain(M.output(q, act=RELU))
     .by("outputs of the transformed network: evaluate the deltas", normalise, R)
     .by("write each pre-activation as d_j Z_{r,π(j)} (the chain above)",
         lambda e: e.replace(RELU, lambda u: RELU(pre) if equal(u, pre) else RELU(u)))
     .by("ReLU positive homogeneity, d_j > 0 (the case chains above): relu(d_j Z) = d_j relu(Z)", relu_pull_positive)
     .by("reindex the hidden sum j ↦ π(j) (π bijective)", reindex, R)
     .then(M.output(p, act=RELU), "= O_{rc}, the original network's output"))
    d.fact("so each neuron of one network is a positive multiple of a neuron of the other (and back, 1/d_j): "
           "span z_{F'} = span z_F, an exact match of the full layers",
           r"z'_j = d_j z_{\pi(j)},\ z_i = z'_{\pi^{-1}(i)}/d_{\pi^{-1}(i)}",
           "follows from the pre-activation chain and ReLU homogeneity above (every step above holds)", d.all_hold)
    # negative control: orthogonal mixing of the pre-activations (3 inputs × 2 neurons)
    Z = sp.Matrix([[1, 0], [0, 1], [1, 1]])
    Q = sp.Matrix([[sp.Rational(3, 5), sp.Rational(-4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    relu_m = lambda M_: M_.applyfunc(lambda t: sp.Max(0, t))  # noqa: E731
    A = [tuple(relu_m(Z)[:, j]) for j in range(2)]
    B = [tuple(relu_m(Z * Q)[:, j]) for j in range(2)]
    d.fact(f"negative control: mixing by a rotation Q gives hidden vectors {B} whose span differs from {A} "
           f"(maximum match {maximum_match(A, B)})",
           r"\operatorname{span} z_{\sigma(ZQ)} \ne \operatorname{span} z_{\sigma(Z)}",
           "exact rank test: not is_exact_match", not is_exact_match(A, B))
    return d.close(generality="general sizes (index-level, any widths)", general=True)


def definition_cases() -> dict[str, tuple[list, list]]:
    """Worked examples for the definitions (rows = neurons, exact): each stresses one part of the pruning."""
    r = johnson_readings()[0]
    half = sp.Rational(1, 2)
    return {
        "Johnson hidden layer (column reading)": ([tuple(map(sp.Rational, v)) for v in r["hidden_a"]],
                                                  [tuple(map(sp.Rational, v)) for v in r["hidden_b"]]),
        "official worked example at ε = 0 (Wang et al.'s code)": (
            [(1, half, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0), (0, 0, 0, 1, 0, 0), (0, 0, 0, 0, 1, 0)],
            [(0, 0, 1, 0, 0, 0), (1, 0, 0, 0, 0, 0), (half, 1, 0, 0, 0, 0), (0, 0, 0, 1, 0, 0), (0, 0, 0, 0, 1, 0)]),
        # pruning Y (e2+e3, e3 leave span X) shrinks span Y, after which e2 must leave X: two rounds
        "two pruning rounds": ([(1, 0, 0), (0, 1, 0)], [(1, 0, 0), (0, 1, 1), (0, 0, 1)]),
        # an all-zero neuron lies in every span but never matches (it stays in the denominator)
        "all-zero neuron": ([(0, 0, 0), (1, 1, 0)], [(2, 2, 0), (0, 0, 1)]),
        # duplicated neurons: both copies match
        "duplicated neurons": ([(1, 2, 0), (1, 2, 0), (0, 0, 1)], [(3, 6, 0), (1, 0, 0)]),
    }


def prove_definitions() -> Proof:
    """The implementation against the definitions: the pruned maximum match equals the union of all
    exact matches (brute force) on the worked examples, and it is itself a match.

    >>> prove_definitions().outcome, prove_definitions().general
    ('proved', False)
    """
    d = Derivation("subspace.definitions", r"(X^*, Y^*) = \bigcup \{(X, Y) : \operatorname{span} z_X = \operatorname{span} z_Y\}",
                   ["exact (rational) activation vectors"])
    for name, (ZX, ZY) in definition_cases().items():
        X, Y = maximum_match(ZX, ZY)
        ms = all_matches(ZX, ZY)
        ux = sorted({i for m in ms for i in m[0]})
        uy = sorted({j for m in ms for j in m[1]})
        d.fact(f"{name}: pruning gives X* = {X}, Y* = {Y}; union of the {len(ms)} brute-force matches = {ux}, {uy}",
               r"(X^*, Y^*) = \bigcup", "set equality (exact)", (X, Y) == (ux, uy))
        d.fact(f"{name}: (X*, Y*) is itself an exact match", r"\operatorname{span} z_{X^*} = \operatorname{span} z_{Y^*}",
               "exact rank test", (not X and not Y) or is_exact_match([ZX[i] for i in X], [ZY[j] for j in Y]))
    return d.close(generality="the implementation checked on worked examples (not a theorem)", general=False)
