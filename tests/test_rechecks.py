"""The exact witness re-checkers are themselves checked (issue 25, item 8).

Every re-checker that turns a Z3 or Hypothesis witness into ``rechecked=True`` gets

* the real witness the search found (the committed CPU reference report, ``reports/cpu-reference/results.json``),
  which it must accept;
* that witness with **every numeric entry changed by one**, each entry separately (+1 and -1; for a rational
  entry ``p/D`` also by ``1/D``, one step of the search's grid).  The re-check's answer is compared with an
  *independent* exact evaluation written here in plain :class:`fractions.Fraction` arithmetic (no SymPy, no Z3):
  where the change leaves a genuinely valid witness, that evaluation says so and the re-check must accept it;
  everywhere else it must reject it.  Most changes must give an invalid witness (asserted), so the comparison
  is not vacuous;
* witnesses that sit **on each side of each boundary** the re-check tests (a gap equal to the difference, a point
  on the box's face, L'' = 0, a kink, equal eigenvalues, ...), again judged by the independent evaluation;
* a **comparison-flip mutation test**: each comparison in the re-checker's source (``==``/``!=``, ``<``/``>=``,
  ``>``/``<=``) is flipped in turn (AST rewrite) and the mutant must disagree with the independent evaluation on
  at least one of the witnesses above.  This is the negative control that shows the witness sets can fail a
  broken re-check.
"""

from __future__ import annotations

import ast
import copy
import inspect
import itertools
import textwrap
from fractions import Fraction as F

import pytest

from nnclaims.proofs import _matrices, search_dnfa, search_equivalence, search_hessian, search_random, search_subspace, searches

pytestmark = pytest.mark.search

# --- the real witnesses (reports/cpu-reference/results.json, found by the default searches) ----------------------

ORTHOGONAL_RELU = {"Q": [["-4/5", "-3/5"], ["3/5", "-4/5"]], "Z": [["2", "2"]], "activation": "relu"}
BASIS_CHANGE = {"U": [["-3/5", "-4/5"], ["-4/5", "3/5"]], "W1": [[2, 2], [1, 2]], "w2": [[-1], [1]],
                "inputs": [[-2, -2], [2, 2]], "activation": "relu"}
RESIDUAL = {"a": -1, "b": 1, "theta": 1, "x": [-1, 2], "y": [2, 1], "loss": "1/2 (f - y)**2"}
SVD_FORM = {"W": [[1, -1], [0, 2]], "v": [[2], [-2]], "inputs": [[0, 1], [2, 1]], "activation": "relu",
            "AGOP": [["4", "-12"], ["-12", "52"]]}
ZERO_MATCH = {"inputs": [[-1, -1], [-1, 0]], "output_activation": "linear", "hidden_layer": 1,
              "net_a": {"weights": [[[-1, 1], [0, -1]], [[-1, -1], [0, 0]]], "biases": None},
              "net_b": {"weights": [[[-1, 0], [-1, 0]], [[-1, 0], [0, 0]]], "biases": None}}
ISOMORPHIC = {"inputs": [[-1, -1], [-1, 0], [-1, 1]], "output_activation": "linear", "hidden_layer": 1,
              "net_a": {"weights": [[[0, 1], [-1, 0]], [[-1, -1], [0, 0]]], "biases": None},
              "net_b": {"weights": [[[-1, 1], [0, -1]], [[-1, -1], [0, 0]]], "biases": None}}
UNITS_DIFFER = {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "W2": [[0], [1]]}
ENTRIES_DIFFER = {"X": [[0, 1]], "Y": [[0]], "W1": [[1, 1], [1, 1]], "W2": [[1], [1]]}
ROWS_UNCHANGED = {"W1": [[0, 1], [1, 0]], "W2": [[1], [1]], "Q": [[0, 1], [1, 0]]}
NAIVE_CHAIN = {"W": [[1, 0], [1, 0]], "h": [-1, 0], "v": [0, 1]}
# the equivalence search on test_searches.py's planted pair (outputs differ by exactly 1 everywhere)
NET_A = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": None}
NET_B = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": [[0, 0], [1]]}
EQUIVALENT = {"x": ["0", "0"], "output_a": ["0"], "output_b": ["1"]}  # search_equivalent(NET_A, NET_B, box=3)
EQ_OPTS = {"output_activation": "linear", "box": 3, "gap": 0}

# --- exact helpers (Fraction only) ---------------------------------------------------------------------------------


def relu(t):
    return t if t > 0 else F(0)


def mat(rows):
    return [[F(str(v)) for v in r] for r in rows]


def mul(A, B):
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), F(0)) for j in range(len(B[0]))] for i in range(len(A))]


def tr(A):
    return [list(r) for r in zip(*A)]


def eye(n):
    return [[F(int(i == j)) for j in range(n)] for i in range(n)]


