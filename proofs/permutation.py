r"""Permutation symmetry of MLPs (seed 001): proofs at general sizes, index level.

A permutation ``π`` of ``{0..N-1}`` acts through its matrix ``P_{kj} = δ_{k,π(j)}``, so that
``(AP)_{ij} = A_{i,π(j)}``.  ``σ`` is an undefined function (any element-wise activation).
The network is the seed's one-hidden-layer MLP in row-vector convention (:mod:`proofs._mlp`).

Every equality is a chain (:meth:`~nnclaims.proofs.record.Derivation.chain`): it starts at an expression
computed from the definitions (an entry of a matrix product written as a sum over Kronecker deltas, a
gradient obtained by differentiating the loss) and ends at the claimed form; each step is either a registered
sound rewrite (``normalise``, ``reindex``, ``doit``) or a stated expression checked for equality.
Computed booleans (a Z3 answer, another proof's outcome, a 50-digit certificate) are facts; counterexamples
are ``differ`` steps or refuting facts.
"""

from __future__ import annotations

import functools
from itertools import permutations

import sympy as sp

from nnclaims.caching import cached

from . import _mlp as M
from ._index import Ranges, normalise, perm_entry, reindex
from .record import Derivation, Proof, doit, equal

__all__ = [
    "prove_elementwise_commutes",
    "prove_orthogonal_commutes",
    "prove_inverse_is_transpose",
    "prove_row_column_action",
    "prove_forward_invariance",
    "prove_input_rows_break_symmetry",
    "prove_loss_invariance",
    "prove_mse_output_gradient",
    "prove_gradient_equivariance",
    "prove_sgd_equivariance",
    "prove_nonunique_minima",
    "permuted_params",
    "gradients",
    "input_gradient_at_zero",
    "ROTATION",
    "INPUT_ROWS_CONDITION",
]

pi = sp.Function("pi")
rho = sp.Function("rho")
tau = sp.Function("tau")
mm, nn = sp.symbols("m n", integer=True, positive=True)
i, j, k, l, u = sp.symbols("i j k l u", integer=True)
A, Z = sp.IndexedBase("A"), sp.IndexedBase("Z")
sigma = M.sigma
GENERAL = "general sizes (index-level, any m, n; σ an undefined function)"

