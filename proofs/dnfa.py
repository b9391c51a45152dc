r"""Deep Neural Feature Ansatz (seed 002, on Radhakrishnan et al. 2023): proofs at general sizes.

Column-vector convention of the notes: :math:`p_{i+1} = W_i h_i` (``W_i`` is k'×k),
:math:`h_{i+1} = \sigma(p_{i+1})`, ``f_i`` maps layer ``i``'s activations to the (scalar) output.
:math:`D_{i+1} = \mathrm{diag}(\sigma'(p_{i+1}))`, ``g_x = ∇_{p_{i+1}} f`` (pre-activation gradient),
:math:`G_{i+1} = \frac1N\sum_x g_x g_x^\top`, :math:`\mathrm{AGOP}_i = \frac1N\sum_x \nabla f_i \nabla f_i^\top`.
"""

from __future__ import annotations

import sympy as sp

from ._index import Ranges, normalise
from .record import Derivation, Proof

__all__ = [
    "prove_chain_rule_naive", "prove_chain_rule", "prove_agop_factorisation",
    "prove_isotropy_equivalence", "prove_any_activation", "prove_tight_frame", "prove_svd_form",
]

k, kp, N = sp.symbols("k k' N", integer=True, positive=True)
a, b, j, l, x = sp.symbols("a b j l x", integer=True)
W, hv, g, gh = (sp.IndexedBase(s) for s in ("W", "h", "g", "gh"))
sigma = sp.Function("sigma")
F = sp.Function("F")
GENERAL = "general sizes (index-level, any k, k', N; σ an undefined function)"
R = Ranges({a: k, b: k, j: kp, l: kp, x: N})


def _layer_jacobian(d: Derivation, act=sigma):
    """∂σ(p_j)/∂h_a = σ'(p_j) W_ja at general sizes, plus the explicit k = k' = 2 chain rule."""
    p_j = sp.Sum(W[j, b] * hv[b], (b, 0, k - 1))
    jac = normalise(sp.diff(act(p_j), hv[a]), R)
    t = sp.Symbol("t")
    dsig = sp.Derivative(act(t), t).subs(t, p_j)
    d.equal("layer Jacobian: ∂σ(p_j)/∂h_a = σ'(p_j) W_{ja}, i.e. ∂h_{i+1}/∂h_i = D_{i+1}W_i", jac,
            dsig * W[j, a])
    # explicit supplement: the multivariate chain rule through an arbitrary F at k = k' = 2
    Wm = sp.Matrix(2, 2, sp.symbols("w0:4"))
    h = sp.Matrix(sp.symbols("h0:2"))
    p = Wm * h
    f_i = F(*[act(pj) for pj in p])
    grad_f_next = sp.Matrix([sp.Derivative(F(*sp.symbols("y0:2")), y) for y in sp.symbols("y0:2")]).subs(
        dict(zip(sp.symbols("y0:2"), [act(pj) for pj in p])))
    Dm = sp.diag(*[sp.Derivative(act(t), t).subs(t, pj) for pj in p])
    lhs = sp.Matrix([sp.diff(f_i, hh) for hh in h]).T
    d.equal("explicit supplement (k = k' = 2, F arbitrary): ∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ D_{i+1} W_i",
            lhs.applyfunc(lambda e: e.doit()), (grad_f_next.T * Dm * Wm).applyfunc(lambda e: e.doit()))


def prove_chain_rule() -> Proof:
    r"""Prove :math:`\nabla f_i(h_i)^\top = \nabla f_{i+1}(h_{i+1})^\top D_{i+1}(x) W_i`,
    equivalently :math:`\nabla f_i(h_i) = W_i^\top \nabla_{p_{i+1}} f` (pre-activation gradient)."""
    d = Derivation("dnfa.chain-rule", r"\nabla f_i^\top = \nabla f_{i+1}^\top D_{i+1} W_i",
                   ["σ differentiable, element-wise", "multivariate chain rule: J(f∘φ) = J(f)J(φ)"])
    _layer_jacobian(d)
    sd = sp.IndexedBase("sigma'")  # σ'(p_j), nonzero where we divide; the identity is polynomial
    gpre = sp.IndexedBase("g")
    chained = sp.Sum(gh[j] * sd[j] * W[j, a], (j, 0, kp - 1))
    d.equal("with g_j = σ'(p_j)(∇f_{i+1})_j (the pre-activation gradient): (∇f_i)_a = Σ_j W_ja g_j",
            chained.replace(lambda t: isinstance(t, sp.Indexed) and t.base == gh,
                           lambda t: gpre[t.indices[0]] / sd[t.indices[0]]).simplify(), sp.Sum(W[j, a] * gpre[j], (j, 0, kp - 1)))
    return d.close(generality=GENERAL + "; explicit chain-rule supplement at k = k' = 2", general=True)