def rank(rows):
    """Rank of a list of Fraction vectors (Gaussian elimination)."""
    M = [list(r) for r in rows]
    r = 0
    for c in range(len(M[0]) if M else 0):
        p = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c] / M[r][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        r += 1
    return r


def signed_permutation(Q):
    return all(sum(v != 0 for v in r) == 1 for r in Q) and all(abs(v) in (0, 1) for r in Q for v in r)


def orthogonal(Q):
    return mul(tr(Q), Q) == eye(len(Q))


# --- the independent evaluations ------------------------------------------------------------------------------------


def valid_orthogonal_relu(w):
    """Q orthogonal, not a signed permutation (the search's condition), relu(ZQ) ≠ relu(Z)Q."""
    Q, Z = mat(w["Q"]), mat(w["Z"])
    left = [[relu(t) for t in r] for r in mul(Z, Q)]
    right = mul([[relu(t) for t in r] for r in Z], Q)
    return orthogonal(Q) and not signed_permutation(Q) and left != right


def valid_basis_change(w):
    """U orthogonal, not a signed permutation, UᵀAU diagonal with distinct entries (A = Σ aᵀa, a = relu(xW1)),
    and relu(xW1U)Uᵀw2 ≠ relu(xW1)w2 on some point."""
    U, W1, w2, X = mat(w["U"]), mat(w["W1"]), mat(w["w2"]), mat(w["inputs"])
    acts = [[relu(t) for t in r] for r in mul(X, W1)]
    B = mul(mul(tr(U), mul(tr(acts), acts)), U)
    k = len(B)
    diagonal = all(B[i][j] == 0 for i in range(k) for j in range(k) if i != j)
    distinct = len({B[i][i] for i in range(k)}) == k
    new = mul(mul([[relu(t) for t in r] for r in mul(mul(X, W1), U)], tr(U)), w2)
    return orthogonal(U) and not signed_permutation(U) and diagonal and distinct and new != mul(acts, w2)


def residual_terms(w):
    """(L', L'', residuals, Σ r·∂²f) of f = aθ²x + bθx², L = ½Σ(f − y)², at θ."""
    a, b, th = F(w["a"]), F(w["b"]), F(w["theta"])
    r = [a * th * th * x + b * th * x * x - y for x, y in zip(map(F, w["x"]), map(F, w["y"]))]
    f1 = [2 * a * th * x + b * x * x for x in map(F, w["x"])]
    f2 = [2 * a * x for x in map(F, w["x"])]
    return (sum(ri * d for ri, d in zip(r, f1)), sum(d * d + ri * dd for ri, d, dd in zip(r, f1, f2)), r,
            sum(ri * dd for ri, dd in zip(r, f2)))


def valid_residual(w):
    """L' = 0, L'' > 0 (strict minimum), not a perfect fit, residual term ≠ 0."""
    L1, L2, r, term = residual_terms(w)
    return L1 == 0 and L2 > 0 and any(ri != 0 for ri in r) and term != 0


def agop(w):
    """Σ_x ∇f ∇fᵀ for f = vᵀrelu(Wx), or None at a kink (a zero pre-activation)."""
    W, v = mat(w["W"]), [row[0] for row in mat(w["v"])]
    M = [[F(0)] * len(W[0]) for _ in W[0]]
    for x in mat(w["inputs"]):
        z = [sum((W[i][j] * x[j] for j in range(len(x))), F(0)) for i in range(len(W))]
        if any(t == 0 for t in z):
            return None
        g = [sum((W[i][j] * (v[i] if z[i] > 0 else 0) for i in range(len(W))), F(0)) for j in range(len(W[0]))]
        M = [[M[p][q] + g[p] * g[q] for q in range(len(g))] for p in range(len(g))]
    return M


def valid_svd_form(w):
    """A = WᵀW has distinct eigenvalues; M = AGOP (the recorded one) shares its eigenvectors (M = αI + βA, solved
    here directly), in the same order (β > 0), and is not ∝ A (α ≠ 0); distinct points, no kink."""
    W = mat(w["W"])
    A = mul(tr(W), W)
    M = agop(w)
    if M is None or len({tuple(x) for x in w["inputs"]}) != len(w["inputs"]):
        return False
    if "AGOP" in w and mat(w["AGOP"]) != M:
        return False
    if (A[0][0] - A[1][1]) ** 2 + 4 * A[0][1] ** 2 == 0:  # equal eigenvalues: A = cI
        return False
    beta = M[0][1] / A[0][1] if A[0][1] != 0 else (M[0][0] - M[1][1]) / (A[0][0] - A[1][1])
    alpha = M[0][0] - beta * A[0][0]
    if [[alpha * int(i == j) + beta * A[i][j] for j in range(2)] for i in range(2)] != M:
        return False  # M does not commute with A: A's eigenvectors are not M's
    return beta > 0 and alpha != 0


def forward(net, x, output_activation):
    """Post-activation outputs of every layer (column convention), exact."""
    h, outs = mat([x])[0], []
    L = len(net["weights"])
    for i, Wr in enumerate(net["weights"]):
        W = mat(Wr)
        b = mat([net["biases"][i]])[0] if net.get("biases") else [F(0)] * len(W)
        z = [sum((wij * hj for wij, hj in zip(row, h)), F(0)) + bi for row, bi in zip(W, b)]
        h = z if (i == L - 1 and output_activation == "linear") else [relu(t) for t in z]
        outs.append(h)
    return outs


def valid_zero_match(w, *, isomorphic=False, nonzero_output=False, no_zero_neuron=False):
    """Outputs agree on distinct points; at a hidden layer no nonempty subsets X, Y of nonzero neurons span the
    same space (brute force over all subset pairs, Fraction ranks); the optional conditions."""
    oa, layer, X = w["output_activation"], w["hidden_layer"], w["inputs"]
    L = len(w["net_a"]["weights"])
    if not 1 <= layer <= L - 1 or len({tuple(x) for x in X}) != len(X):
        return False
    per = [[forward(w[n], x, oa) for x in X] for n in ("net_a", "net_b")]
    if [p[-1] for p in per[0]] != [p[-1] for p in per[1]]:
        return False
    ha, hb = ([tuple(p[layer - 1][u] for p in side) for u in range(len(side[0][layer - 1]))] for side in per)
    nza, nzb = ([z for z in h if any(z)] for h in (ha, hb))
    for i in range(1, len(nza) + 1):
        for j in range(1, len(nzb) + 1):
            for SX in itertools.combinations(nza, i):
                for SY in itertools.combinations(nzb, j):
                    if rank(SX) == rank(SY) == rank(SX + SY):
                        return False
    if nonzero_output and not any(v != 0 for p in per[0] for v in p[-1]):
        return False
    if no_zero_neuron and len(nza) + len(nzb) != len(ha) + len(hb):
        return False
    if isomorphic and not (rank(ha) == rank(hb) > 0):
        return False
    return True


def valid_equivalent(net_a, net_b, w, *, output_activation, box, gap):
    """x in [-box, box]^d with the input dimension, the recorded outputs right, some output differing by > gap."""
    x = [F(v) for v in w["x"]]
    if len(x) != len(net_a["weights"][0][0]) or any(abs(v) > F(box) for v in x):
        return False
    ya, yb = (forward(n, w["x"], output_activation)[-1] for n in (net_a, net_b))
    if [[F(v) for v in w["output_a"]], [F(v) for v in w["output_b"]]] != [ya, yb]:
        return False
    return max(abs(p - q) for p, q in zip(ya, yb)) > F(gap)


def grad_w1(w):
    """∇_{W1} ½‖relu(XW1)W2 − Y‖² (row convention, no biases), or None at a kink."""
    X, Y, W1, W2 = (mat(w[k]) for k in ("X", "Y", "W1", "W2"))
    Z = mul(X, W1)
    if any(t == 0 for r in Z for t in r):
        return None
    R = [[a - y for a, y in zip(r, yr)] for r, yr in zip(mul([[relu(t) for t in r] for r in Z], W2), Y)]
    delta = [[d * (1 if z > 0 else 0) for d, z in zip(dr, zr)] for dr, zr in zip(mul(R, tr(W2)), Z)]
    return mul(tr(X), delta)


def valid_units_differ(w):
    """W1 constant with ≥ 2 hidden units, no kink, and the two units' columns of ∇W1 differ."""
    W1 = mat(w["W1"])
    G = grad_w1(w)
    return len(W1[0]) >= 2 and len({v for r in W1 for v in r}) == 1 and G is not None and \
        [r[0] for r in G] != [r[1] for r in G]


def valid_entries_differ(w):
    """W1 constant, W2's rows equal (the fully symmetric start), no kink, and ∇W1 not constant."""
    W1 = mat(w["W1"])
    G = grad_w1(w)
    return len(W1[0]) >= 2 and len({v for r in W1 for v in r}) == 1 and len({tuple(r) for r in w["W2"]}) == 1 \
        and G is not None and len({v for r in G for v in r}) > 1


def valid_naive_chain(w):
    """No pre-activation at the kink, and ∇_h vᵀrelu(Wh) = Wᵀ(1[Wh > 0] ∘ v) ≠ Wᵀv."""
    W, h, v = mat(w["W"]), [F(t) for t in w["h"]], [F(t) for t in w["v"]]
    p = [sum((a * b for a, b in zip(row, h)), F(0)) for row in W]
    if any(t == 0 for t in p):
        return False
    return mul(tr(W), [[vi * (1 if pi > 0 else 0)] for vi, pi in zip(v, p)]) != mul(tr(W), [[vi] for vi in v])


def _rays(columns):
    """Directions that cut the plane into cones of at most 90° on which every unit x·c is linear: the zero lines
    of the columns c, and the axes."""
    out = {(F(1), F(0)), (F(-1), F(0)), (F(0), F(1)), (F(0), F(-1))}
    for c1, c2 in columns:
        if (c1, c2) != (0, 0):
            out |= {(-c2, c1), (c2, -c1)}
    return out


def valid_rows_unchanged(w):
    """Q is the swap the search applies; W1 has distinct rows; f(x) = relu(xW1)W2 is not constant on [-4, 4]²
    and equals the row-swapped network there.  Both are positively homogeneous and linear on each cone between
    consecutive rays of :func:`_rays` (each under 180°, spanned by its two rays), so they agree on the box iff
    they agree on every ray."""
    if w["Q"] != [[0, 1], [1, 0]]:
        return False
    W1, W2 = mat(w["W1"]), mat(w["W2"])
    if W1[0] == W1[1]:
        return False
    swapped = [W1[1], W1[0]]
    f = lambda M, x: mul([[relu(t) for t in mul([list(x)], M)[0]]], W2)[0][0]  # noqa: E731
    rays = _rays(list(zip(*W1)) + list(zip(*swapped)))
    return any(f(W1, r) != 0 for r in rays) and all(f(W1, r) == f(swapped, r) for r in rays)


# --- changing entries -----------------------------------------------------------------------------------------------

SKIP_KEYS = {"activation", "loss", "output_activation"}


def numeric_leaves(w, path=()):
    """Paths to every numeric entry of a witness (ints and exact-number strings)."""
    if isinstance(w, dict):
        for k, v in w.items():
            if k not in SKIP_KEYS:
                yield from numeric_leaves(v, path + (k,))
    elif isinstance(w, list):
        for i, v in enumerate(w):
            yield from numeric_leaves(v, path + (i,))
    elif isinstance(w, (int, str)) and not isinstance(w, bool):
        yield path


def get(w, path):
    for p in path:
        w = w[p]
    return w


def changed(w, path, delta):
    """``w`` with the entry at ``path`` plus ``delta``, in the entry's own type (int or exact string)."""
    out = copy.deepcopy(w)
    parent = get(out, path[:-1])
    old = parent[path[-1]]
    new = F(str(old)) + delta
    parent[path[-1]] = str(new) if isinstance(old, str) else (int(new) if new.denominator == 1 else str(new))
    return out


def deltas(w, path):
    """±1, and ±1/D for a rational entry p/D (one step of the search's grid)."""
    v = F(str(get(w, path)))
    return [F(1), F(-1)] + ([F(1, v.denominator), F(-1, v.denominator)] if v.denominator > 1 else [])


def one_changes(w):
    return [(path, d, changed(w, path, d)) for path in numeric_leaves(w) for d in deltas(w, path)]


def name(path, delta):
    return "/".join(map(str, path)) + f"{'+' if delta > 0 else '-'}{abs(delta)}"


# --- the re-checkers, their real witness, their independent evaluation, their boundary witnesses -----------------

RECHECKS = {
    "orthogonal-relu": (searches.recheck_orthogonal_relu, valid_orthogonal_relu, ORTHOGONAL_RELU),
    "basis-change": (search_hessian.recheck_basis_change, valid_basis_change, BASIS_CHANGE),
    "residual-at-optimum": (search_hessian.recheck_residual_at_optimum, valid_residual, RESIDUAL),
    "svd-form": (search_dnfa.recheck_svd_form, valid_svd_form, SVD_FORM),
    "zero-match": (lambda w: search_subspace.recheck_zero_match(w, nonzero_output=True, no_zero_neuron=True),
                   lambda w: valid_zero_match(w, nonzero_output=True, no_zero_neuron=True), ZERO_MATCH),
    "zero-match isomorphic": (
        lambda w: search_subspace.recheck_zero_match(w, isomorphic=True, nonzero_output=True, no_zero_neuron=True),
        lambda w: valid_zero_match(w, isomorphic=True, nonzero_output=True, no_zero_neuron=True), ISOMORPHIC),
    "equivalent": (lambda w: search_equivalence.recheck_equivalent(NET_A, NET_B, w, **EQ_OPTS),
                   lambda w: valid_equivalent(NET_A, NET_B, w, **EQ_OPTS), EQUIVALENT),
    "constant-init-breaks": (search_random.recheck_unit_gradients_differ, valid_units_differ, UNITS_DIFFER),
    "constant-gradient-entries": (search_random.recheck_gradient_entries_differ, valid_entries_differ,
                                  ENTRIES_DIFFER),
    "naive-chain-rule": (search_random.recheck_naive_chain_rule, valid_naive_chain, NAIVE_CHAIN),
    "input-rows-unchanged": (search_random.recheck_rows_unchanged, valid_rows_unchanged, ROWS_UNCHANGED),
}

CASES = [(k, path, d, bad) for k, (_, _, w) in RECHECKS.items() for path, d, bad in one_changes(w)]


@pytest.mark.parametrize("key", list(RECHECKS))
def test_the_real_witness_is_accepted_by_both(key):
    recheck, valid, w = RECHECKS[key]
    assert valid(w), f"{key}: the independent evaluation rejects the search's own witness"
    assert recheck(w), f"{key}: the re-check rejects the search's own witness"


@pytest.mark.parametrize("key, path, delta, bad", CASES, ids=[f"{k}:{name(p, d)}" for k, p, d, _ in CASES])
def test_every_entry_changed_by_one(key, path, delta, bad):
    """The re-check's answer on the witness with one entry changed equals the independent exact evaluation's:
    reject where the change breaks the witness, accept where it is still (genuinely) a witness."""
    recheck, valid, _ = RECHECKS[key]
    expected = valid(bad)
    assert bool(recheck(bad)) == expected, (
        f"{key}: entry {'/'.join(map(str, path))} changed by {delta}: the re-check "
        f"{'rejects' if expected else 'ACCEPTS'} it, the exact evaluation says it is "
        f"{'a valid' if expected else 'not a'} witness: {bad}")


@pytest.mark.parametrize("key", list(RECHECKS))
def test_many_changes_break_the_witness(key):
    """Not vacuous: at least a quarter of the one-entry changes give a non-witness (so the comparison above tests
    rejection; the naive chain rule's witness is generic, 5 of its 16 changes break it)."""
    _, valid, w = RECHECKS[key]
    changes = one_changes(w)
    broken = sum(not valid(bad) for _, _, bad in changes)
    assert broken >= len(changes) / 4, f"{key}: only {broken} of {len(changes)} changes break the witness"


# --- witnesses on each side of each boundary --------------------------------------------------------------------

def _rot(p, q, D):
    return [[str(F(p, D)), str(F(-q, D))], [str(F(q, D)), str(F(p, D))]]


BOUNDARY = {
    "orthogonal-relu": [
        dict(ORTHOGONAL_RELU, Q=[["0", "1"], ["1", "0"]]),  # a permutation: σ commutes
        dict(ORTHOGONAL_RELU, Q=[["-1", "0"], ["0", "1"]]),  # a signed permutation (the search excludes it)
        dict(ORTHOGONAL_RELU, Z=[["0", "0"]]),  # Z = 0: both sides 0
        dict(ORTHOGONAL_RELU, Z=[["-1", "-1"]]),  # relu(Z) = 0 but relu(ZQ) ≠ 0
        dict(ORTHOGONAL_RELU, Q=_rot(3, 4, 5)),
        dict(ORTHOGONAL_RELU, Q=[["3/5", "4/5"], ["4/5", "3/5"]]),  # not orthogonal (off-diagonal 24/25)
        dict(ORTHOGONAL_RELU, Q=[["1", "0"], ["0", "1"]], Z=[["-1", "2"]]),  # the identity
        # 3 × 3: a signed permutation (two zeros per row, so counting zeros is not counting nonzeros) ...
        dict(ORTHOGONAL_RELU, Q=[["-1", "0", "0"], ["0", "0", "1"], ["0", "1", "0"]], Z=[["2", "2", "2"]]),
        # ... and a rotation in the first two coordinates, a valid witness
        dict(ORTHOGONAL_RELU, Q=[["-4/5", "-3/5", "0"], ["3/5", "-4/5", "0"], ["0", "0", "1"]], Z=[["2", "2", "0"]]),
    ],
    "basis-change": [
        dict(BASIS_CHANGE, U=[["1", "0"], ["0", "1"]]),  # the identity: a permutation, nothing changes
        # A = diag(1, 4) and U = diag(-1, 1): its eigenbasis, outputs change, but a signed permutation
        dict(BASIS_CHANGE, U=[["-1", "0"], ["0", "1"]], W1=[[1, 0], [0, 2]], inputs=[[1, 0], [0, 1]]),
        dict(BASIS_CHANGE, U=[["0", "1"], ["1", "0"]], W1=[[1, 0], [0, 2]], inputs=[[1, 0], [0, 1]]),  # a permutation
        dict(BASIS_CHANGE, W1=[[1, 0], [0, 1]], inputs=[[1, 0], [0, 1]]),  # A = I: eigenvalues equal
        dict(BASIS_CHANGE, U=[["3/5", "4/5"], ["-4/5", "3/5"]]),  # orthogonal but not A's eigenbasis
        dict(BASIS_CHANGE, U=[["-3/5", "4/5"], ["-4/5", "-3/5"]]),  # the eigenbasis with a column's sign flipped
        dict(BASIS_CHANGE, w2=[[0], [0]]),  # outputs 0 both ways
        dict(BASIS_CHANGE, U=[["-3/5", "-4/5"], ["-4/5", "4/5"]]),  # not orthogonal
    ],
    "equivalent": [
        dict(EQUIVALENT, x=["3", "-3"], output_a=["3"], output_b=["4"]),  # on the box's face: inside
        dict(EQUIVALENT, x=["-3", "3"], output_a=["3"], output_b=["4"]),
        dict(EQUIVALENT, x=["7/2", "0"], output_a=["7/2"], output_b=["9/2"]),  # just outside
        dict(EQUIVALENT, x=["0", "-7/2"], output_a=["0"], output_b=["1"]),
        dict(EQUIVALENT, x=["0"], output_a=["0"], output_b=["1"]),  # wrong input dimension
        dict(EQUIVALENT, output_b=["0"]),  # outputs recorded wrong
        dict(EQUIVALENT, output_a=["1"], output_b=["0"]),  # outputs swapped
    ],
    "naive-chain-rule": [
        dict(NAIVE_CHAIN, h=[1, 0]),  # every pre-activation positive: the naive form is right
        dict(NAIVE_CHAIN, h=[0, 0]),  # at the kink
        dict(NAIVE_CHAIN, W=[[1, 0], [0, 1]], h=[1, 0]),  # one pre-activation at the kink
        dict(NAIVE_CHAIN, v=[0, 0]),
        dict(NAIVE_CHAIN, W=[[1, 0], [-1, 0]], h=[1, 0], v=[1, 0]),  # the dead unit has v = 0
    ],
    "constant-init-breaks": [
        dict(UNITS_DIFFER, W2=[[1], [1]]),  # equal outgoing rows: the units' gradients agree
        dict(UNITS_DIFFER, X=[[0]]),  # at the kink
        dict(UNITS_DIFFER, X=[[-1]]),  # both units dead
        dict(UNITS_DIFFER, W1=[[1, 2]]),  # not constant
        dict(UNITS_DIFFER, W1=[[1]], W2=[[1]]),  # one unit
        dict(UNITS_DIFFER, Y=[[1]], W2=[[0], [2]]),
    ],
    "constant-gradient-entries": [
        dict(ENTRIES_DIFFER, X=[[1, 1]]),  # equal features: every entry equal
        dict(ENTRIES_DIFFER, X=[[-1, 1]], Y=[[1]]),  # at the kink
        dict(ENTRIES_DIFFER, W2=[[1], [2]]),  # not the symmetric start
        dict(ENTRIES_DIFFER, W1=[[1, 1], [1, 2]]),  # not constant
        dict(ENTRIES_DIFFER, X=[[2, 1]]),
    ],
    "input-rows-unchanged": [
        dict(ROWS_UNCHANGED, W1=[[1, 0], [0, 0]], W2=[[1], [0]]),  # the planted ROWS_CHANGE
        dict(ROWS_UNCHANGED, W1=[[1, 1], [1, 1]]),  # equal rows
        dict(ROWS_UNCHANGED, W2=[[0], [0]]),  # constant (zero) network
        dict(ROWS_UNCHANGED, W1=[[1, 2], [2, 1]]),
        dict(ROWS_UNCHANGED, Q=[[1, 0], [0, 1]]),  # Q not the swap
        dict(ROWS_UNCHANGED, W1=[[1, -1], [-1, 1]], W2=[[1], [1]]),  # f = |x1 − x2| is symmetric
    ],
}


def _residual_boundaries():
    """Small integer models (|a|, |b|, |θ|, |x|, |y| ≤ 2, two points) sitting on each boundary of the re-check:
    L' = ±1 (not stationary), L'' = 0 and L'' < 0 (stationary, not a strict minimum), a perfect fit, a zero second
    term, and valid ones — found by brute force with the exact terms, two of each."""
    want = {"L' = 1": [], "L' = -1": [], "L'' = 0": [], "L'' < 0": [], "perfect": [], "term = 0": [], "valid": []}
    R = range(-2, 3)
    for a, b, th, x0, x1, y0, y1 in itertools.product(R, R, R, R, R, R, R):
        w = {"a": a, "b": b, "theta": th, "x": [x0, x1], "y": [y0, y1], "loss": RESIDUAL["loss"]}
        L1, L2, r, term = residual_terms(w)
        ok_rest = L2 > 0 and any(r) and term != 0
        key = ("L' = 1" if L1 == 1 and ok_rest else "L' = -1" if L1 == -1 and ok_rest
               else None if L1 != 0 else "L'' = 0" if L2 == 0 and any(r) and term != 0
               else "L'' < 0" if L2 < 0 and any(r) and term != 0 else "perfect" if L2 > 0 and not any(r)
               else "term = 0" if L2 > 0 and any(r) and term == 0 else "valid" if ok_rest else None)
        if key and len(want[key]) < 2:
            want[key].append(w)
        if all(len(v) == 2 for v in want.values()):
            break
    assert all(len(v) == 2 for v in want.values()), {k: len(v) for k, v in want.items()}
    return [w for v in want.values() for w in v]


def _svd_boundaries():
    """SVD-form cases on each boundary: β < 0 (reversed order), β = 0 (M = αI), α = 0 (M ∝ A), A = cI, a kink,
    repeated points, and valid ones — brute force over W, v in [-2, 2], two points in [-1, 2]², by the exact
    evaluation's α, β."""
    want = {k: [] for k in ("beta<0", "beta=0", "alpha=0", "A=cI", "kink", "repeated", "valid")}
    R, P = range(-2, 3), [(p, q) for p in range(-1, 3) for q in range(-1, 3)]
    for W00, W01, W10, W11, v0, v1 in itertools.product(R, R, R, R, R, R):
        for x0, x1 in itertools.combinations(P, 2):
            w = {"W": [[W00, W01], [W10, W11]], "v": [[v0], [v1]], "inputs": [list(x0), list(x1)],
                 "activation": "relu"}
            M = agop(w)
            if M is None:
                key = "kink"
            else:
                A = mul(tr(mat(w["W"])), mat(w["W"]))
                if (A[0][0] - A[1][1]) ** 2 + 4 * A[0][1] ** 2 == 0:
                    key = "A=cI"
                else:
                    beta = M[0][1] / A[0][1] if A[0][1] != 0 else (M[0][0] - M[1][1]) / (A[0][0] - A[1][1])
                    alpha = M[0][0] - beta * A[0][0]
                    if [[alpha * int(i == j) + beta * A[i][j] for j in range(2)] for i in range(2)] != M:
                        continue
                    key = ("beta<0" if beta < 0 else "beta=0" if beta == 0 else "alpha=0" if alpha == 0 else "valid")
            if len(want[key]) < 2:
                want[key].append(w)
            if key == "valid" and len(want["repeated"]) < 2:
                want["repeated"].append(dict(w, inputs=[list(x0), list(x0)]))
        if all(len(v) == 2 for v in want.values()):
            break
    assert all(len(v) == 2 for v in want.values()), {k: len(v) for k, v in want.items()}
    out = [w for v in want.values() for w in v]
    valid = want["valid"][0]
    M = agop(valid)
    out.append(dict(valid, AGOP=[[str(e) for e in r] for r in M]))  # the AGOP recorded right
    out.append(dict(valid, AGOP=[[str(M[1][1]), str(M[0][1])], [str(M[1][0]), str(M[0][0])]]))  # recorded wrong
    return out


def _zero_match_boundaries(w):
    """The witness with the networks swapped (still one), with net_b = net_a (everything matches), with a repeated
    point, a hidden neuron zeroed, the outputs zeroed, and hidden_layer moved off the hidden layers."""
    a, b = w["net_a"], w["net_b"]
    zero_unit = copy.deepcopy(b)
    zero_unit["weights"][0][0] = [0, 0]
    zero_out = [copy.deepcopy(n) for n in (a, b)]
    for n in zero_out:
        n["weights"][-1] = [[0] * len(r) for r in n["weights"][-1]]
    return [dict(w, net_a=b, net_b=a), dict(w, net_b=a), dict(w, inputs=[w["inputs"][0]] * len(w["inputs"])),
            dict(w, net_b=zero_unit), dict(w, net_a=zero_out[0], net_b=zero_out[1]),
            dict(w, hidden_layer=0), dict(w, hidden_layer=2), dict(w, hidden_layer=-1)]


BOUNDARY["residual-at-optimum"] = _residual_boundaries()
BOUNDARY["svd-form"] = _svd_boundaries()
BOUNDARY["zero-match"] = _zero_match_boundaries(ZERO_MATCH)
BOUNDARY["zero-match isomorphic"] = _zero_match_boundaries(ISOMORPHIC) + [
    dict(ISOMORPHIC, net_b={"weights": [[[1, 0], [1, 0]], [[-1, -1], [0, 0]]], "biases": None})]  # ranks 2 vs 1

BOUNDARY_CASES = [(k, i, w) for k, ws in BOUNDARY.items() for i, w in enumerate(ws)]


@pytest.mark.parametrize("key, i, w", BOUNDARY_CASES, ids=[f"{k}:{i}" for k, i, _ in BOUNDARY_CASES])
def test_witnesses_on_each_side_of_each_boundary(key, i, w):
    recheck, valid, _ = RECHECKS[key]
    expected = valid(w)
    assert bool(recheck(w)) == expected, (f"{key} boundary case {i}: the re-check "
                                          f"{'rejects' if expected else 'ACCEPTS'} {w}")


@pytest.mark.parametrize("key", list(BOUNDARY))
def test_boundary_sets_hold_witnesses_and_non_witnesses(key):
    """Each boundary set has cases on both sides (else it could not tell a flipped comparison)."""
    answers = {RECHECKS[key][1](w) for w in BOUNDARY[key]} | {RECHECKS[key][1](RECHECKS[key][2])}
    assert answers == {True, False}, f"{key}: the boundary cases are all {answers}"


# --- comparison-flip mutants: the witness sets must catch each ------------------------------------------------------

FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt}

