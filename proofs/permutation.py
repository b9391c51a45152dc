r"""Permutation symmetry of MLPs (seed 001): proofs at general sizes, index level.

A permutation ``π`` of ``{0..N-1}`` acts through its matrix ``P_{kj} = δ_{k,π(j)}``, so that
``(AP)_{ij} = A_{i,π(j)}``.  ``σ`` is an undefined function (any element-wise activation).
The network is the seed's one-hidden-layer MLP in row-vector convention (:mod:`proofs._mlp`).
"""

from __future__ import annotations

import functools

import sympy as sp

from . import _mlp as M
from ._index import Ranges, normalise, perm_entry, reindex
from .record import Derivation, Proof

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
]

pi = sp.Function("pi")
rho = sp.Function("rho")
pinv = sp.Function("pi^{-1}")
mm, nn = sp.symbols("m n", integer=True, positive=True)
i, j, k, l, u = sp.symbols("i j k l u", integer=True)
A, Z = sp.IndexedBase("A"), sp.IndexedBase("Z")
sigma = M.sigma
GENERAL = "general sizes (index-level, any m, n; σ an undefined function)"


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
     .then(entry_right, "= σ of column π(j) of Z, which is σ(ZP)_{ij}", via=functools.partial(normalise, ranges=R)))
    return d.close(generality=GENERAL, general=True)


def _num_nonzero(x, digits=50) -> bool:
    """Certify an exact (possibly transcendental) number is nonzero by 50-digit evaluation."""
    v = sp.N(x, digits)
    return bool(abs(v) > sp.Float(10) ** (-(digits - 10)))