def prove_chain_rule_naive() -> Proof:
    r""":math:`\nabla f_i^\top = \nabla f_{i+1}^\top W_i` (no activation derivative) holds only when
    :math:`D_{i+1}(x) = I` (linear σ, or ReLU with every unit active); refuted for tanh."""
    d = Derivation("dnfa.chain-rule-naive", r"\nabla f_i^\top = \nabla f_{i+1}^\top W_i",
                   ["σ differentiable, element-wise"])
    _layer_jacobian(d)
    one = sp.Integer(1)
    d.equal("if σ'(p_j) = 1 for every unit, D_{i+1} = I and the naive form is the correct one",
            sp.Sum(gh[j] * one * W[j, a], (j, 0, kp - 1)), sp.Sum(gh[j] * W[j, a], (j, 0, kp - 1)))
    t = sp.Symbol("t")
    lhs = sp.diff(sp.tanh(t), t).subs(t, 1)  # f_{i+1} = identity, W = [1], h = 1
    d.differ("counterexample: σ = tanh, W_i = [1], h_i = 1, f_{i+1}(h) = h: ∇f_i = tanh'(1) ≠ 1 = ∇f_{i+1}ᵀW_i",
             lhs, one)
    return d.close(generality=GENERAL, general=True,
                   condition="D_{i+1}(x) = I at every data point (σ' = 1 on the pre-activations: linear σ, or "
                   "ReLU with every unit active)",
                   counterexample={"activation": "tanh", "W_i": [[1]], "h_i": [1], "f_{i+1}": "identity",
                                   "grad f_i": str(lhs), "naive": "1"})


def _rewrite(d: Derivation, description: str, before, after, summand_before, summand_after) -> None:
    """A checked rewrite rule for finite sums: the summands agree and the limit sets agree."""
    ok = sp.simplify(summand_before - summand_after) == 0
    d.fact(description, rf"{sp.latex(before)} = {sp.latex(after)}",
           "simplify(summand_before − summand_after) == 0 (finite-sum rewrite)", ok)


def _agop_steps(d: Derivation, act_note: str):
    grad_a = sp.Sum(W[j, a] * g[x, j], (j, 0, kp - 1))  # (∇f_i)_a at sample x (dnfa.chain-rule)
    grad_b = sp.Sum(W[l, b] * g[x, l], (l, 0, kp - 1))
    agop = sp.Sum(grad_a * grad_b, (x, 0, N - 1)) / N
    triple = sp.Sum(W[j, a] * g[x, j] * W[l, b] * g[x, l], (j, 0, kp - 1), (l, 0, kp - 1), (x, 0, N - 1)) / N
    _rewrite(d, "distributivity: (Σ_j u_j)(Σ_l v_l) = Σ_{j,l} u_j v_l", agop, triple,
             grad_a.function * grad_b.function, W[j, a] * g[x, j] * W[l, b] * g[x, l])
    Gjl = sp.Sum(g[x, j] * g[x, l], (x, 0, N - 1)) / N
    factored = sp.Sum(W[j, a] * Gjl * W[l, b], (j, 0, kp - 1), (l, 0, kp - 1))
    _rewrite(d, "exchange finite sums and pull W (independent of x) out of Σ_x: = Σ_{j,l} W_ja G_jl W_lb",
             triple, factored, sp.Sum(W[j, a] * g[x, j] * W[l, b] * g[x, l], (x, 0, N - 1)) / N,
             W[j, a] * Gjl * W[l, b])
    # explicit supplement: k = 2, k' = 3, N = 3 with arbitrary symbols
    Wm = sp.Matrix(3, 2, sp.symbols("w0:6"))
    grads = [sp.Matrix(3, 1, sp.symbols(f"g{s}_0:3")) for s in range(3)]
    agop = sum(((Wm.T * gg) * (Wm.T * gg).T for gg in grads), sp.zeros(2, 2)) / 3
    Gm = sum((gg * gg.T for gg in grads), sp.zeros(3, 3)) / 3
    d.equal(f"explicit supplement (k = 2, k' = 3, N = 3{act_note}): AGOP_i = W_iᵀ G_{{i+1}} W_i",
            agop.applyfunc(sp.expand), (Wm.T * Gm * Wm).applyfunc(sp.expand))


