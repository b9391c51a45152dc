r"""Deep Neural Feature Ansatz (seed 002, on Radhakrishnan et al. 2023): proofs at general sizes.

Column-vector convention of the notes: :math:`p_{i+1} = W_i h_i` (``W_i`` is k'×k),
:math:`h_{i+1} = \sigma(p_{i+1})`, ``f_i`` maps layer ``i``'s activations to the (scalar) output.
:math:`D_{i+1} = \mathrm{diag}(\sigma'(p_{i+1}))`, ``g_x = ∇_{p_{i+1}} f`` (pre-activation gradient),
:math:`G_{i+1} = \frac1N\sum_x g_x g_x^\top`, :math:`\mathrm{AGOP}_i = \frac1N\sum_x \nabla f_i \nabla f_i^\top`.

Every equality is a chain (:meth:`nnclaims.proofs.record.Derivation.chain`): it starts at an expression computed
from the definitions (``sp.diff`` of the network, the AGOP written out), each next expression is computed by a
named rewrite or stated and checked, and the last one is the claim's right-hand side, written by the small
functions below (:func:`chain_rule_form`, :func:`naive_form`, :func:`factorised_agop`, …) — the mutation tests
replace exactly these.

>>> prove_chain_rule().outcome, prove_svd_form().outcome
('proved', 'refuted')
"""

from __future__ import annotations

import sympy as sp

from ._index import Ranges, normalise
from ._sums import distribute, factor_out
from .record import Derivation, Proof, doit

__all__ = [
    "prove_chain_rule_naive", "prove_chain_rule", "prove_agop_factorisation",
    "prove_isotropy_equivalence", "prove_any_activation", "prove_tight_frame", "prove_svd_form",
    "chain_rule_form", "naive_form", "gradient_entry", "factorised_agop", "isotropic", "SVD_COUNTEREXAMPLE",
    "CHAIN_RULE_COUNTEREXAMPLE",
]

k, kp, N = sp.symbols("k k' N", integer=True, positive=True)
a, b, j, l, x = sp.symbols("a b j l x", integer=True)
W, hv, g, gh = (sp.IndexedBase(s) for s in ("W", "h", "g", "gh"))
sigma = sp.Function("sigma")
F = sp.Function("F")
t = sp.Symbol("t")
GENERAL = "general sizes (index-level, any k, k', N; σ an undefined function)"
R = Ranges({a: k, b: k, j: kp, l: kp, x: N})


# --- the claims' right-hand sides (what the mutation tests break) --------------------------------------------

def pre_activation(row):
    r""":math:`p_j = \sum_b W_{jb} h_b`."""
    return sp.Sum(W[row, b] * hv[b], (b, 0, k - 1))


def activation_derivative(act, row):
    r""":math:`\sigma'(p_j)`, the entry ``j`` of :math:`D_{i+1}`."""
    return sp.Subs(sp.Derivative(act(t), t), t, pre_activation(row))


def chain_rule_form(act=sigma):
    r""":math:`(\nabla f_{i+1}^\top D_{i+1} W_i)_a = \sum_j (\nabla f_{i+1})_j\,\sigma'(p_j)\,W_{ja}`."""
    return sp.Sum(gh[j] * activation_derivative(act, j) * W[j, a], (j, 0, kp - 1))


def naive_form():
    r""":math:`(\nabla f_{i+1}^\top W_i)_a = \sum_j (\nabla f_{i+1})_j W_{ja}` (no activation derivative)."""
    return sp.Sum(gh[j] * W[j, a], (j, 0, kp - 1))


def gradient_entry(col, idx):
    r""":math:`(\nabla f_i(h_i(x)))_{col} = (W_i^\top g_x)_{col} = \sum_{idx} W_{idx,col}\,g_{x,idx}`."""
    return sp.Sum(W[idx, col] * g[x, idx], (idx, 0, kp - 1))