ROTATION = sp.Matrix([[sp.Rational(3, 5), sp.Rational(-4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
"""The rational rotation of the counterexamples to perm.orthogonal-commutes (orthogonal, not a signed
permutation)."""

INPUT_ROWS_CONDITION = (
    "σ is differentiable at the hidden biases b1 and the network's input gradient at x = 0, "
    "g = W1 diag(σ'(b1)) W2 (d×q), is not invariant under the input permutation: Qg ≠ g "
    "(generic weights satisfy it; it fails e.g. when the rows of W1 that Q exchanges are equal)")


def _via(R: Ranges):
    """``normalise`` with fixed ranges, for comparing two stated expressions after evaluating their deltas."""
    return functools.partial(normalise, ranges=R)


def prove_elementwise_commutes(act=sigma) -> Proof:
    r"""Prove :math:`\sigma(Z)P = \sigma(ZP)` for any element-wise σ and permutation matrix P.

    .. math:: (\sigma(Z)P)_{ij} = \sum_k \sigma(Z_{ik})\,\delta_{k,\pi(j)} = \sigma(Z_{i,\pi(j)})
              = \sigma\Big(\sum_k Z_{ik}\delta_{k,\pi(j)}\Big) = \sigma(ZP)_{ij}

    >>> prove_elementwise_commutes().outcome
    'proved'
    """
    d = Derivation("perm.elementwise-commutes", r"\sigma(Z)P = \sigma(ZP)",
                   ["σ applied element-wise", "P_{kj} = δ_{k,π(j)} for a permutation π of {0..n-1}"])
    R = Ranges({i: mm, j: nn}, perms={pi: nn})
    entry_left = sp.Sum(act(Z[i, k]) * perm_entry(pi, k, j), (k, 0, nn - 1))  # (σ(Z)P)_{ij}
    entry_right = act(sp.Sum(Z[i, k] * perm_entry(pi, k, j), (k, 0, nn - 1)))  # σ(ZP)_{ij}
    (d.chain(entry_left)
     .by("(σ(Z)P)_{ij}: the delta picks k = π(j), column π(j) of σ(Z)", normalise, R)
     .then(entry_right, "= σ of column π(j) of Z, which is σ(ZP)_{ij}", via=_via(R)))
    return d.close(generality=GENERAL, general=True)


def _num_nonzero(x, digits=50) -> bool:
    """Certify an exact (possibly transcendental) number is nonzero by 50-digit evaluation."""
    v = sp.N(x, digits)
    return bool(abs(v) > sp.Float(10) ** (-(digits - 10)))


def odd_symmetry(act, z) -> dict:
    r"""The hypothesis that σ is odd, as the substitution :math:`\sigma(-z) \mapsto -\sigma(z)`."""
    return {act(-z): -act(z)}


def prove_orthogonal_commutes() -> Proof:
    r"""Characterise when :math:`\sigma(ZQ) = \sigma(Z)Q` for orthogonal Q.

    Proved (general sizes): it holds for every σ when Q is a permutation matrix; for every
    orthogonal Q when σ is linear through the origin (σ(x) = αx); for a signed permutation
    ``Q_{kj} = s_j δ_{k,π(j)}`` when σ is odd.  Refuted in its bare form by exact counterexamples:
    ReLU, tanh, GELU with the rotation :data:`ROTATION`, and the sigmoid with ``Q = -I``.

    >>> p = prove_orthogonal_commutes(); p.outcome, sorted(p.counterexample)
    ('proved', ['gelu', 'relu', 'sigmoid', 'tanh'])
    """
    d = Derivation("perm.orthogonal-commutes", r"\sigma(ZQ) = \sigma(Z)Q \;\forall Q \in O(n)",
                   ["σ applied element-wise", "Q orthogonal: QᵀQ = I"])
    R = Ranges({i: mm, j: nn}, perms={pi: nn})
    Q = sp.IndexedBase("Q")
    alpha, x = sp.Symbol("alpha"), sp.Symbol("x")
    lin = sp.Lambda(x, alpha * x)
    (d.chain(lin(sp.Sum(Z[i, k] * Q[k, j], (k, 0, nn - 1))))  # σ(ZQ)_{ij} for σ(x) = αx
     .then(sp.Sum(lin(Z[i, k]) * Q[k, j], (k, 0, nn - 1)),
           "σ(x) = αx: α moves into the sum, giving (σ(Z)Q)_{ij} for any Q"))

    s = sp.IndexedBase("s")
    signed = lambda k_, j_: s[j_] * perm_entry(pi, k_, j_)  # noqa: E731  Q_{kj} = s_j δ_{k,π(j)}
    gap = (sigma(sp.Sum(Z[i, k] * signed(k, j), (k, 0, nn - 1)))      # σ(ZQ)_{ij}
           - sp.Sum(sigma(Z[i, k]) * signed(k, j), (k, 0, nn - 1)))    # (σ(Z)Q)_{ij}
    z = Z[i, pi(j)]
    reduced = sigma(s[j] * z) - s[j] * sigma(z)
    (d.chain(gap)
     .by("signed permutation: the deltas pick k = π(j) on both sides", normalise, R)
     .then(reduced, "σ(ZQ)_{ij} − (σ(Z)Q)_{ij} = σ(s_j z) − s_j σ(z) with z = Z_{i,π(j)}")
     .assuming("an unsigned column, s_j = +1 (all of them for a permutation matrix)", {s[j]: 1})
     .then(sp.Integer(0), "the difference vanishes for any σ"))
    (d.chain(gap)
     .by("signed permutation: the deltas pick k = π(j) on both sides", normalise, R)
     .assuming("a sign flip, s_j = −1", {s[j]: -1})
     .then(sigma(-z) + sigma(z), "the difference is σ(−z) + σ(z)")
     .assuming("σ odd", odd_symmetry(sigma, z))
     .then(sp.Integer(0), "it vanishes for odd σ (tanh, σ(x) = αx)"))

    rot = ROTATION
    d.chain(rot.T * rot).then(sp.eye(2), "the rational rotation Q is orthogonal: QᵀQ = I")
    d.fact("Q is not a signed permutation (an entry outside {0, ±1}): outside every proved case",
           sp.latex(rot), "any entry ∉ {0, 1, −1}", any(e_ not in (0, 1, -1) for e_ in rot))
    acts = {
        "relu": sp.Lambda(x, sp.Max(0, x)),
        "tanh": sp.Lambda(x, sp.tanh(x)),
        "gelu": sp.Lambda(x, x * (1 + sp.erf(x / sp.sqrt(2))) / 2),
    }
    Zc = sp.Matrix([[1, 0]])
    witnesses = {}
    for name, f in acts.items():
        left, right = (Zc * rot).applyfunc(f), Zc.applyfunc(f) * rot
        if name == "relu":  # rational: an exact difference
            d.differ("counterexample, σ = relu, Z = [1, 0], Q the rotation", left, right)
        else:
            ok = any(_num_nonzero(lv - rv) for lv, rv in zip(left, right))
            d.fact(f"counterexample, σ = {name}, Z = [1, 0], Q the rotation",
                   f"{sp.latex(left)} \\neq {sp.latex(right)}",
                   "entries differ (exact, certified by 50-digit evaluation)", ok, refutes=True)
        witnesses[name] = {"Z": [[1, 0]], "Q": [[str(e_) for e_ in row] for row in rot.tolist()],
                           "sigma(ZQ)": [str(t) for t in left], "sigma(Z)Q": [str(t) for t in right]}
    sig = sp.Lambda(x, 1 / (1 + sp.exp(-x)))
    d.differ("counterexample, σ = sigmoid (not odd), Z = [0], Q = [−1] (a signed permutation): "
             "σ(0·(−1)) ≠ σ(0)·(−1)", sig(0), -sig(0))
    witnesses["sigmoid"] = {"Z": [[0]], "Q": [[-1]], "sigma(ZQ)": ["1/2"], "sigma(Z)Q": ["-1/2"]}
    return d.close(
        generality=GENERAL + "; counterexamples exact at n = 2",
        general=True,
        condition="Q is a permutation matrix (any σ), or σ(x) = αx (any orthogonal Q), or Q is a "
        "signed permutation and σ is odd; it fails for ReLU, tanh, GELU, sigmoid with a rotation",
        counterexample=witnesses,
    )


def prove_inverse_is_transpose() -> Proof:
    r"""Prove :math:`P^\top P = PP^\top = I` for the matrix of any permutation π.

    .. math:: (P^\top P)_{jl} = \sum_k \delta_{k\pi(j)}\delta_{k\pi(l)} = \delta_{\pi(j)\pi(l)} = \delta_{jl}

    >>> prove_inverse_is_transpose().outcome
    'proved'
    """
    d = Derivation("perm.inverse-is-transpose", r"P^{-1} = P^\top",
                   ["P_{kj} = δ_{k,π(j)}, π a bijection of {0..n-1}"])
    R = Ranges({j: nn, l: nn, i: nn, k: nn}, perms={pi: nn})
    (d.chain(sp.Sum(perm_entry(pi, k, j) * perm_entry(pi, k, l), (k, 0, nn - 1)))  # (PᵀP)_{jl}
     .by("the delta over k picks k = π(j); δ(π(j), π(l)) = δ(j, l) as π is injective", normalise, R)
     .then(sp.KroneckerDelta(j, l), "(PᵀP)_{jl} = δ_{jl}"))
    (d.chain(sp.Sum(perm_entry(pi, i, j) * perm_entry(pi, k, j), (j, 0, nn - 1)))  # (PPᵀ)_{ik}
     .by("reindex the sum j ↦ π(j) (π bijective)", reindex, R)
     .by("evaluate the delta sum", normalise, R)
     .then(sp.KroneckerDelta(i, k), "(PPᵀ)_{ik} = δ_{ik}"))
    return d.close(generality=GENERAL, general=True)


def prove_row_column_action() -> Proof:
    r"""Prove :math:`(AP)_{ij} = A_{i,\pi(j)}` (column j of AP is column π(j) of A) and
    :math:`(PA)_{\pi(i),j} = A_{ij}` (row i of A moves to row π(i) of PA), plus the seed's 3×3 row swap.

    >>> prove_row_column_action().outcome
    'proved'
    """
    d = Derivation("perm.row-column-action", r"(PA)_{\pi(i) j} = A_{ij},\ (AP)_{ij} = A_{i\pi(j)}",
                   ["P_{kj} = δ_{k,π(j)}, π a bijection of {0..n-1}"])
    R = Ranges({i: nn, j: nn}, perms={pi: nn})
    (d.chain(sp.Sum(A[i, k] * perm_entry(pi, k, j), (k, 0, nn - 1)))  # (AP)_{ij}
     .by("the delta picks k = π(j)", normalise, R)
     .then(A[i, pi(j)], "AP: column j is column π(j) of A"))
    (d.chain(sp.Sum(perm_entry(pi, pi(i), k) * A[k, j], (k, 0, nn - 1)))  # (PA)_{π(i), j}
     .by("δ(π(i), π(k)) = δ(i, k) (π injective), then the delta picks k = i", normalise, R)
     .then(A[i, j], "PA: row π(i) is row i of A, so the rows are permuted"))
    A3 = sp.Matrix(3, 3, sp.symbols("a0:9"))
    P3 = sp.Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    d.chain(P3 * A3).then(A3.extract([1, 0, 2], [0, 1, 2]),
                          "explicit (the seed's example): P swapping e1, e2 swaps rows 1, 2 of A")
    return d.close(generality=GENERAL, general=True)


def permuted_params(p: M.Params, perm=pi) -> M.Params:
    """Parameters of the permuted network: ``W1P``, ``b1P``, ``PᵀW2``, ``b2`` (entry form)."""
    return M.Params(
        lambda a_, j_: p.W1(a_, perm(j_)),
        lambda j_: p.b1(perm(j_)),
        lambda j_, c_: p.W2(perm(j_), c_),
        p.b2,
    )


def matrix_permuted_params(p: M.Params) -> M.Params:
    """Permuted parameters written as matrix products with P (sums over δ), before evaluation:
    ``(W1P)_{aj} = Σ_k W1_{ak} δ_{k,π(j)}``, ``(b1P)_j``, ``(PᵀW2)_{jc} = Σ_k δ_{k,π(j)} W2_{kc}``, ``b2``."""
    kk = sp.Symbol("kk", integer=True)
    return M.Params(
        lambda a_, j_: sp.Sum(p.W1(a_, kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)),
        lambda j_: sp.Sum(p.b1(kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)),
        lambda j_, c_: sp.Sum(perm_entry(pi, kk, j_) * p.W2(kk, c_), (kk, 0, M.h - 1)),
        p.b2,
    )


def _forward_steps(d: Derivation) -> None:
    """Chains shared by forward and loss invariance: Z' = ZP and O' = O."""
    p = M.indexed_params()
    R = M.ranges({pi: M.h})
    pp = matrix_permuted_params(p)
    (d.chain(M.preact(pp))  # Z'_{rj} = (X W1P + b1P)_{rj}
     .by("evaluate the deltas of W1P and b1P", normalise, R)
     .then(M.preact(p, M.r, pi(M.j)), "Z' = ZP: column j of Z' is column π(j) of Z"))
    (d.chain(M.output(pp))  # O'_{rc} = (σ(Z')PᵀW2 + b2)_{rc}
     .by("evaluate the deltas: hidden unit j contributes σ(Z_{r,π(j)}) W2_{π(j),c}", normalise, R)
     .by("reindex the hidden sum j ↦ π(j) (π bijective)", reindex, R)
     .then(M.output(p), "O' = O"))


def _deep_layer_step(d: Derivation) -> None:
    r"""Inductive step for depth L: if :math:`H'^{(l-1)}_{r,a} = H^{(l-1)}_{r,\pi_{l-1}(a)}` then
    :math:`H'^{(l)}_{r,j} = H^{(l)}_{r,\pi_l(j)}` under :math:`W_l \to P_{l-1}^\top W_l P_l,\ b_l \to b_l P_l`;
    at the output (:math:`P_{L+1} = I`) the permutation of the last hidden layer cancels."""
    p_prev, p_cur = sp.Function("pi_prev"), sp.Function("pi_cur")
    dp, dl = sp.symbols("d_prev d_l", integer=True, positive=True)
    rr, aa, jj, kk, ll, cc = sp.symbols("r a j kk ll c", integer=True)
    Hp, W, b = sp.IndexedBase("H^{(l-1)}"), sp.IndexedBase("W_l"), sp.IndexedBase("b_l")
    R = Ranges({aa: dp, jj: dl}, perms={p_prev: dp, p_cur: dl})
    # (P_{l-1}ᵀ W_l P_l)_{aj} = Σ_{k,l} δ_{k,π_{l-1}(a)} W_{kl} δ_{l,π_l(j)};  (b_l P_l)_j = Σ_l b_l δ_{l,π_l(j)}
    w_perm = sp.Sum(perm_entry(p_prev, kk, aa) * W[kk, ll] * perm_entry(p_cur, ll, jj),
                    (kk, 0, dp - 1), (ll, 0, dl - 1))
    b_perm = sp.Sum(b[ll] * perm_entry(p_cur, ll, jj), (ll, 0, dl - 1))
    # induction hypothesis: H'^{(l-1)}_{r,a} = H^{(l-1)}_{r,π_{l-1}(a)}
    z_perm = sp.Sum(Hp[rr, p_prev(aa)] * w_perm, (aa, 0, dp - 1)) + b_perm
    (d.chain(sigma(z_perm))  # H'^{(l)}_{rj} = σ(Z'^{(l)}_{rj})
     .by("depth L, inductive step: evaluate the deltas of P_{l-1}ᵀ W_l P_l and b_l P_l", normalise, R)
     .by("reindex a ↦ π_{l-1}(a) (π_{l-1} bijective)", reindex, R)
     .then(sigma(sp.Sum(Hp[rr, aa] * W[aa, p_cur(jj)], (aa, 0, dp - 1)) + b[p_cur(jj)]),
           "H'^{(l)}_{r,j} = σ(Z^{(l)}_{r,π_l(j)}) = H^{(l)}_{r,π_l(j)}: the hypothesis holds at layer l"))
    out = sp.Sum(Hp[rr, p_prev(aa)] * sp.Sum(perm_entry(p_prev, kk, aa) * W[kk, cc], (kk, 0, dp - 1)),
                 (aa, 0, dp - 1))  # output layer, P_{L+1} = I: Σ_a H'_{r,a} (P_Lᵀ W)_{a,c}
    (d.chain(out)
     .by("output layer (P_{L+1} = I): evaluate the deltas of P_Lᵀ W", normalise, R)
     .by("reindex a ↦ π_L(a)", reindex, R)
     .then(sp.Sum(Hp[rr, aa] * W[aa, cc], (aa, 0, dp - 1)), "= (H^{(L)} W)_{rc}: the output is unchanged"))


def prove_forward_invariance() -> Proof:
    r"""Prove that :math:`W_1\to W_1P,\ b_1\to b_1P,\ W_2\to P^\top W_2,\ b_2\to b_2` leaves
    :math:`O = \sigma(XW_1+b_1)W_2 + b_2` unchanged, and the depth-L version by induction on layers.

    >>> prove_forward_invariance().outcome
    'proved'
    """
    d = Derivation("perm.forward-invariance", r"\sigma(XW_1P + b_1P)P^\top W_2 + b_2 = \sigma(XW_1+b_1)W_2+b_2",
                   ["σ element-wise", "P the matrix of a permutation π of the h hidden units",
                    "depth L: W_l → P_{l-1}ᵀ W_l P_l, b_l → b_l P_l with P_0 = P_{L+1} = I"])
    _forward_steps(d)
    _deep_layer_step(d)
    return d.close(generality=GENERAL + "; depth L by induction over layers", general=True)


def input_gradient_at_zero(p: M.Params, feature, out=M.c):
    r"""The network's input gradient at :math:`x = 0`,
    :math:`g_{a c} = \partial O_{rc}/\partial X_{ra}\,|_{X=0} = \sum_j \sigma'(b_{1j}) W_{1,aj} W_{2,jc}`."""
    zz = sp.Symbol("z")
    return sp.Sum(sp.diff(sigma(zz), zz).subs(zz, p.b1(M.j)) * p.W1(feature, M.j) * p.W2(M.j, out),
                  (M.j, 0, M.h - 1))


def _tanh_net(W1, W2, xs):
    """An explicit one-hidden-layer tanh network, no biases: ``tanh(x W1) W2``."""
    return (sp.Matrix([list(xs)]) * W1).applyfunc(sp.tanh) * W2


def prove_input_rows_break_symmetry() -> Proof:
    r"""Row-permuting :math:`W_1` (:math:`W_1 \to QW_1`, Q the matrix of a permutation τ of the d inputs)
    gives the original network on permuted inputs, :math:`f_{QW_1}(X) = f_{W_1}(XQ)`, and it changes the
    function whenever the input gradient at 0 is not Q-invariant:

    .. math:: g = W_1\,\mathrm{diag}(\sigma'(b_1))\,W_2,\qquad Qg \ne g \;\Rightarrow\; f_{QW_1} \not\equiv f_{W_1},

    because :math:`\partial_{X_{r,\tau(e)}} f_{QW_1}(0) = g_{e\cdot}` while
    :math:`\partial_{X_{r,\tau(e)}} f_{W_1}(0) = g_{\tau(e)\cdot}`.  The bare claim ("it changes the function")
    is false: exact networks with distinct rows of W1 (and with equal rows) are unchanged by the row swap.

    >>> p = prove_input_rows_break_symmetry(); p.outcome, p.condition is not None
    ('proved', True)
    """
    d = Derivation("perm.input-rows-break-symmetry",
                   r"Qg \neq g \Rightarrow f_{QW_1} \not\equiv f_{W_1},\ g = W_1\,\mathrm{diag}(\sigma'(b_1))\,W_2",
                   ["Q the matrix of a permutation τ of the d input features: (XQ)_{ra} = X_{r,τ(a)}",
                    "σ differentiable at b1"])
    R = M.ranges({tau: M.d})
    p = M.indexed_params()
    kk, t = sp.Symbol("kk", integer=True), sp.Symbol("t")
    # (QW1)_{aj} = Σ_k Q_{ak} W1_{kj} with Q_{ak} = δ_{a,τ(k)}
    qw1 = M.Params(lambda a_, j_: sp.Sum(perm_entry(tau, a_, kk) * p.W1(kk, j_), (kk, 0, M.d - 1)), p.b1, p.W2, p.b2)
    xq = lambda r_, a_: sp.Sum(M.X[r_, kk] * perm_entry(tau, kk, a_), (kk, 0, M.d - 1))  # noqa: E731  (XQ)_{ra}
    (d.chain(M.output(qw1))
     .by("evaluate the deltas of QW1", normalise, R)
     .then(M.output(p, inp=xq), "f_{QW1}(X) = f_{W1}(XQ): the row-permuted network is the original one on "
           "permuted inputs (no operation on W2 undoes it)", via=_via(R)))
    # the input gradients at 0, along the coordinate τ(e): X_{ra} = t δ_{a,τ(e)}, t → 0
    line = lambda r_, a_: t * sp.KroneckerDelta(a_, tau(M.e))  # noqa: E731
    n0 = len(d.steps)
    (d.chain(sp.Derivative(M.output(qw1, inp=line), t))
     .by("differentiate f_{QW1} along the input coordinate τ(e)", doit)
     .by("evaluate the deltas", normalise, R)
     .assuming("at the input x = 0", {t: 0})
     .then(input_gradient_at_zero(p, M.e), "∂f_{QW1}/∂x_{τ(e)} at 0 is g_{e,c}"))
    (d.chain(sp.Derivative(M.output(p, inp=line), t))
     .by("differentiate f_{W1} along the same coordinate", doit)
     .by("evaluate the deltas", normalise, R)
     .assuming("at the input x = 0", {t: 0})
     .then(input_gradient_at_zero(p, tau(M.e)), "∂f_{W1}/∂x_{τ(e)} at 0 is g_{τ(e),c}"))
    d.fact("so f_{QW1} ≡ f_{W1} would give g_{e,c} = g_{τ(e),c} for all e, c, i.e. Qg = g; contrapositive: "
           "Qg ≠ g ⇒ the function changes (a sufficient condition on the weights, not the conclusion restated)",
           r"f_{QW_1} \equiv f_{W_1} \Rightarrow Q^\top g = g", "the two gradient chains above hold",
           all(s_.holds for s_ in d.steps[n0:]))

    Qs = sp.Matrix([[0, 1], [1, 0]])
    xs = sp.symbols("x0 x1")
    grad0 = lambda W1, W2: W1 * W2  # noqa: E731  g at x = 0 for tanh with b1 = 0 (tanh'(0) = 1)
    W1m, W2m = sp.Matrix([[1], [0]]), sp.Matrix([[1]])
    d.fact("the condition can be met: W1 = [1, 0]ᵀ, W2 = [1], tanh, b1 = 0 give g = [1, 0]ᵀ and Qg ≠ g",
           r"Qg \neq g", "Q·(W1 W2) != W1 W2 (exact)", Qs * grad0(W1m, W2m) != grad0(W1m, W2m))
    d.fact("… and there the function changes, as the implication says: f_{QW1}(1, 0) = 0 ≠ tanh(1) = f_{W1}(1, 0)",
           r"f_{QW_1}(1,0) \neq f_{W_1}(1,0)", "entries differ (exact, certified by 50-digit evaluation)",
           _num_nonzero((_tanh_net(Qs * W1m, W2m, (1, 0)) - _tanh_net(W1m, W2m, (1, 0)))[0]))
    witnesses = {}
    for name, W1m, W2m in (("distinct rows", sp.Matrix([[1, 2], [2, 1]]), sp.Matrix([[1], [1]])),
                           ("equal rows", sp.Matrix([[1, 2], [1, 2]]), sp.Matrix([[1], [-1]]))):
        unchanged = equal(_tanh_net(Qs * W1m, W2m, xs), _tanh_net(W1m, W2m, xs))
        d.fact(f"counterexample to the bare claim ({name}): W1 = {W1m.tolist()}, W2 = {W2m.tolist()}, tanh, "
               "no biases: swapping the rows of W1 leaves f unchanged for every input",
               r"f_{QW_1}(x) = f_{W_1}(x)\ \forall x", "simplify(f_QW1(x) − f_W1(x)) == 0 (x symbolic)",
               unchanged, refutes=True)
        d.fact("… and it does not meet the condition (Qg = g), as the proved implication requires",
               r"Qg = g", "Q·(W1 W2) == W1 W2 (exact)", Qs * grad0(W1m, W2m) == grad0(W1m, W2m))
        witnesses[name] = {"W1": W1m.tolist(), "W2": W2m.tolist(), "Q": Qs.tolist(), "activation": "tanh",
                           "biases": None}
    return d.close(
        generality=GENERAL + "; counterexamples exact at d = 2",
        general=True,
        condition=INPUT_ROWS_CONDITION,
        counterexample=witnesses,
    )


def prove_loss_invariance() -> Proof:
    r"""Prove :math:`\sum_{r,c}\ell(O'_{rc}, Y_{rc}) = \sum_{r,c}\ell(O_{rc}, Y_{rc})` for any loss
    ℓ of the outputs, and invariance of the L2 penalty :math:`\|W_1P\|^2 = \|W_1\|^2`.

    >>> prove_loss_invariance().outcome
    'proved'
    """
    d = Derivation("perm.loss-invariance", r"L(\theta_P) = L(\theta)",
                   ["loss depends on the parameters only through O, plus optionally the L2 penalty",
                    "P the matrix of a permutation of the hidden units"])
    _forward_steps(d)
    p = M.indexed_params()
    R = M.ranges({pi: M.h})
    (d.chain(M.elementwise_loss(matrix_permuted_params(p)))  # Σ ℓ(O'_{rc}, Y_{rc})
     .by("evaluate the deltas of θ_P inside every output", normalise, R)
     .by("reindex the hidden sums j ↦ π(j)", reindex, R)
     .then(M.elementwise_loss(p), "any loss of the outputs: Σ ℓ(O', Y) = Σ ℓ(O, Y)"))
    W1 = sp.IndexedBase("W1")
    kk = sp.Symbol("kk", integer=True)
    (d.chain(sp.Sum(sp.Sum(W1[M.a, kk] * perm_entry(pi, kk, M.j), (kk, 0, M.h - 1)) ** 2,
                    (M.j, 0, M.h - 1), (M.a, 0, M.d - 1)))  # ‖W1P‖²
     .by("evaluate the deltas: (W1P)_{aj} = W1_{a,π(j)}", normalise, R)
     .by("reindex j ↦ π(j)", reindex, R)
     .then(sp.Sum(W1[M.a, M.j] ** 2, (M.j, 0, M.h - 1), (M.a, 0, M.d - 1)), "L2 penalty: ‖W1P‖² = ‖W1‖²"))
    return d.close(generality=GENERAL, general=True)


def gradients(p: M.Params, loss=M.mse_loss, act=sigma) -> dict:
    """Index-level gradients of ``loss`` w.r.t. ``W1[e,m]``, ``b1[m]``, ``W2[m,s]``, ``b2[s]``.

    ``p`` must be built from IndexedBases (:func:`proofs._mlp.indexed_params`).
    """
    W1, b1, W2, b2 = M.bases(p)
    L = loss(p, act)
    R = M.ranges()
    e, m, s = M.e, M.m, M.s
    return {
        "W1": normalise(sp.diff(L, W1[e, m]), R),
        "b1": normalise(sp.diff(L, b1[m]), R),
        "W2": normalise(sp.diff(L, W2[m, s]), R),
        "b2": normalise(sp.diff(L, b2[s]), R),
    }


def half_squared_error(o, y):
    r""":math:`\tfrac12 (o - y)^2`, the seed's loss per entry."""
    return (o - y) ** 2 / 2


def prove_mse_output_gradient() -> Proof:
    r"""Prove, for :math:`L = \tfrac12\|O-Y\|^2` with :math:`O = HW_2 + \mathbf 1 b_2`:

    .. math:: \frac{\partial L}{\partial W_2} = H^\top(O - Y),\qquad
              \frac{\partial L}{\partial b_2} = \mathbf 1^\top (O - Y)

    at general sizes by differentiating the indexed sum, cross-checked at n = h = q = 2 by
    differentiating explicit matrices.

    >>> prove_mse_output_gradient().outcome
    'proved'
    """
    d = Derivation("perm.mse-output-gradient", r"\partial L/\partial W_2 = H^\top(O-Y),\ \partial L/\partial b_2 = \mathbf 1^\top(O-Y)",
                   ["L = ½‖O − Y‖² (a sum over samples, not a mean)", "O = HW2 + 1b2"])
    H, W2, b2 = sp.IndexedBase("H"), sp.IndexedBase("W2"), sp.IndexedBase("b2")
    r, c, jj = M.r, M.c, M.j
    O = lambda r_, c_: sp.Sum(H[r_, jj] * W2[jj, c_], (jj, 0, M.h - 1)) + b2[c_]  # noqa: E731
    L = sp.Sum(half_squared_error(O(r, c), M.Y[r, c]), (r, 0, M.n - 1), (c, 0, M.q - 1))
    R = M.ranges()
    (d.chain(sp.Derivative(L, W2[M.m, M.s]))
     .by("differentiate the indexed sum", doit)
     .by("evaluate the deltas δ(j, m) δ(c, s)", normalise, R)
     .then(sp.Sum(H[r, M.m] * (O(r, M.s) - M.Y[r, M.s]), (r, 0, M.n - 1)),
           "∂L/∂W2_{ms} = Σ_r H_{rm}(O_{rs} − Y_{rs}) = (Hᵀ(O−Y))_{ms}", via=_via(R)))
    (d.chain(sp.Derivative(L, b2[M.s]))
     .by("differentiate the indexed sum", doit)
     .by("evaluate the delta δ(c, s)", normalise, R)
     .then(sp.Sum(O(r, M.s) - M.Y[r, M.s], (r, 0, M.n - 1)),
           "∂L/∂b2_s = Σ_r (O_{rs} − Y_{rs}) (sum of the rows of O − Y)", via=_via(R)))
    # explicit-size supplement
    Hm, Wm, Ym = (sp.Matrix(2, 2, sp.symbols(f"{s_}0:4")) for s_ in ("h", "w", "y"))
    bm = sp.Matrix(1, 2, sp.symbols("bb0:2"))
    Om = Hm * Wm + sp.ones(2, 1) * bm
    Lm = sum(half_squared_error(o_, y_) for o_, y_ in zip(Om, Ym))
    (d.chain(Wm.applyfunc(lambda w_: sp.Derivative(Lm, w_)))
     .by("differentiate (explicit n = h = q = 2)", doit)
     .then(Hm.T * (Om - Ym), "explicit check: ∂L/∂W2 = Hᵀ(O − Y)"))
    (d.chain(bm.applyfunc(lambda b_: sp.Derivative(Lm, b_)))
     .by("differentiate (explicit n = q = 2)", doit)
     .then(sp.ones(1, 2) * (Om - Ym), "explicit check: ∂L/∂b2 = 1ᵀ(O − Y)"))
    return d.close(generality=GENERAL + "; explicit cross-check at n = h = q = 2", general=True)


def _equivariance_steps(d: Derivation, loss, name: str) -> None:
    """Gradients of the permuted network equal the permuted gradients, for ``loss``: each chain starts at the
    gradient formula ∇_V L evaluated at V = θ_P and ends at the permuted gradient ∇L(θ) read at π(m)."""
    R = M.ranges({pi: M.h})
    p = M.indexed_params()
    g = gradients(p, loss)
    V = M.indexed_params("V")
    gv = gradients(V, loss)
    pp = permuted_params(p)
    VW1, Vb1, VW2, Vb2 = M.bases(V)
    at = {VW1: lambda t: pp.W1(*t.indices), Vb1: lambda t: pp.b1(*t.indices),
          VW2: lambda t: pp.W2(*t.indices), Vb2: lambda t: pp.b2(*t.indices)}

    def at_permuted(expr):
        """Evaluate a V-gradient at V = θ_P (V1 = W1P, Vb1 = b1P, V2 = PᵀW2, Vb2 = b2)."""
        return expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base in at, lambda t: at[t.base](t))

    m = M.m
    for key, claimed, what in (("W1", g["W1"].subs(m, pi(m)), "∂L'/∂W1' = (∂L/∂W1)P: entry (e, m) is ∂L/∂W1 at (e, π(m))"),
                               ("b1", g["b1"].subs(m, pi(m)), "∂L'/∂b1' = (∂L/∂b1)P"),
                               ("W2", g["W2"].subs(m, pi(m)), "∂L'/∂W2' = Pᵀ ∂L/∂W2: row m is row π(m)"),
                               ("b2", g["b2"], "∂L'/∂b2 = ∂L/∂b2")):
        (d.chain(at_permuted(gv[key]))
         .by(f"{name}: reindex the hidden sums j ↦ π(j)", reindex, R)
         .by("evaluate the deltas (δ(π(j), π(m)) = δ(j, m))", normalise, R)
         .then(claimed, f"{name}: {what}"))


@cached
def prove_gradient_equivariance() -> Proof:
    r"""Prove that at :math:`\theta_P = (W_1P, b_1P, P^\top W_2, b_2)` the gradients are
    :math:`((\partial_{W_1}L)P, (\partial_{b_1}L)P, P^\top\partial_{W_2}L, \partial_{b_2}L)`,
    for the MSE loss and for any element-wise loss ℓ(O_rc, Y_rc), any σ, general sizes (cached)."""
    d = Derivation("perm.gradient-equivariance", r"\nabla L(\theta_P) = (\nabla L(\theta))_P",
                   ["σ differentiable element-wise", "loss ½‖O−Y‖², and Σ ℓ(O_rc, Y_rc) for any differentiable ℓ"])
    _equivariance_steps(d, M.mse_loss, "MSE")
    _equivariance_steps(d, M.elementwise_loss, "any ℓ")
    return d.close(generality=GENERAL, general=True)


def _update_rules():
    """Element-wise optimiser updates at entry ``k``: name → (new state, state names)."""
    th, g, mo, v = (sp.IndexedBase(s_) for s_ in ("theta", "g", "mom", "v"))
    lr, beta, b1, b2, eps, lam, t = sp.symbols("alpha beta beta1 beta2 epsilon lambda t", positive=True)
    kk = sp.Symbol("k", integer=True)
    m_new = b1 * mo[kk] + (1 - b1) * g[kk]
    v_new = b2 * v[kk] + (1 - b2) * g[kk] ** 2
    adam = th[kk] - lr * (m_new / (1 - b1 ** t)) / (sp.sqrt(v_new / (1 - b2 ** t)) + eps)
    return kk, (th, g, mo, v), {
        "sgd": [th[kk] - lr * g[kk]],
        "sgd+momentum": [beta * mo[kk] + g[kk], th[kk] - lr * (beta * mo[kk] + g[kk])],
        "sgd+L2 weight decay": [th[kk] - lr * (g[kk] + lam * th[kk])],
        "adam": [m_new, v_new, adam],
        "adamw (decoupled decay)": [m_new, v_new, adam - lr * lam * th[kk]],
    }


def prove_sgd_equivariance() -> Proof:
    r"""Prove by induction over steps that training from :math:`\theta_P` stays at
    :math:`(\theta_t)_P` for SGD, momentum, L2 weight decay, Adam and AdamW.

    The permutation acts on the flat parameter vector as a permutation τ of its entries
    (:math:`\theta'_k = \theta_{\tau(k)}`).  Base case: :math:`\theta'_0 = (\theta_0)_P`, optimiser
    state zero.  Step: gradients are equivariant (:func:`prove_gradient_equivariance`), and each
    update is element-wise, so the update at entry k of the permuted run is the update at τ(k).

    >>> prove_sgd_equivariance().outcome
    'proved'
    """
    d = Derivation("perm.sgd-equivariance", r"\theta'_t = (\theta_t)_P\ \forall t",
                   ["same data, same minibatch order, no dropout (or dropout masks permuted alike)",
                    "exact arithmetic (in floating point, summation order may differ: see numeric)",
                    "optimiser state initialised equivariantly (e.g. zero)"])
    grad = prove_gradient_equivariance()
    d.fact("gradient equivariance g'_k = g_{τ(k)} (perm.gradient-equivariance)",
           r"\nabla L(\theta_P) = (\nabla L(\theta))_P", "nnclaims.proofs.permutation.prove_gradient_equivariance",
           grad.outcome == "proved")
    kk, state, rules = _update_rules()
    primed = {b: sp.IndexedBase(f"{b.name}'") for b in state}
    hypothesis = {primed[b][kk]: b[tau(kk)] for b in state}
    for name, updates in rules.items():
        for upd in updates:
            touched = {t.indices for t in upd.atoms(sp.Indexed)}
            d.fact(f"{name}: the update reads only entry k of the parameters and the optimiser state",
                   r"\mathrm{indices}(u_k) = \{k\}", "indexed atoms ⊆ {entry k}", touched == {(kk,)})
            (d.chain(upd.xreplace(primed))  # the permuted run's update at entry k
             .assuming("induction hypothesis: θ'_k = θ_{τ(k)}, m'_k = m_{τ(k)}, v'_k = v_{τ(k)}, and "
                       "g'_k = g_{τ(k)} (gradient equivariance)", hypothesis)
             .then(upd.subs(kk, tau(kk)), f"{name}: = the original run's update at entry τ(k)"))
    return d.close(generality="any number of steps (induction); any sizes", general=True)


def distinct_units(z3, uf, x, y):
    """The hypothesis that the hidden units are pairwise distinct: ``u(x) = u(y) ⇒ x = y``."""
    return z3.ForAll([x, y], z3.Implies(uf(x) == uf(y), x == y))


def prove_nonunique_minima() -> Proof:
    r"""A minimum θ* whose hidden units :math:`u_j = (W_1[:,j], b_1[j], W_2[j,:])` are pairwise
    distinct has at least h! distinct parameter vectors with the same loss: its permuted copies.

    Equal loss: :func:`prove_loss_invariance`; each copy is a minimum since the permutation is an
    isometry of parameter space.  Distinctness: ``θ_π = θ_ρ`` means ``u∘π = u∘ρ``; with ``u``
    injective this forces ``π = ρ`` — proved by Z3 over an uninterpreted sort (any h).

    >>> prove_nonunique_minima().outcome
    'proved'
    """
    import z3

    d = Derivation("perm.nonunique-minima", r"|\{\theta^*_P : P \in S_h\}| = h!",
                   ["hidden units u_j pairwise distinct", "the loss as in perm.loss-invariance"])
    inv = prove_loss_invariance()
    d.fact("every permuted copy has the same loss (perm.loss-invariance)", r"L(\theta_P) = L(\theta)",
           "nnclaims.proofs.permutation.prove_loss_invariance", inv.outcome == "proved")
    ctx = z3.Context()
    Unit, Idx = z3.DeclareSort("Unit", ctx), z3.DeclareSort("Idx", ctx)
    uf = z3.Function("u", Idx, Unit)
    p1, p2 = z3.Function("pi", Idx, Idx), z3.Function("rho", Idx, Idx)
    x, y = z3.Consts("x y", Idx)
    solver = z3.Solver(ctx=ctx)
    solver.add(distinct_units(z3, uf, x, y))
    solver.add(z3.ForAll([x], uf(p1(x)) == uf(p2(x))))  # θ_π = θ_ρ
    j0 = z3.Const("j0", Idx)
    solver.add(p1(j0) != p2(j0))  # negation of π = ρ
    res = solver.check()
    d.fact("θ_π = θ_ρ and distinct units imply π = ρ (Z3: negation unsatisfiable, any h)",
           r"u\circ\pi = u\circ\rho \wedge u \text{ injective} \Rightarrow \pi = \rho",
           f"z3 check of the negation: {res}", res == z3.unsat)
    us = sp.symbols("u0:3")
    copies = {tuple(us[i_] for i_ in perm) for perm in permutations(range(3))}
    d.fact("explicit supplement: h = 3 gives 3! = 6 distinct copies", r"|S_3\cdot\theta| = 6",
           "len(set of permuted unit tuples) == 6", len(copies) == 6)
    return d.close(generality="any h (first-order proof in Z3)", general=True)