def prove_agop_factorisation() -> Proof:
    r"""Prove :math:`\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i` from :math:`\nabla f_i = W_i^\top g_x`."""
    d = Derivation("dnfa.agop-factorisation", r"\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i",
                   ["∇f_i(h_i(x)) = W_iᵀ g_x with g_x the pre-activation gradient (dnfa.chain-rule)"])
    ch = prove_chain_rule()
    d.fact("chain rule (dnfa.chain-rule)", r"\nabla f_i = W_i^\top g_x", "nnclaims.proofs.dnfa.prove_chain_rule",
           ch.outcome == "proved")
    _agop_steps(d, "")
    return d.close(generality=GENERAL + "; explicit supplement k = 2, k' = 3, N = 3", general=True)


def prove_any_activation() -> Proof:
    r"""The cancellation :math:`\mathrm{AGOP}_i = W_i^\top G_{i+1} W_i` uses only σ's derivative
    inside ``g_x``: it holds for any differentiable element-wise σ (σ is an undefined function here).
    For ReLU this needs σ' at the kink, which frameworks set to 0 (a measure-zero choice)."""
    d = Derivation("dnfa.any-activation", r"\forall\sigma:\ \mathrm{AGOP}_i = W_i^\top G_{i+1} W_i",
                   ["σ differentiable at the data's pre-activations (ReLU: almost everywhere)"])
    _layer_jacobian(d, sigma)
    _agop_steps(d, ", σ arbitrary")
    return d.close(generality=GENERAL, general=True)


def prove_isotropy_equivalence() -> Proof:
    r""":math:`W^\top W = \lambda\,W^\top G W` (λ ≠ 0) versus :math:`G = I/\lambda`.

    ⇐ holds for every W.  ⇒ holds when W has full row rank (W Wᵀ invertible: square invertible,
    or wide), which the seed's "W_i invertible" covers; for a tall W (k' > k, e.g. a first layer
    widening the input) only the compression of G onto range(W) is forced, and ⇒ fails.
    """
    d = Derivation("dnfa.isotropy-equivalence", r"W^\top W \propto W^\top G W \iff G \propto I",
                   ["W_i invertible (as the seed assumes); proportionality constant λ ≠ 0"])
    kk = sp.Symbol("k", integer=True, positive=True)
    Wm = sp.MatrixSymbol("W", kk, kk)
    Mm = sp.MatrixSymbol("M", kk, kk)
    c = sp.Symbol("c")
    d.equal("⇐ (any W): G = cI gives WᵀGW = c WᵀW", (Wm.T * (c * sp.Identity(kk)) * Wm).doit(), c * Wm.T * Wm)
    A = Wm * Wm.T
    d.equal("⇒ (W Wᵀ invertible): M = (WWᵀ)⁻¹ W (WᵀMW) Wᵀ (WWᵀ)⁻¹, so WᵀMW = 0 ⇒ M = 0 with M = I − λG",
            (A.I * A * Mm * A * A.I).doit(), Mm)
    Wt = sp.Matrix([[1], [0]])
    Gt = sp.diag(1, 2)
    d.equal("the assumption is needed: tall W = [1, 0]ᵀ, G = diag(1, 2): WᵀGW = WᵀW ...", Wt.T * Gt * Wt, Wt.T * Wt)
    d.fact("... yet G is not ∝ I", r"G = \mathrm{diag}(1,2) \not\propto I", "G[0,0] != G[1,1]", Gt[0, 0] != Gt[1, 1])
    return d.close(generality="general sizes (matrix-symbol algebra); ⇐ for every W, ⇒ needs only full row rank "
                   "(weaker than invertible) and fails for tall W_i", general=True)