def factorised_agop():
    r""":math:`(W_i^\top G_{i+1} W_i)_{ab} = \sum_{j,l} W_{ja} G_{jl} W_{lb}`, :math:`G_{jl} = \frac1N\sum_x g_{xj}g_{xl}`."""
    G_jl = sp.Sum(g[x, j] * g[x, l], (x, 0, N - 1)) / N
    return sp.Sum(W[j, a] * G_jl * W[l, b], (j, 0, kp - 1), (l, 0, kp - 1))


def isotropic(c, size):
    """``c·I`` of the given size: the isotropic G."""
    return c * sp.Identity(size)


CHAIN_RULE_COUNTEREXAMPLE = {"activation": "tanh", "W_i": [[1]], "h_i": [1], "f_{i+1}": "identity"}
SVD_COUNTEREXAMPLE = {"W": [[2, 0], [0, 1]], "M": [[3, 0], [0, 1]]}


# --- proofs ----------------------------------------------------------------------------------------------------

def _layer_jacobian(d: Derivation, act=sigma):
    r"""(∇f_i)_a = Σ_j (∇f_{i+1})_j ∂σ(p_j)/∂h_a (the multivariate chain rule through h_{i+1} = σ(W_i h_i)) equals
    :func:`chain_rule_form` at general sizes; plus the explicit k = k' = 2 chain rule through an arbitrary F."""
    (d.chain(sp.Sum(gh[j] * sp.diff(act(pre_activation(j)), hv[a]), (j, 0, kp - 1)))
     .by("∂σ(p_j)/∂h_a by the chain rule, the Kronecker deltas summed", normalise, R)
     .then(chain_rule_form(act), "= Σ_j (∇f_{i+1})_j σ'(p_j) W_{ja} = (∇f_{i+1}ᵀ D_{i+1} W_i)_a"))
    Wm = sp.Matrix(2, 2, sp.symbols("w0:4"))
    h = sp.Matrix(sp.symbols("h0:2"))
    ys = sp.symbols("y0:2")
    p = Wm * h
    f_i = F(*[act(pj) for pj in p])
    grad_f_next = sp.Matrix([sp.Derivative(F(*ys), y) for y in ys]).subs(dict(zip(ys, [act(pj) for pj in p])))
    Dm = sp.diag(*[sp.Subs(sp.Derivative(act(t), t), t, pj) for pj in p])
    (d.chain(sp.Matrix([[sp.diff(f_i, hh) for hh in h]]))
     .by("explicit supplement (k = k' = 2, F arbitrary): evaluate the derivatives", doit)
     .then((grad_f_next.T * Dm * Wm).applyfunc(doit), "= ∇f_{i+1}ᵀ D_{i+1} W_i"))


def prove_chain_rule() -> Proof:
    r"""Prove :math:`\nabla f_i(h_i)^\top = \nabla f_{i+1}(h_{i+1})^\top D_{i+1}(x) W_i`, entry by entry:

    .. math:: \frac{\partial f_i}{\partial h_a} = \sum_j \frac{\partial f_{i+1}}{\partial h_{i+1,j}}
              \frac{\partial \sigma(\sum_b W_{jb}h_b)}{\partial h_a} = \sum_j (\nabla f_{i+1})_j\,\sigma'(p_j)\,W_{ja}

    >>> prove_chain_rule().outcome
    'proved'
    """
    d = Derivation("dnfa.chain-rule", r"\nabla f_i^\top = \nabla f_{i+1}^\top D_{i+1} W_i",
                   ["σ differentiable, element-wise", "multivariate chain rule: J(f∘φ) = J(f)J(φ)"])
    _layer_jacobian(d)
    return d.close(generality=GENERAL + "; explicit chain-rule supplement at k = k' = 2", general=True)