def prove_orthogonal_commutes() -> Proof:
    r"""Characterise when :math:`\sigma(ZQ) = \sigma(Z)Q` for orthogonal Q.

    Proved (general sizes): it holds for every σ when Q is a permutation matrix; for every
    orthogonal Q when σ is linear through the origin (σ(x) = αx); for a signed permutation
    ``Q_{kj} = s_j δ_{k,π(j)}`` exactly when σ is odd on the entries hit by ``s_j = -1``.
    Refuted in its bare form by exact counterexamples: ReLU, tanh, GELU with the rotation
    ``[[3/5, -4/5], [4/5, 3/5]]``, and the sigmoid with ``Q = -I``.
    """
    d = Derivation("perm.orthogonal-commutes", r"\sigma(ZQ) = \sigma(Z)Q \;\forall Q \in O(n)",
                   ["σ applied element-wise", "Q orthogonal: QᵀQ = I"])
    R = Ranges({i: mm, j: nn}, perms={pi: nn})
    Q = sp.IndexedBase("Q")
    alpha = sp.Symbol("alpha")
    lin = sp.Lambda(sp.Symbol("x"), alpha * sp.Symbol("x"))
    d.equal("σ(x)=αx: σ(ZQ)_{ij} = α Σ_k Z_ik Q_kj = (σ(Z)Q)_{ij} for any Q",
            lin(sp.Sum(Z[i, k] * Q[k, j], (k, 0, nn - 1))),
            sp.Sum(lin(Z[i, k]) * Q[k, j], (k, 0, nn - 1)))
    svec = sp.IndexedBase("s")
    signed = lambda k_, j_: svec[j_] * perm_entry(pi, k_, j_)
    lhs = normalise(sigma(sp.Sum(Z[i, k] * signed(k, j), (k, 0, nn - 1))), R)
    rhs = normalise(sp.Sum(sigma(Z[i, k]) * signed(k, j), (k, 0, nn - 1)), R)
    z = sp.Symbol("z")
    d.equal("signed permutation: σ(ZQ)_{ij} − (σ(Z)Q)_{ij} = σ(s_j z) − s_j σ(z), z = Z_{i,π(j)}",
            lhs - rhs, sigma(svec[j] * Z[i, pi(j)]) - svec[j] * sigma(Z[i, pi(j)]))
    d.equal("for s_j = +1 the difference vanishes (permutations: any σ)",
            (sigma(svec[j] * z) - svec[j] * sigma(z)).subs(svec[j], 1), 0)
    d.equal("for s_j = −1 it is σ(−z) + σ(z): zero iff σ is odd",
            (sigma(svec[j] * z) - svec[j] * sigma(z)).subs(svec[j], -1), sigma(-z) + sigma(z))

    rot = sp.Matrix([[sp.Rational(3, 5), sp.Rational(-4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    d.equal("the rational rotation Q is orthogonal", rot.T * rot, sp.eye(2))
    x = sp.Symbol("x")
    acts = {
        "relu": sp.Lambda(x, sp.Max(0, x)),
        "tanh": sp.Lambda(x, sp.tanh(x)),
        "gelu": sp.Lambda(x, x * (1 + sp.erf(x / sp.sqrt(2))) / 2),
    }
    Zc = sp.Matrix([[1, 0]])
    witnesses = {}
    for name, f in acts.items():
        left = (Zc * rot).applyfunc(f)
        right = Zc.applyfunc(f) * rot
        diff = [sp.nsimplify(0) + (lv - rv) for lv, rv in zip(left, right)]
        ok = any(_num_nonzero(t) for t in diff)
        d.fact(f"counterexample, σ = {name}, Z = [1, 0], Q = rotation(3/5, 4/5)",
               f"{sp.latex(left)} \\neq {sp.latex(right)}",
               "entries differ (exact, certified by 50-digit evaluation)", ok)
        witnesses[name] = {"Z": [[1, 0]], "Q": [["3/5", "-4/5"], ["4/5", "3/5"]],
                           "sigma(ZQ)": [str(t) for t in left], "sigma(Z)Q": [str(t) for t in right]}
    sig = sp.Lambda(x, 1 / (1 + sp.exp(-x)))
    d.differ("counterexample, σ = sigmoid (not odd), Z = [0], Q = [−1]: σ(0·(−1)) ≠ σ(0)·(−1)",
             sig(0), -sig(0))
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
    """
    d = Derivation("perm.inverse-is-transpose", r"P^{-1} = P^\top",
                   ["P_{kj} = δ_{k,π(j)}, π a bijection of {0..n-1}"])
    R = Ranges({j: nn, l: nn, i: nn, k: nn}, perms={pi: nn})
    ptp = sp.Sum(perm_entry(pi, k, j) * perm_entry(pi, k, l), (k, 0, nn - 1))
    d.equal("(PᵀP)_{jl} = δ_{π(j)π(l)} = δ_{jl} (π injective)", normalise(ptp, R), sp.KroneckerDelta(j, l))
    ppt = sp.Sum(perm_entry(pi, i, j) * perm_entry(pi, k, j), (j, 0, nn - 1))
    re = reindex(ppt, R)
    d.equal("(PPᵀ)_{ik}: reindex j ↦ π(j) (π bijective)", re,
            sp.Sum(sp.KroneckerDelta(i, j) * sp.KroneckerDelta(k, j), (j, 0, nn - 1)))
    d.equal("(PPᵀ)_{ik} = δ_{ik}", normalise(re, R), sp.KroneckerDelta(i, k))
    return d.close(generality=GENERAL, general=True)


def prove_row_column_action() -> Proof:
    r"""Prove :math:`(AP)_{ij} = A_{i,\pi(j)}` (columns permuted) and
    :math:`(PA)_{ij} = A_{\pi^{-1}(i),j}` (rows permuted), plus the seed's 3×3 row-swap example.
    """
    d = Derivation("perm.row-column-action", r"(PA)_{ij} = A_{\pi^{-1}(i) j},\ (AP)_{ij} = A_{i\pi(j)}",
                   ["P_{kj} = δ_{k,π(j)}, π a bijection with inverse π⁻¹"])
    R = Ranges({i: nn, j: nn}, perms={pi: nn, pinv: nn})
    d.equal("AP: column j is column π(j) of A",
            normalise(sp.Sum(A[i, k] * perm_entry(pi, k, j), (k, 0, nn - 1)), R), A[i, pi(j)])
    pa = sp.Sum(perm_entry(pi, i, k) * A[k, j], (k, 0, nn - 1))
    # reindex k = π⁻¹(u): a bijection of the summation range; then π(π⁻¹(u)) = u
    pa_u = sp.Sum(pa.function.subs(k, pinv(u)).replace(
        lambda t: isinstance(t, sp.Function) and t.func == pi and t.args[0] == pinv(u), lambda t: u),
        (u, 0, nn - 1))
    d.equal("PA: reindex k = π⁻¹(u) and use π(π⁻¹(u)) = u", pa_u,
            sp.Sum(sp.KroneckerDelta(i, u) * A[pinv(u), j], (u, 0, nn - 1)))
    d.equal("PA: row i is row π⁻¹(i) of A", normalise(pa_u, R), A[pinv(i), j])
    A3 = sp.Matrix(3, 3, sp.symbols("a0:9"))
    P3 = sp.Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    d.equal("explicit (seed's example): P swapping e1, e2 swaps rows 1, 2 of A",
            P3 * A3, A3.extract([1, 0, 2], [0, 1, 2]))
    return d.close(generality=GENERAL, general=True)


def permuted_params(p: M.Params, perm=pi) -> M.Params:
    """Parameters of the permuted network: ``W1P``, ``b1P``, ``PᵀW2``, ``b2`` (entry form)."""
    return M.Params(
        lambda a_, j_: p.W1(a_, perm(j_)),
        lambda j_: p.b1(perm(j_)),
        lambda j_, c_: p.W2(perm(j_), c_),
        p.b2,
    )


def _matrix_permuted_params(p: M.Params) -> M.Params:
    """Permuted parameters written as matrix products with P (sums over δ), before evaluation."""
    kk = sp.Symbol("kk", integer=True)
    return M.Params(
        lambda a_, j_: sp.Sum(p.W1(a_, kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)),
        lambda j_: sp.Sum(p.b1(kk) * perm_entry(pi, kk, j_), (kk, 0, M.h - 1)),
        lambda j_, c_: sp.Sum(perm_entry(pi, kk, j_) * p.W2(kk, c_), (kk, 0, M.h - 1)),
        p.b2,
    )


def _forward_steps(d: Derivation):
    """Steps shared by forward and loss invariance; returns (O, O_perm) entries after reindexing."""
    p = M.indexed_params()
    R = M.ranges({pi: M.h})
    pp = _matrix_permuted_params(p)
    z_perm = normalise(M.preact(pp), R)
    d.equal("Z' = XW1P + b1P: column j of Z' is column π(j) of Z", z_perm, normalise(M.preact(p, M.r, pi(M.j)), R))
    o = M.output(p)
    o_perm = normalise(M.output(pp), R)
    d.equal("O' = σ(Z')PᵀW2 + b2 summed over hidden units j, entries σ(Z_{r,π(j)}) W2_{π(j),c}",
            o_perm, normalise(M.output(permuted_params(p)), R))
    o_re = reindex(o_perm, R)
    d.equal("reindex the hidden sum j ↦ π(j) (π bijective): O' = O", o_re, o)
    return o, o_re


def _deep_layer_step(d: Derivation):
    r"""Inductive step for depth L: if :math:`H'^{(l-1)}_{r,a} = H^{(l-1)}_{r,\pi_{l-1}(a)}` then
    :math:`H'^{(l)}_{r,j} = H^{(l)}_{r,\pi_l(j)}` under :math:`W_l \to P_{l-1}^\top W_l P_l,\ b_l \to b_l P_l`."""
    p_prev, p_cur = sp.Function("pi_prev"), sp.Function("pi_cur")
    dp, dl = sp.symbols("d_prev d_l", integer=True, positive=True)
    rr, aa, jj, kk, ll = sp.symbols("r a j kk ll", integer=True)
    Hp, W, b = sp.IndexedBase("H^{(l-1)}"), sp.IndexedBase("W_l"), sp.IndexedBase("b_l")
    R = Ranges({aa: dp, jj: dl}, perms={p_prev: dp, p_cur: dl})
    # (P_{l-1}ᵀ W_l P_l)_{a j} = Σ_{k,l} δ_{k,π_{l-1}(a)} W_{k l} δ_{l,π_l(j)}
    w_perm = sp.Sum(perm_entry(p_prev, kk, aa) * W[kk, ll] * perm_entry(p_cur, ll, jj), (kk, 0, dp - 1), (ll, 0, dl - 1))
    b_perm = sp.Sum(b[ll] * perm_entry(p_cur, ll, jj), (ll, 0, dl - 1))
    z_perm = sp.Sum(Hp[rr, p_prev(aa)] * w_perm, (aa, 0, dp - 1)) + b_perm
    z_perm = reindex(normalise(z_perm, R), R)
    z_ref = sp.Sum(Hp[rr, aa] * W[aa, p_cur(jj)], (aa, 0, dp - 1)) + b[p_cur(jj)]
    d.equal("depth L, inductive step: Z'^{(l)}_{r,j} = Z^{(l)}_{r,π_l(j)} given H'^{(l-1)} = H^{(l-1)}P_{l-1}",
            z_perm, z_ref)
    d.equal("σ element-wise: H'^{(l)} = σ(Z^{(l)}P_l) = σ(Z^{(l)})P_l (perm.elementwise-commutes)",
            sigma(z_perm), sigma(z_ref))
    # Output layer: P_{L+1} = I.  Its weights P_Lᵀ W_{L+1}: Σ_a H'_{r,a} W_{π_L(a), c} = O_{rc} after reindexing.
    cc = sp.Symbol("c", integer=True)
    out = sp.Sum(Hp[rr, p_prev(aa)] * sp.Sum(perm_entry(p_prev, kk, aa) * W[kk, cc], (kk, 0, dp - 1)), (aa, 0, dp - 1))
    d.equal("output layer (P_{L+1} = I): Σ_a H^{(L)}_{r,π_L(a)} W_{π_L(a),c} = (H^{(L)}W)_{rc}",
            reindex(normalise(out, R), R), sp.Sum(Hp[rr, aa] * W[aa, cc], (aa, 0, dp - 1)))


def prove_forward_invariance() -> Proof:
    r"""Prove that :math:`W_1\to W_1P,\ b_1\to b_1P,\ W_2\to P^\top W_2,\ b_2\to b_2` leaves
    :math:`O = \sigma(XW_1+b_1)W_2 + b_2` unchanged, and the depth-L version by induction on layers.
    """
    d = Derivation("perm.forward-invariance", r"\sigma(XW_1P + b_1P)P^\top W_2 + b_2 = \sigma(XW_1+b_1)W_2+b_2",
                   ["σ element-wise", "P the matrix of a permutation π of the h hidden units",
                    "depth L: W_l → P_{l-1}ᵀ W_l P_l, b_l → b_l P_l with P_0 = P_{L+1} = I"])
    _forward_steps(d)
    _deep_layer_step(d)
    return d.close(generality=GENERAL + "; depth L by induction over layers", general=True)


def prove_input_rows_break_symmetry() -> Proof:
    r"""Row-permuting :math:`W_1` (:math:`W_1 \to QW_1`, Q a permutation of the d inputs) gives the
    original network composed with the input permutation: :math:`f_{QW_1}(X) = f_{W_1}(XQ)`.

    So it changes the function exactly when the network is not itself symmetric under Q — not
    always: with equal rows of :math:`W_1` (or any Q-symmetric network) nothing changes.
    """
    d = Derivation("perm.input-rows-break-symmetry", r"f_{QW_1}(X) \neq f_{W_1}(X)",
                   ["Q the matrix of a permutation τ of the d input features"])
    tau = sp.Function("tau")
    R = M.ranges({tau: M.d})
    p = M.indexed_params()
    kk = sp.Symbol("kk", integer=True)
    qw1 = M.Params(lambda a_, j_: sp.Sum(perm_entry(tau, a_, kk) * p.W1(kk, j_), (kk, 0, M.d - 1)), p.b1, p.W2, p.b2)
    # Σ_a X_{ra} δ_{a,τ(k)} W_{k j}: the same network on the input X Q (columns permuted by τ)
    z_row = normalise(M.preact(qw1), R)
    xq = sp.Sum(sp.Sum(M.X[M.r, kk] * perm_entry(tau, kk, M.a), (kk, 0, M.d - 1)) * p.W1(M.a, M.j), (M.a, 0, M.d - 1)) + p.b1(M.j)
    d.equal("(X QW1)_{rj} = ((XQ) W1)_{rj}: row-permuted network = original network on XQ",
            z_row, normalise(xq, R))
    x = sp.Symbol("x")
    relu = sp.Lambda(x, sp.Max(0, x))
    f = lambda W1, xin: (sp.Matrix([xin]) * W1).applyfunc(relu) * sp.Matrix([[1]])
    Qs = sp.Matrix([[0, 1], [1, 0]])
    W1 = sp.Matrix([[1], [0]])
    d.differ("it can change the function: W1 = [1, 0]ᵀ, ReLU, W2 = [1], x = (1, 0)",
             f(Qs * W1, [1, 0]), f(W1, [1, 0]))
    Weq = sp.Matrix([[1, 2], [1, 2]])
    g = lambda W1, xin: (sp.Matrix([xin]) * W1).applyfunc(relu) * sp.Matrix([[1], [-1]])
    xs = sp.symbols("x0 x1")
    d.equal("but not always: with equal rows QW1 = W1, so f is unchanged for every input",
            g(Qs * Weq, list(xs)), g(Weq, list(xs)))
    return d.close(
        generality=GENERAL + "; counterexamples exact at d = 2",
        general=True,
        condition="the network is not already symmetric under the input permutation Q, i.e. "
        "f(XQ) ≢ f(X) (fails e.g. when the rows of W1 that Q exchanges are equal)",
        counterexample={"W1": [[1, 2], [1, 2]], "W2": [[1], [-1]], "Q": [[0, 1], [1, 0]],
                        "activation": "relu", "note": "QW1 = W1: the function is unchanged"},
    )


def prove_loss_invariance() -> Proof:
    r"""Prove :math:`\sum_{r,c}\ell(O'_{rc}, Y_{rc}) = \sum_{r,c}\ell(O_{rc}, Y_{rc})` for any loss
    ℓ of the outputs, and invariance of the L2 penalty :math:`\|W_1P\|^2 = \|W_1\|^2`."""
    d = Derivation("perm.loss-invariance", r"L(\theta_P) = L(\theta)",
                   ["loss depends on the parameters only through O, plus optionally the L2 penalty",
                    "P the matrix of a permutation of the hidden units"])
    o, o_perm = _forward_steps(d)
    d.equal("any loss of the outputs: Σ ℓ(O', Y) = Σ ℓ(O, Y)",
            sp.Sum(M.ell(o_perm, M.Y[M.r, M.c]), (M.r, 0, M.n - 1), (M.c, 0, M.q - 1)),
            sp.Sum(M.ell(o, M.Y[M.r, M.c]), (M.r, 0, M.n - 1), (M.c, 0, M.q - 1)))
    W1 = sp.IndexedBase("W1")
    R = M.ranges({pi: M.h})
    d.equal("L2 penalty: Σ_{a,j} (W1P)_{aj}² = Σ_{a,j} W1_{aj}² (reindex j)",
            sp.Sum(reindex(sp.Sum(W1[M.a, pi(M.j)] ** 2, (M.j, 0, M.h - 1)), R), (M.a, 0, M.d - 1)),
            sp.Sum(sp.Sum(W1[M.a, M.j] ** 2, (M.j, 0, M.h - 1)), (M.a, 0, M.d - 1)))
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


def prove_mse_output_gradient() -> Proof:
    r"""Prove, for :math:`L = \tfrac12\|O-Y\|^2` with :math:`O = HW_2 + \mathbf 1 b_2`:

    .. math:: \frac{\partial L}{\partial W_2} = H^\top(O - Y),\qquad
              \frac{\partial L}{\partial b_2} = \mathbf 1^\top (O - Y)

    at general sizes by differentiating the indexed sum, cross-checked at n = h = q = 2 by
    differentiating explicit matrices (SymPy's indexed differentiation is known to mislead on
    1×1 matrix expressions).
    """
    d = Derivation("perm.mse-output-gradient", r"\partial L/\partial W_2 = H^\top(O-Y),\ \partial L/\partial b_2 = \mathbf 1^\top(O-Y)",
                   ["L = ½‖O − Y‖² (a sum over samples, not a mean)", "O = HW2 + 1b2"])
    H, W2, b2 = sp.IndexedBase("H"), sp.IndexedBase("W2"), sp.IndexedBase("b2")
    r, c, jj = M.r, M.c, M.j
    O = lambda r_, c_: sp.Sum(H[r_, jj] * W2[jj, c_], (jj, 0, M.h - 1)) + b2[c_]
    L = sp.Sum((O(r, c) - M.Y[r, c]) ** 2 / 2, (r, 0, M.n - 1), (c, 0, M.q - 1))
    R = M.ranges()
    gW = normalise(sp.diff(L, W2[M.m, M.s]), R)
    d.equal("∂L/∂W2_{ms} = Σ_r H_{rm}(O_{rs} − Y_{rs}) = (Hᵀ(O−Y))_{ms}", gW,
            sp.expand(sp.Sum(H[r, M.m] * (O(r, M.s) - M.Y[r, M.s]), (r, 0, M.n - 1)).doit()))
    gb = normalise(sp.diff(L, b2[M.s]), R)
    d.equal("∂L/∂b2_s = Σ_r (O_{rs} − Y_{rs}) (sum of the rows of O − Y)", gb,
            sp.expand(sp.Sum(O(r, M.s) - M.Y[r, M.s], (r, 0, M.n - 1)).doit()))
    # explicit-size supplement
    Hm, Wm, Ym = (sp.Matrix(2, 2, sp.symbols(f"{s}0:4")) for s in ("h", "w", "y"))
    bm = sp.Matrix(1, 2, sp.symbols("bb0:2"))
    Om = Hm * Wm + sp.ones(2, 1) * bm
    Lm = sum((Om - Ym).applyfunc(lambda t: t ** 2 / 2))
    d.equal("explicit check (n = h = q = 2): ∂L/∂W2 = Hᵀ(O − Y)",
            Wm.applyfunc(lambda w: sp.diff(Lm, w)), Hm.T * (Om - Ym))
    d.equal("explicit check (n = q = 2): ∂L/∂b2 = 1ᵀ(O − Y)",
            bm.applyfunc(lambda b: sp.diff(Lm, b)), sp.ones(1, 2) * (Om - Ym))
    return d.close(generality=GENERAL + "; explicit cross-check at n = h = q = 2", general=True)


def _equivariance_steps(d: Derivation, loss) -> None:
    """Gradients of the permuted network equal the permuted gradients, for ``loss``."""
    R = M.ranges({pi: M.h})
    g = gradients(M.indexed_params(), loss)
    V = M.indexed_params("V")
    gv = gradients(V, loss)
    VW1, Vb1, VW2, Vb2 = M.bases(V)
    W1, b1, W2, b2 = M.bases(M.indexed_params())

    def at_permuted(expr):
        """Evaluate a V-gradient at V = θ_P (V1 = W1P, Vb1 = b1P, V2 = PᵀW2, Vb2 = b2)."""
        expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == VW1, lambda t: W1[t.indices[0], pi(t.indices[1])])
        expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == Vb1, lambda t: b1[pi(t.indices[0])])
        expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == VW2, lambda t: W2[pi(t.indices[0]), t.indices[1]])
        expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == Vb2, lambda t: b2[t.indices[0]])
        return normalise(reindex(expr, R), R)

    m = M.m
    d.equal("∂L'/∂W1' = (∂L/∂W1)P: entry (e, m) equals ∂L/∂W1 at (e, π(m))",
            at_permuted(gv["W1"]), g["W1"].subs(m, pi(m)))
    d.equal("∂L'/∂b1' = (∂L/∂b1)P", at_permuted(gv["b1"]), g["b1"].subs(m, pi(m)))
    d.equal("∂L'/∂W2' = Pᵀ ∂L/∂W2: row m equals row π(m)", at_permuted(gv["W2"]), g["W2"].subs(m, pi(m)))
    d.equal("∂L'/∂b2 = ∂L/∂b2", at_permuted(gv["b2"]), g["b2"])


@functools.cache
def prove_gradient_equivariance() -> Proof:
    r"""Prove that at :math:`\theta_P = (W_1P, b_1P, P^\top W_2, b_2)` the gradients are
    :math:`((\partial_{W_1}L)P, (\partial_{b_1}L)P, P^\top\partial_{W_2}L, \partial_{b_2}L)`,
    for the MSE loss and for any element-wise loss ℓ(O_rc, Y_rc), any σ, general sizes."""
    d = Derivation("perm.gradient-equivariance", r"\nabla L(\theta_P) = (\nabla L(\theta))_P",
                   ["σ differentiable element-wise", "loss ½‖O−Y‖², and Σ ℓ(O_rc, Y_rc) for any differentiable ℓ"])
    _equivariance_steps(d, M.mse_loss)
    _equivariance_steps(d, M.elementwise_loss)
    return d.close(generality=GENERAL, general=True)


def _update_rules():
    """Element-wise optimiser updates at entry ``k``: name → (new state, state names)."""
    th, g, mo, v = (sp.IndexedBase(s) for s in ("theta", "g", "mom", "v"))
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
    """
    d = Derivation("perm.sgd-equivariance", r"\theta'_t = (\theta_t)_P\ \forall t",
                   ["same data, same minibatch order, no dropout (or dropout masks permuted alike)",
                    "exact arithmetic (in floating point, summation order may differ: see numeric)",
                    "optimiser state initialised equivariantly (e.g. zero)"])
    grad = prove_gradient_equivariance()
    d.fact("gradient equivariance g'_k = g_{τ(k)} (perm.gradient-equivariance)",
           r"\nabla L(\theta_P) = (\nabla L(\theta))_P", "nnclaims.proofs.permutation.prove_gradient_equivariance",
           grad.outcome == "proved")
    tau = sp.Function("tau")
    kk, state, rules = _update_rules()
    for name, updates in rules.items():
        ok = True
        for upd in updates:
            touched = {t.indices for t in upd.atoms(sp.Indexed)}
            ok &= touched == {(kk,)}
            # induction hypothesis: every state entry of the permuted run at k is the original at τ(k)
            perm_run = upd.replace(lambda t: isinstance(t, sp.Indexed) and t.base in state,
                                   lambda t: t.base[tau(kk)])
            ok &= sp.simplify(perm_run - upd.subs(kk, tau(kk))) == 0
        d.fact(f"{name}: update reads only entry k, so the permuted run's update at k is the "
               "original's at τ(k)", r"u'_k = u_{\tau(k)}",
               "indexed atoms ⊆ {entry k}; simplify(u[θ_τ(k)…] − u(k→τ(k))) == 0", ok)
    return d.close(generality="any number of steps (induction); any sizes", general=True)


def prove_nonunique_minima() -> Proof:
    r"""A minimum θ* whose hidden units :math:`u_j = (W_1[:,j], b_1[j], W_2[j,:])` are pairwise
    distinct has at least h! distinct parameter vectors with the same loss: its permuted copies.

    Equal loss: :func:`prove_loss_invariance`; each copy is a minimum since the permutation is an
    isometry of parameter space.  Distinctness: ``θ_π = θ_ρ`` means ``u∘π = u∘ρ``; with ``u``
    injective this forces ``π = ρ`` — proved by Z3 over an uninterpreted sort (any h).
    """
    import z3

    d = Derivation("perm.nonunique-minima", r"|\{\theta^*_P : P \in S_h\}| = h!",
                   ["hidden units u_j pairwise distinct", "the loss as in perm.loss-invariance"])
    inv = prove_loss_invariance()
    d.fact("every permuted copy has the same loss (perm.loss-invariance)", r"L(\theta_P) = L(\theta)",
           "nnclaims.proofs.permutation.prove_loss_invariance", inv.outcome == "proved")
    Unit, Idx = z3.DeclareSort("Unit"), z3.DeclareSort("Idx")
    uf = z3.Function("u", Idx, Unit)
    p1, p2 = z3.Function("pi", Idx, Idx), z3.Function("rho", Idx, Idx)
    x, y = z3.Consts("x y", Idx)
    solver = z3.Solver()
    solver.add(z3.ForAll([x, y], z3.Implies(uf(x) == uf(y), x == y)))  # distinct units
    solver.add(z3.ForAll([x], uf(p1(x)) == uf(p2(x))))  # θ_π = θ_ρ
    j0 = z3.Const("j0", Idx)
    solver.add(p1(j0) != p2(j0))  # negation of π = ρ
    res = solver.check()
    d.fact("θ_π = θ_ρ and distinct units imply π = ρ (Z3: negation unsatisfiable, any h)",
           r"u\circ\pi = u\circ\rho \wedge u \text{ injective} \Rightarrow \pi = \rho",
           f"z3 check of the negation: {res}", res == z3.unsat)
    # explicit supplement: count the copies for h = 3
    us = sp.symbols("u0:3")
    from itertools import permutations

    copies = {tuple(us[i_] for i_ in perm) for perm in permutations(range(3))}
    d.fact("explicit supplement: h = 3 gives 3! = 6 distinct copies", r"|S_3\cdot\theta| = 6",
           "len(set of permuted unit tuples) == 6", len(copies) == 6)
    return d.close(generality="any h (first-order proof in Z3)", general=True)