def prove_tight_frame() -> Proof:
    r"""For the gradient data matrix Γ (k×N, columns g_x), :math:`G = \frac1N\Gamma\Gamma^\top`:
    G = cI ⇔ Σ_x (vᵀg_x)² = Nc‖v‖² for all v (equal L2 mass in every direction, a tight frame)
    ⇔ Γ = √(Nc)·S with S S ᵀ = I (a constant times a semi-orthogonal matrix; needs N ≥ k when c > 0)."""
    d = Derivation("dnfa.tight-frame", r"G \propto I \iff \Gamma\Gamma^\top = NcI \iff \Gamma = \sqrt{Nc}\,S,\ SS^\top = I",
                   ["G symmetric (it is a Gram matrix)", "c ≥ 0 (G is positive semi-definite)"])
    Mx = sp.IndexedBase("M")
    i2, jj, aa, bb = sp.symbols("i2 jj aa bb", integer=True)
    Rr = Ranges({aa: k, bb: k})
    quad = lambda vec: sp.Sum(vec(i2) * Mx[i2, jj] * vec(jj), (i2, 0, k - 1), (jj, 0, k - 1))
    ea = lambda t: sp.KroneckerDelta(t, aa)
    eab = lambda t: sp.KroneckerDelta(t, aa) + sp.KroneckerDelta(t, bb)
    qa, qab = normalise(quad(ea), Rr), normalise(quad(eab), Rr)
    d.equal("polarisation: Q(e_a) = M_aa", qa, Mx[aa, aa])
    d.equal("Q(e_a + e_b) = M_aa + M_bb + M_ab + M_ba", qab, Mx[aa, aa] + Mx[bb, bb] + Mx[aa, bb] + Mx[bb, aa])
    d.fact("so for symmetric M = G − cI: Q ≡ 0 (equal mass in every direction) forces every M_ab = 0",
           r"Q\equiv 0,\ M=M^\top \Rightarrow M_{ab} = \tfrac12(Q(e_a+e_b) - Q(e_a) - Q(e_b)) = 0",
           "the two equalities above", d.all_hold)
    kk, NN = sp.symbols("k N", integer=True, positive=True)
    Gam = sp.MatrixSymbol("Gamma", kk, NN)
    cc = sp.Symbol("c", positive=True)
    S = Gam / sp.sqrt(NN * cc)
    d.equal("S = Γ/√(Nc): S Sᵀ = ΓΓᵀ/(Nc), which is I exactly when G = ΓΓᵀ/N = cI",
            (S * S.T).doit(), (Gam * Gam.T) / (NN * cc))
    return d.close(generality="general sizes (index-level polarisation; matrix-symbol algebra)", general=True)


def prove_svd_form() -> Proof:
    r"""With :math:`W = U\Sigma V^\top`: :math:`W^\top W = \lambda M` ⇒ the right singular vectors are
    eigenvectors of M, eigenvalues :math:`\sigma_i^2/\lambda`, in the same order.  The converse — the
    "⇔" of the notes — is false: shared eigenvectors (even in the same order) do not make the
    spectra proportional."""
    d = Derivation("dnfa.svd-form", r"W^\top W \propto M \iff V \text{ diagonalises } M \text{ (same order)}",
                   ["λ > 0", "M = AGOP_i symmetric PSD"])
    kk = sp.Symbol("k", integer=True, positive=True)
    V = sp.MatrixSymbol("V", kk, kk)
    Sg = sp.MatrixSymbol("Sigma2", kk, kk)
    lam = sp.Symbol("lambda", positive=True)
    Mm = (V * Sg * V.T) / lam
    d.equal("⇒: M = VΣ²Vᵀ/λ, so with VᵀV = I, M V = V Σ²/λ (eigenvectors V, eigenvalues σ_i²/λ)",
            (Mm * V).subs(V.T * V, sp.Identity(kk)).doit(), (V * (V.T * V) * Sg / lam).subs(V.T * V, sp.Identity(kk)).doit())
    Wc = sp.diag(2, 1)
    Mc = sp.diag(3, 1)
    ev = Mc.eigenvects()
    d.fact("counterexample to ⇐: W = diag(2, 1), M = diag(3, 1) share eigenvectors e1, e2 in the same order",
           r"W^\top W = \mathrm{diag}(4,1),\ M = \mathrm{diag}(3,1)", "both diagonal, decreasing diagonals",
           Wc.is_diagonal() and Mc.is_diagonal() and len(ev) == 2)
    ratios = {(Wc.T * Wc)[i, i] / Mc[i, i] for i in range(2)}
    d.fact("... but WᵀW is not ∝ M", r"4/3 \ne 1/1", "the diagonal ratios differ", len(ratios) == 2)
    return d.close(generality="general sizes (matrix-symbol algebra); counterexample exact at k = 2", general=True,
                   refuted=True, counterexample={"W": [[2, 0], [0, 1]], "M": [[3, 0], [0, 1]],
                                                 "WtW": [[4, 0], [0, 1]], "note": "same eigenvectors, not proportional"})