def prove_chain_rule_naive() -> Proof:
    r""":math:`\nabla f_i^\top = \nabla f_{i+1}^\top W_i` (no activation derivative) holds when
    :math:`D_{i+1}(x) = I` (σ' = 1 on the pre-activations: linear σ, or ReLU with every unit active); the bare form
    is refuted for tanh: with :math:`W_i = [1]`, :math:`h_i = 1`, :math:`f_{i+1} = \mathrm{id}`,
    :math:`\nabla f_i = \tanh'(1) \ne 1 = \nabla f_{i+1}^\top W_i`.

    >>> prove_chain_rule_naive().outcome
    'proved'
    """
    d = Derivation("dnfa.chain-rule-naive", r"\nabla f_i^\top = \nabla f_{i+1}^\top W_i",
                   ["σ differentiable, element-wise"])
    _layer_jacobian(d)
    start = chain_rule_form()
    derivatives = {s.expr: 1 for s in start.atoms(sp.Subs)}  # σ'(·), under whatever dummy name SymPy gave it
    (d.chain(start)
     .assuming("hypothesis D_{i+1} = I: σ' = 1 at the pre-activations", derivatives)
     .by("evaluate σ' = 1", doit)
     .then(naive_form(), "= (∇f_{i+1}ᵀ W_i)_a: the naive form is the chain rule when D_{i+1} = I"))
    cex = CHAIN_RULE_COUNTEREXAMPLE
    act = {"tanh": sp.tanh, "identity": sp.Lambda(t, t)}[cex["activation"]]
    w, h0 = sp.Integer(cex["W_i"][0][0]), sp.Integer(cex["h_i"][0])
    hs = sp.Symbol("h")
    true_grad = sp.diff(act(w * hs), hs).subs(hs, h0)  # f_{i+1} = identity: f_i(h) = σ(W h)
    naive = sp.Integer(1) * w  # ∇f_{i+1} = 1, times W_i
    d.differ(f"counterexample: σ = {cex['activation']}, W_i = [{w}], h_i = {h0}, f_{{i+1}} = id: "
             "∇f_i = σ'(W h) W ≠ ∇f_{i+1}ᵀ W_i", true_grad, naive)
    return d.close(generality=GENERAL, general=True,
                   condition="D_{i+1}(x) = I at every data point (σ' = 1 on the pre-activations: linear σ, or "
                   "ReLU with every unit active)",
                   counterexample={**cex, "grad f_i": str(true_grad), "naive": str(naive)})


def _agop_chain(d: Derivation):
    r"""AGOP_ab = (1/N)Σ_x (∇f_i)_a(∇f_i)_b with ∇f_i = W_iᵀg_x, rewritten to Σ_{j,l} W_ja G_jl W_lb."""
    agop = sp.Sum(gradient_entry(a, j) * gradient_entry(b, l), (x, 0, N - 1)) / N
    (d.chain(agop)
     .by("distributivity: (Σ_j u_j)(Σ_l v_l) = Σ_{j,l} u_j v_l", distribute)
     .by("sum over x innermost and pull W (free of x) out of Σ_x", factor_out, x)
     .then(factorised_agop(), "= Σ_{j,l} W_ja G_jl W_lb = (W_iᵀ G_{i+1} W_i)_ab"))


def _agop_supplement(d: Derivation, note: str):
    """Explicit supplement: k = 2, k' = 3, N = 3 with arbitrary symbols, entry by entry."""
    Wm = sp.Matrix(3, 2, sp.symbols("w0:6"))
    grads = [sp.Matrix(3, 1, sp.symbols(f"g{s}_0:3")) for s in range(3)]
    agop = sum(((Wm.T * gg) * (Wm.T * gg).T for gg in grads), sp.zeros(2, 2)) / 3
    Gm = sum((gg * gg.T for gg in grads), sp.zeros(3, 3)) / 3
    (d.chain(agop)
     .by(f"explicit supplement (k = 2, k' = 3, N = 3{note}): expand", lambda m: m.applyfunc(sp.expand))
     .then(Wm.T * Gm * Wm, "= W_iᵀ G_{i+1} W_i"))