RECHECK_FUNCTIONS = {
    "orthogonal-relu": searches.recheck_orthogonal_relu,
    "basis-change": search_hessian.recheck_basis_change,
    "residual-at-optimum": search_hessian.recheck_residual_at_optimum,
    "svd-form": search_dnfa.recheck_svd_form,
    "zero-match": search_subspace.recheck_zero_match,
    "equivalent": search_equivalence.recheck_equivalent,
    "constant-init-breaks": search_random.recheck_unit_gradients_differ,
    "constant-gradient-entries": search_random.recheck_gradient_entries_differ,
    "naive-chain-rule": search_random.recheck_naive_chain_rule,
    "input-rows-unchanged": search_random.recheck_rows_unchanged,
}
CALLERS = {
    "zero-match": [(lambda f: lambda w: f(w, nonzero_output=True, no_zero_neuron=True), "zero-match"),
                   (lambda f: lambda w: f(w, isomorphic=True, nonzero_output=True, no_zero_neuron=True),
                    "zero-match isomorphic")],
    "equivalent": [(lambda f: lambda w: f(NET_A, NET_B, w, **EQ_OPTS), "equivalent")],
}
SHARED = {  # helpers a re-check calls: module, the re-checks that call them
    "_constant_w1": (search_random, ["constant-init-breaks", "constant-gradient-entries"]),
    "_at_kink": (search_random, ["constant-init-breaks", "constant-gradient-entries"]),
    "signed_permutation": (_matrices, ["orthogonal-relu", "basis-change"]),
}