def prove_agop_factorisation() -> Proof:
    r"""Prove :math:`\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i` from :math:`\nabla f_i = W_i^\top g_x`:

    .. math:: \tfrac1N\sum_x \Big(\sum_j W_{ja}g_{xj}\Big)\Big(\sum_l W_{lb}g_{xl}\Big)
              = \sum_{j,l} W_{ja}\Big(\tfrac1N\sum_x g_{xj}g_{xl}\Big)W_{lb}

    >>> prove_agop_factorisation().outcome
    'proved'
    """
    d = Derivation("dnfa.agop-factorisation", r"\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i",
                   ["∇f_i(h_i(x)) = W_iᵀ g_x with g_x the pre-activation gradient (dnfa.chain-rule)"])
    ch = prove_chain_rule()
    d.fact("chain rule (dnfa.chain-rule), proved above", r"\nabla f_i = W_i^\top g_x",
           "nnclaims.proofs.dnfa.prove_chain_rule().outcome == 'proved'", ch.outcome == "proved")
    _agop_chain(d)
    _agop_supplement(d, "")
    return d.close(generality=GENERAL + "; explicit supplement k = 2, k' = 3, N = 3", general=True)


def prove_any_activation() -> Proof:
    r"""The cancellation :math:`\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i` uses only σ's derivative inside ``g_x``:
    it holds for any differentiable element-wise σ (σ is an undefined function here).  For ReLU this needs σ' at
    the kink, which frameworks set to 0 (a measure-zero choice).

    >>> prove_any_activation().outcome
    'proved'
    """
    d = Derivation("dnfa.any-activation", r"\forall\sigma:\ \mathrm{AGOP}_i = W_i^\top G_{i+1} W_i",
                   ["σ differentiable at the data's pre-activations (ReLU: almost everywhere)"])
    _layer_jacobian(d, sigma)
    _agop_chain(d)
    _agop_supplement(d, ", σ arbitrary")
    return d.close(generality=GENERAL, general=True)


def prove_isotropy_equivalence() -> Proof:
    r""":math:`W^\top W = \lambda\,W^\top G W` (λ ≠ 0) versus :math:`G = I/\lambda`.

    ⇐ holds for every W.  ⇒ holds when W (k'×k) has full row rank (W Wᵀ invertible: square invertible, or
    wide), which the seed's "W_i invertible" covers: with :math:`M = I - \lambda G`,

    .. math:: M = (WW^\top)^{-1} W (W^\top M W) W^\top (WW^\top)^{-1},

    so :math:`W^\top M W = 0` forces :math:`M = 0`.  For a tall W (k' > k, e.g. a first layer widening the input)
    only the compression of G onto range(W) is forced, and ⇒ fails (shown below; outside the seed's assumption).

    >>> prove_isotropy_equivalence().outcome
    'proved'
    """
    d = Derivation("dnfa.isotropy-equivalence", r"W^\top W \propto W^\top G W \iff G \propto I",
                   ["W_i invertible (as the seed assumes; full row rank suffices); proportionality constant λ ≠ 0"])
    kk = sp.Symbol("k", integer=True, positive=True)
    kq = sp.Symbol("k'", integer=True, positive=True)
    Wm = sp.MatrixSymbol("W", kq, kk)
    Gm = sp.MatrixSymbol("G", kq, kq)
    Mm = sp.MatrixSymbol("M", kq, kq)
    c, lam = sp.symbols("c lambda")
    (d.chain(sp.MatMul(Wm.T, isotropic(c, kq), Wm, evaluate=False))
     .by("⇐ (any W): G = cI", doit)
     .then(c * Wm.T * Wm, "= c WᵀW: the ansatz holds with λ = 1/c"))
    (d.chain(sp.MatMul(Wm.T, sp.MatAdd(sp.Identity(kq), -lam * Gm, evaluate=False), Wm, evaluate=False))
     .by("M = I − λG: distribute", sp.expand)
     .then(Wm.T * Wm - lam * Wm.T * Gm * Wm, "= WᵀW − λWᵀGW, which the ansatz says is 0"))
    A = sp.MatMul(Wm, Wm.T, evaluate=False)
    core = sp.MatMul(Wm.T, Mm, Wm, evaluate=False)
    (d.chain(Mm)
     .then(sp.MatMul(sp.Inverse(A), Wm, core, Wm.T, sp.Inverse(A), evaluate=False),
           "⇒ (W Wᵀ invertible: full row rank): M = (WWᵀ)⁻¹ W (WᵀMW) Wᵀ (WWᵀ)⁻¹")
     .assuming("the ansatz: WᵀMW = 0", {core: sp.ZeroMatrix(kk, kk)})
     .by("a product with a zero factor", doit)
     .then(sp.ZeroMatrix(kq, kq), "= 0, so G = I/λ"))
    Wt, Gt = sp.Matrix([[1], [0]]), sp.diag(1, 2)
    (d.chain(Wt.T * Gt * Wt)
     .then(Wt.T * Wt, "outside the assumption: tall W = [1, 0]ᵀ, G = diag(1, 2) give WᵀGW = WᵀW"))
    d.fact("... yet that G is not ∝ I: the assumption is needed", r"G = \mathrm{diag}(1,2) \not\propto I",
           "G[0,0] != G[1,1] (exact)", Gt[0, 0] != Gt[1, 1])
    return d.close(generality="general sizes (matrix-symbol algebra, W k'×k); ⇐ for every W, ⇒ needs only full "
                   "row rank (weaker than invertible) and fails for tall W_i", general=True)


def prove_tight_frame() -> Proof:
    r"""For the gradient data matrix Γ (k×N, columns g_x), :math:`G = \frac1N\Gamma\Gamma^\top`:
    the mass in a direction v is :math:`\sum_x (v^\top g_x)^2 = N v^\top G v`; G = cI ⇔ that mass is Nc‖v‖² for all
    v (polarisation: a symmetric M is determined by its quadratic form) ⇔ Γ = √(Nc)·S with SSᵀ = I (a constant
    times a semi-orthogonal matrix; needs N ≥ k when c > 0).

    >>> prove_tight_frame().outcome
    'proved'
    """
    d = Derivation("dnfa.tight-frame", r"G \propto I \iff \Gamma\Gamma^\top = NcI \iff \Gamma = \sqrt{Nc}\,S,\ SS^\top = I",
                   ["G symmetric (it is a Gram matrix)", "c ≥ 0 (G is positive semi-definite)"])
    v = sp.IndexedBase("v")
    i2, jj, aa, bb = sp.symbols("i2 jj aa bb", integer=True)
    mass = sp.Sum(sp.Sum(v[i2] * g[x, i2], (i2, 0, k - 1)) * sp.Sum(v[jj] * g[x, jj], (jj, 0, k - 1)), (x, 0, N - 1))
    (d.chain(mass)
     .by("mass in direction v, Σ_x (vᵀg_x)²: distributivity", distribute)
     .by("sum over x innermost, v out of Σ_x", factor_out, x)
     .then(N * sp.Sum(v[i2] * v[jj] * (sp.Sum(g[x, i2] * g[x, jj], (x, 0, N - 1)) / N), (i2, 0, k - 1), (jj, 0, k - 1)),
           "= N vᵀGv with G_ij = (1/N)Σ_x g_xi g_xj"))
    Mx = sp.IndexedBase("M")
    Rr = Ranges({aa: k, bb: k})
    quad = lambda vec: sp.Sum(vec(i2) * Mx[i2, jj] * vec(jj), (i2, 0, k - 1), (jj, 0, k - 1))  # noqa: E731
    ea = lambda s: sp.KroneckerDelta(s, aa)  # noqa: E731
    eb = lambda s: sp.KroneckerDelta(s, bb)  # noqa: E731
    (d.chain((quad(lambda s: ea(s) + eb(s)) - quad(ea) - quad(eb)) / 2)
     .by("polarisation for M = G − cI: ½(Q(e_a + e_b) − Q(e_a) − Q(e_b)), deltas summed", normalise, Rr)
     .then((Mx[aa, bb] + Mx[bb, aa]) / 2, "= ½(M_ab + M_ba)")
     .assuming("M symmetric (G is a Gram matrix)", {Mx[bb, aa]: Mx[aa, bb]})
     .then(Mx[aa, bb], "= M_ab: equal mass in every direction (Q ≡ 0) forces M = 0, i.e. G = cI"))
    kk, NN = sp.symbols("k N", integer=True, positive=True)
    Gam = sp.MatrixSymbol("Gamma", kk, NN)
    cc = sp.Symbol("c", positive=True)
    S = Gam / sp.sqrt(NN * cc)
    (d.chain(S * S.T)
     .then((Gam * Gam.T) / (NN * cc), "S = Γ/√(Nc): S Sᵀ = ΓΓᵀ/(Nc)")
     .assuming("G = ΓΓᵀ/N = cI", {Gam * Gam.T: NN * cc * sp.Identity(kk)})
     .then(sp.Identity(kk), "= I: S is semi-orthogonal exactly when G = cI"))
    return d.close(generality="general sizes (index-level mass and polarisation; matrix-symbol algebra)", general=True)