def comparisons(fn):
    """``(source tree, [(node, op index), ...])`` for every comparison operator in ``fn``'s source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    return tree, [(node, i) for node in ast.walk(tree) if isinstance(node, ast.Compare)
                  for i, op in enumerate(node.ops) if type(op) in FLIP]


def mutant(fn, k):
    """``fn`` with its k-th comparison flipped (== ↔ !=, < ↔ >=, > ↔ <=), compiled in ``fn``'s module globals."""
    tree, sites = comparisons(fn)
    node, i = sites[k]
    node.ops[i] = FLIP[type(node.ops[i])]()
    tree.body[0].decorator_list = []
    ns = dict(fn.__globals__)
    exec(compile(ast.fix_missing_locations(tree), inspect.getsourcefile(fn), "exec"), ns)
    return ns[fn.__name__], ast.unparse(node)


def witness_set(key):
    _, valid, w = RECHECKS[key]
    return [w] + [bad for _, _, bad in one_changes(w)] + BOUNDARY.get(key, [])


MUTANTS = [(k, i) for k, fn in RECHECK_FUNCTIONS.items() for i in range(len(comparisons(fn)[1]))] + \
          [(f"helper {h}", i) for h, (mod, _) in SHARED.items() for i in range(len(comparisons(getattr(mod, h))[1]))]


@pytest.mark.parametrize("key, k", MUTANTS, ids=[f"{key}:{k}" for key, k in MUTANTS])
def test_every_flipped_comparison_is_caught(key, k, monkeypatch):
    """Negative control of the witness sets: a re-check with one comparison flipped disagrees with the exact
    evaluation on at least one witness of the sets above."""
    if key.startswith("helper "):
        helper = key.split()[1]
        mod, keys = SHARED[helper]
        bad_fn, shown = mutant(getattr(mod, helper), k)
        monkeypatch.setattr(mod, helper, bad_fn)
        runs = [(RECHECKS[kk][0], kk) for kk in keys]
    else:
        bad_fn, shown = mutant(RECHECK_FUNCTIONS[key], k)
        runs = [(make(bad_fn), kk) for make, kk in CALLERS.get(key, [(lambda f: f, key)])]
    caught = []
    for fn, kk in runs:
        valid = RECHECKS[kk][1]
        for w in witness_set(kk):
            try:
                got = bool(fn(w))
            except Exception:  # a mutant that crashes on a witness is caught too
                got = None
            if got != valid(w):
                caught.append(w)
                break
    assert caught, f"{key}: flipping `{shown}` is not caught by any witness"