def prove_svd_form() -> Proof:
    r"""With :math:`W = U\Sigma V^\top`: :math:`W^\top W = \lambda M` ⇒ the right singular vectors are eigenvectors of
    M, eigenvalues :math:`\sigma_i^2/\lambda`, in the same order.  The converse — the "⇔" of the notes — is false:
    shared eigenvectors (even in the same order) do not make the spectra proportional
    (:data:`SVD_COUNTEREXAMPLE`: W = diag(2, 1), M = diag(3, 1)).

    >>> prove_svd_form().outcome
    'refuted'
    """
    d = Derivation("dnfa.svd-form", r"W^\top W \propto M \iff V \text{ diagonalises } M \text{ (same order)}",
                   ["λ > 0", "M = AGOP_i symmetric PSD"])
    kk = sp.Symbol("k", integer=True, positive=True)
    kq = sp.Symbol("k'", integer=True, positive=True)
    U, Sg, V = sp.MatrixSymbol("U", kq, kk), sp.MatrixSymbol("Sigma", kk, kk), sp.MatrixSymbol("V", kk, kk)
    lam = sp.Symbol("lambda", positive=True)
    Wsvd = U * Sg * V.T
    (d.chain((Wsvd.T * Wsvd) * V / lam)
     .by("⇒: M = WᵀW/λ with W = UΣVᵀ; M V", doit)
     .assuming("orthonormal singular vectors UᵀU = I, VᵀV = I", {U.T * U: sp.Identity(kk), V.T * V: sp.Identity(kk)})
     .by("simplify", doit)
     .then(V * (Sg.T * Sg) / lam, "= V ΣᵀΣ/λ: the columns of V are eigenvectors, eigenvalues σ_i²/λ in σ's order"))
    Wc, Mc = sp.Matrix(SVD_COUNTEREXAMPLE["W"]), sp.Matrix(SVD_COUNTEREXAMPLE["M"])
    A = Wc.T * Wc
    e = [sp.eye(2)[:, i] for i in range(2)]
    shared = all(_is_eigvec(A, u) and _is_eigvec(Mc, u) for u in e)
    qa, qm = [(u.T * A * u)[0] for u in e], [(u.T * Mc * u)[0] for u in e]
    same_order = (qa[0] - qa[1]) * (qm[0] - qm[1]) > 0
    d.fact(f"counterexample to ⇐: W = {Wc.tolist()}, M = {Mc.tolist()}: e1, e2 are eigenvectors of both WᵀW and M, "
           "their eigenvalues in the same order",
           rf"W^\top W = {sp.latex(A)},\ M = {sp.latex(Mc)}", "A e_i ∥ e_i, M e_i ∥ e_i, same order of Rayleigh quotients "
           "(exact)", shared and same_order)
    d.differ("... but WᵀW is not ∝ M: (WᵀW)₀₀ M₁₁ ≠ (WᵀW)₁₁ M₀₀", A[0, 0] * Mc[1, 1], A[1, 1] * Mc[0, 0])
    return d.close(generality="general sizes (matrix-symbol algebra); counterexample exact at k = 2", general=True,
                   refuted=True, counterexample={**SVD_COUNTEREXAMPLE, "WtW": A.tolist(),
                                                 "note": "same eigenvectors in the same order, not proportional"})


def _is_eigvec(A: sp.Matrix, u: sp.Matrix) -> bool:
    """Exact: ``A u`` is a multiple of ``u`` (``u ≠ 0``)."""
    return sp.Matrix.hstack(A * u, u).rank() <= 1
