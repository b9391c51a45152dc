r"""Hessian and feature geometry (seed 003): what the loss Hessian is, and when it is a feature Gram.

:math:`L(\theta) = \sum_x \ell(f(x;\theta), y_x)`.  A Hessian entry :math:`\partial_a\partial_b L`
involves only the two coordinates :math:`\theta_a, \theta_b`, so proving it for
:math:`f(x; s, t)` with :math:`(s, t) = (\theta_a, \theta_b)` and the other parameters fixed proves
it for any number of parameters.
"""

from __future__ import annotations

import sympy as sp

from ._index import Ranges, normalise
from .record import Derivation, Proof

__all__ = [
    "prove_gauss_newton_split", "prove_residual_vanishes", "prove_linear_features_example",
    "prove_feature_gram_at_optimum", "prove_zero_eigs_feature_rank", "prove_vector_output",
    "prove_earlier_layers_act_derivs", "prove_layer_orthogonal_basis", "prove_next_layer_gradient_same",
]

s_, t_, u_ = sp.symbols("s t u")
f = sp.Function("f")
ell = sp.Function("ell")
y = sp.Symbol("y")
GENERAL = "any number of parameters (an entry depends on two coordinates); scalar output, ℓ undefined"
MSE_CONDITION = ("ℓ''(f(x), y) = 1 at every data point (the squared error ½(f−y)²); for another loss each "
                 "data point's feature outer product is weighted by ℓ''")


def _split(d: Derivation):
    """∂_s∂_t ℓ(f(s,t)) = ℓ''·∂_s f ∂_t f + ℓ'·∂_s∂_t f, for one data point (sum over x is linear)."""
    F = f(s_, t_)
    lhs = sp.diff(ell(F), s_, t_)
    w = sp.Symbol("w")
    l1 = sp.Derivative(ell(w), w).subs(w, F)
    l2 = sp.Derivative(ell(w), w, 2).subs(w, F)
    d.equal("∂_a∂_b ℓ(f) = ℓ''(f) ∂_a f ∂_b f + ℓ'(f) ∂_a∂_b f (one data point; sum over x is linear)",
            lhs.doit(), (l2 * sp.diff(F, s_) * sp.diff(F, t_) + l1 * sp.diff(F, s_, t_)).doit())
    Fd = f(s_)
    d.equal("diagonal entries: ∂_a² ℓ(f) = ℓ''(f)(∂_a f)² + ℓ'(f) ∂_a² f",
            sp.diff(ell(Fd), s_, 2).doit(),
            (sp.Derivative(ell(w), w, 2).subs(w, Fd) * sp.diff(Fd, s_) ** 2
             + sp.Derivative(ell(w), w).subs(w, Fd) * sp.diff(Fd, s_, 2)).doit())
    return l1, l2


def _vector_split(d: Derivation, q: int):
    fs = [sp.Function(f"f{c}")(s_, t_) for c in range(q)]
    zs = sp.symbols(f"z0:{q}")
    L = sp.Function("ell")(*fs)
    lhs = sp.diff(L, s_, t_).doit()
    H = [[sp.Derivative(sp.Function("ell")(*zs), zs[c], zs[e]).subs(dict(zip(zs, fs))) for e in range(q)] for c in range(q)]
    g = [sp.Derivative(sp.Function("ell")(*zs), zs[c]).subs(dict(zip(zs, fs))) for c in range(q)]
    rhs = sum(H[c][e] * sp.diff(fs[c], s_) * sp.diff(fs[e], t_) for c in range(q) for e in range(q)) \
        + sum(g[c] * sp.diff(fs[c], s_, t_) for c in range(q))
    d.equal(f"vector output (q = {q}, explicit): ∂_a∂_b ℓ(f) = Σ_cc' ∂_c∂_c'ℓ ∂_a f_c ∂_b f_c' + Σ_c ∂_cℓ ∂_a∂_b f_c",
            lhs, rhs.doit())


def prove_gauss_newton_split() -> Proof:
    r""":math:`\nabla^2 L = \sum_x J_x^\top (\nabla^2_f \ell) J_x + \sum_x \sum_c \partial_c\ell\,\nabla^2 f_c`."""
    d = Derivation("hessian.gauss-newton-split", r"\nabla^2 L = J^\top \nabla^2_f\ell\, J + \sum_c \partial_c \ell\, \nabla^2 f_c",
                   ["f twice differentiable in θ", "ℓ twice differentiable in the outputs"])
    _split(d)
    for q in (2, 3):
        _vector_split(d, q)
    return d.close(generality=GENERAL + "; vector output explicit for q = 2, 3", general=True)


def prove_residual_vanishes() -> Proof:
    r"""The residual term :math:`\sum_x \ell'(f(x))\,\partial_a\partial_b f` vanishes when
    :math:`\ell'(f(x), y_x) = 0` at every data point — not *because* ℓ is convex: a convex loss at an
    optimum that does not fit every point keeps it (:math:`f = \theta^2`, y = −1: H = 2, all residual)."""
    d = Derivation("hessian.residual-vanishes", r"\sum_x \ell'\,\nabla^2 f = 0 \text{ at a perfect-loss optimum}",
                   ["perfect loss: every data point at a stationary minimum of ℓ(·, y)"])
    l1, l2 = _split(d)
    F = f(s_, t_)
    d.equal("with ℓ'(f(x), y) = 0 at every data point the residual term is 0",
            (l1 * sp.diff(F, s_, t_)).subs(l1, 0), 0)
    th = sp.Symbol("theta")
    fq = th ** 2
    Lq = (fq - (-1)) ** 2 / 2
    d.equal("counterexample to the reason: ℓ = ½(f−y)² convex, f = θ², y = −1; θ = 0 is a minimum (L' = 0)",
            sp.diff(Lq, th).subs(th, 0), 0)
    d.fact("... and a minimum: L'' > 0 there", r"L''(0) = 2 > 0", "diff(L, θ, 2) at 0 is positive",
           sp.diff(Lq, th, 2).subs(th, 0) > 0)
    gn = (sp.diff(fq, th) ** 2).subs(th, 0)
    res = ((fq + 1) * sp.diff(fq, th, 2)).subs(th, 0)
    d.differ("there the residual term ℓ'·f'' = 1·2 is not zero (and the Gauss–Newton term is 0)", res, gn)
    return d.close(generality=GENERAL, general=True,
                   condition="ℓ'(f(x), y_x) = 0 at every data point (the fit is perfect and each per-sample loss "
                   "is stationary there, e.g. squared error at interpolation); convexity is neither the reason nor "
                   "enough, and softmax cross-entropy never attains it at finite θ",
                   counterexample={"f": "theta**2", "y": -1, "loss": "1/2 (f - y)**2 (convex)", "theta*": 0,
                                   "hessian": 2, "gauss_newton": 0, "residual": 2})


def _quartic_counterexample(d: Derivation) -> dict:
    """ℓ = (f − y)⁴ is convex with a perfect optimum, yet ℓ'' = 0 there: H = 0 ≠ feature Gram."""
    th0, th1 = sp.symbols("theta0 theta1")
    xs, ys = [1, 2], [1, 2]
    fx = lambda x: th0 * x + th1  # features g0(x) = x, g1 = 1
    L = sum((fx(x) - yy) ** 4 for x, yy in zip(xs, ys))
    opt = {th0: 1, th1: 0}
    H = sp.hessian(L, (th0, th1)).subs(opt)
    gram = sp.Matrix([[sum(x * x for x in xs), sum(xs)], [sum(xs), len(xs)]])
    d.differ("counterexample: ℓ = (f − y)⁴ (convex), f = θ0 x + θ1 fits x = 1, 2 exactly; H = 0 ≠ Gram of (x, 1)",
             H, gram)
    return {"loss": "(f - y)**4", "model": "theta0*x + theta1", "data": [[1, 1], [2, 2]], "optimum": [1, 0],
            "hessian": [[0, 0], [0, 0]], "feature_gram": [[5, 3], [3, 2]]}


def prove_linear_features_example() -> Proof:
    r"""For :math:`f(x) = \sum_i \theta_i g_i(x) + c` and squared error, :math:`\partial_{\theta_a}\partial_{\theta_b} L
    = \sum_x g_a(x) g_b(x)` and :math:`\partial_c\partial_{\theta_a} L = \sum_x g_a(x)` — at every θ, at
    general sizes (index-level); for another loss the Gram matrix is weighted by ℓ''."""
    d = Derivation("hessian.linear-features-example", r"\nabla^2 L = \sum_x [g(x);1][g(x);1]^\top",
                   ["f(x) = Σ_i θ_i g_i(x) + c", "ℓ = ½(f − y)²"])
    P, N = sp.symbols("P N", integer=True, positive=True)
    i, x, a, b = sp.symbols("i x a b", integer=True)
    th, G, Y = sp.IndexedBase("theta"), sp.IndexedBase("g"), sp.IndexedBase("y")
    c = sp.Symbol("c")
    fx = sp.Sum(th[i] * G[i, x], (i, 0, P - 1)) + c
    L = sp.Sum((fx - Y[x]) ** 2 / 2, (x, 0, N - 1))
    R = Ranges({a: P, b: P, x: N})
    Hab = normalise(sp.diff(L, th[a], th[b]), R)
    d.equal("∂θa∂θb L = Σ_x g_a(x) g_b(x) (the L2 inner product over the data)", Hab,
            sp.Sum(G[a, x] * G[b, x], (x, 0, N - 1)))
    d.equal("∂c∂θa L = Σ_x g_a(x)·1", normalise(sp.diff(L, c, th[a]), R), sp.Sum(G[a, x], (x, 0, N - 1)))
    d.equal("∂c² L = Σ_x 1·1 = N", normalise(sp.diff(L, c, 2), R), N)
    cex = _quartic_counterexample(d)
    return d.close(generality="general sizes (index-level, any P, N)", general=True, condition=MSE_CONDITION,
                   counterexample=cex)


def prove_feature_gram_at_optimum() -> Proof:
    r"""At a perfect-loss optimum (ℓ' = 0 on the data) :math:`H_{ab} = \sum_x \ell''\,\partial_a f\,\partial_b f`:
    the data Gram matrix of the features :math:`\partial f/\partial\theta` exactly when ℓ'' = 1."""
    d = Derivation("hessian.feature-gram-at-optimum", r"H = \sum_x \nabla_\theta f \nabla_\theta f^\top",
                   ["perfect-loss optimum: ℓ'(f(x), y) = 0 on the data"])
    l1, l2 = _split(d)
    F = f(s_, t_)
    split = l2 * sp.diff(F, s_) * sp.diff(F, t_) + l1 * sp.diff(F, s_, t_)
    d.equal("with ℓ' = 0 and ℓ'' = 1: H_ab = Σ_x ∂_a f ∂_b f", split.subs({l1: 0, l2: 1}),
            sp.diff(F, s_) * sp.diff(F, t_))
    cex = _quartic_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=MSE_CONDITION, counterexample=cex)


def prove_zero_eigs_feature_rank() -> Proof:
    r"""At a perfect-loss optimum :math:`H = J^\top\Lambda J` with :math:`\Lambda = \mathrm{diag}(\ell''(f(x)))`.
    If every ℓ'' > 0, :math:`v^\top H v = \|\Lambda^{1/2} J v\|^2`, so null(H) = null(J) and, H being
    symmetric, #zero eigenvalues = P − rank J (rank–nullity).  With ℓ'' = 0 somewhere it fails."""
    d = Derivation("hessian.zero-eigs-feature-rank", r"\#\{\lambda(H) = 0\} = P - \operatorname{rank} J",
                   ["perfect-loss optimum (residual term 0)", "H symmetric (multiplicities agree)"])
    Nn, Pn = sp.symbols("N P", integer=True, positive=True)
    J = sp.MatrixSymbol("J", Nn, Pn)
    S = sp.MatrixSymbol("S", Nn, Nn)  # S = Λ^{1/2}, diagonal with positive entries
    v = sp.MatrixSymbol("v", Pn, 1)
    d.equal("vᵀ H v = vᵀ Jᵀ S S J v = (S J v)ᵀ (S J v) with Λ = S², S = Sᵀ", (v.T * J.T * S.T * S * J * v),
            (S * J * v).T * (S * J * v))
    # explicit check of ker(JᵀΛJ) = ker(J) and rank–nullity on a rank-deficient feature matrix
    Jm = sp.Matrix([[1, 2, 3], [2, 4, 6]])
    Lam = sp.diag(2, 3)
    kerH, kerJ = (Jm.T * Lam * Jm).nullspace(), Jm.nullspace()
    same = len(kerH) == len(kerJ) and sp.Matrix.hstack(*kerH, *kerJ).rank() == len(kerJ)
    d.fact("so vᵀHv = 0 ⇔ SJv = 0 ⇔ Jv = 0 (S invertible); explicit check with Λ = diag(2, 3): ker(JᵀΛJ) = ker J",
           r"\ker H = \ker J", "exact null spaces span the same space", same)
    Hm = Jm.T * Jm
    zero_eigs = sum(m for ev, m in Hm.eigenvals().items() if ev == 0)
    d.fact("explicit supplement: J of rank 1 with P = 3 gives 2 zero eigenvalues of JᵀJ",
           r"\#\{\lambda = 0\} = 3 - 1", "exact eigenvalue multiplicities", zero_eigs == 3 - Jm.rank())
    cex = _quartic_counterexample(d)
    return d.close(generality="general sizes (matrix-symbol algebra); supplement exact at P = 3", general=True,
                   condition="ℓ''(f(x), y) > 0 at every data point (e.g. squared error) besides the perfect fit",
                   counterexample=cex)


def prove_vector_output() -> Proof:
    r"""Vector outputs: squared error gives :math:`H = \sum_x J_x^\top J_x` (a Gram over data *and*
    outputs); softmax cross-entropy has :math:`\nabla_z^2\ell = \mathrm{diag}(p) - pp^\top` (proved at
    general q), whose cross terms make H a :math:`(\mathrm{diag}(p) - pp^\top)`-weighted form, not the
    feature Gram — and it tends to 0 as the fit becomes perfect."""
    d = Derivation("hessian.vector-output", r"\nabla^2 L = \sum_x J_x^\top J_x \text{ for any loss}",
                   ["perfect-loss optimum where it exists"])
    for q in (2, 3):
        _vector_split(d, q)
    q = sp.Symbol("q", integer=True, positive=True)
    c, a, b = sp.symbols("c a b", integer=True)
    z = sp.IndexedBase("z")
    yy = sp.Symbol("y_idx", integer=True)
    lse = sp.log(sp.Sum(sp.exp(z[c]), (c, 0, q - 1)))
    ce = -z[yy] + lse
    R = Ranges({a: q, b: q, yy: q})
    p = lambda k: sp.exp(z[k]) / sp.Sum(sp.exp(z[c]), (c, 0, q - 1))
    hess = normalise(sp.diff(ce, z[a], z[b]), R)
    d.equal("softmax cross-entropy, general q: ∂²ℓ/∂z_a∂z_b = p_a δ_ab − p_a p_b",
            hess, p(a) * sp.KroneckerDelta(a, b) - p(a) * p(b))
    d.equal("squared error, general q: ∂²/∂z_a∂z_b ½Σ_c (z_c − y_c)² = δ_ab (identity: a Gram over outputs)",
            normalise(sp.diff(sp.Sum((z[c] - sp.IndexedBase("t")[c]) ** 2 / 2, (c, 0, q - 1)), z[a], z[b]), R),
            sp.KroneckerDelta(a, b))
    pv = sp.Matrix([sp.Rational(1, 2), sp.Rational(1, 2)])
    Hce = sp.diag(*pv) - pv * pv.T
    Jx = sp.Matrix([[1, 0], [0, 1]])
    d.differ("counterexample (q = 2, p = (½, ½), J = I): Jᵀ(diag p − ppᵀ)J = [[¼, −¼], [−¼, ¼]] is not ∝ JᵀJ = I",
             Jx.T * Hce * Jx, Hce[0, 0] * Jx.T * Jx)
    return d.close(generality="general q for the loss Hessians; the split explicit for q = 2, 3", general=True,
                   condition="the loss Hessian in the outputs is a multiple of the identity (squared error); "
                   "softmax cross-entropy has cross terms diag(p) − ppᵀ",
                   counterexample={"loss": "softmax cross-entropy", "p": ["1/2", "1/2"], "J": [[1, 0], [0, 1]],
                                   "H": [["1/4", "-1/4"], ["-1/4", "1/4"]], "feature_gram": [[1, 0], [0, 1]]})


def prove_earlier_layers_act_derivs() -> Proof:
    r"""For :math:`f(x) = \sum_j v_j \sigma(\sum_a W_{aj} x_a + b_j) + c`, the first-layer features are
    :math:`\partial f/\partial W_{em} = v_m\,\sigma'(z_m)\,x_e`: multiplied by the activation derivative
    (and by the downstream weight), at general sizes."""
    d = Derivation("hessian.earlier-layers-act-derivs", r"\partial f/\partial W_{em} = v_m \sigma'(z_m) x_e",
                   ["σ differentiable"])
    dd, h = sp.symbols("d h", integer=True, positive=True)
    a, j, e, m = sp.symbols("a j e m", integer=True)
    W, x, v, bb = (sp.IndexedBase(n) for n in ("W", "x", "v", "b"))
    sig = sp.Function("sigma")
    z = lambda jj: sp.Sum(W[a, jj] * x[a], (a, 0, dd - 1)) + bb[jj]
    fx = sp.Sum(v[j] * sig(z(j)), (j, 0, h - 1)) + sp.Symbol("c")
    R = Ranges({e: dd, m: h})
    w = sp.Symbol("w")
    d.equal("∂f/∂W_em = v_m σ'(z_m) x_e", normalise(sp.diff(fx, W[e, m]), R),
            v[m] * sp.Derivative(sig(w), w).subs(w, z(m)) * x[e])
    d.equal("∂f/∂v_m = σ(z_m): last-layer features carry no activation derivative",
            normalise(sp.diff(fx, v[m]), R), sig(z(m)))
    return d.close(generality="general sizes (index-level)", general=True)


def prove_layer_orthogonal_basis() -> Proof:
    r"""With :math:`A = \sum_x a a^\top = U\Lambda U^\top`, the features :math:`\tilde a = U^\top a` are
    orthogonal over the data (:math:`\sum_x \tilde a\tilde a^\top = \Lambda`), and the *outgoing* weights
    absorb the change (:math:`(aU)(U^\top W) = aW`).  The incoming side does not: the next units are
    :math:`\sigma(\cdot)` of the old coordinates, and :math:`\sigma(zU) \ne \sigma(z)U` for a rotation
    (perm.orthogonal-commutes), so re-expressing both adjacent matrices changes the function."""
    d = Derivation("hessian.layer-orthogonal-basis", r"\text{network in the eigenbasis of } \sum_x aa^\top = \text{same function}",
                   ["U orthogonal eigenbasis of the activation Gram A"])
    kk, nn = sp.symbols("k n", integer=True, positive=True)
    Am = sp.MatrixSymbol("a", nn, kk)  # rows: activation vectors over the data
    U = sp.MatrixSymbol("U", kk, kk)
    Wm = sp.MatrixSymbol("W", kk, kk)
    gram_new = ((Am * U).T * (Am * U))
    d.equal("Gram of the new features: (aU)ᵀ(aU) = Uᵀ (aᵀa) U = Λ (diagonal by the choice of U)",
            gram_new, U.T * (Am.T * Am) * U)
    d.equal("outgoing side: (aU)(UᵀW) = aW when UUᵀ = I", ((Am * U) * (U.T * Wm)).subs(U * U.T, sp.Identity(kk)), Am * Wm)
    x = sp.Symbol("x")
    relu = sp.Lambda(x, sp.Max(0, x))
    Ur = sp.Matrix([[sp.Rational(3, 5), sp.Rational(-4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    z = sp.Matrix([[1, 0]])
    d.differ("incoming side fails with ReLU: σ(zU) ≠ σ(z)U for the rotation U = [[3/5, −4/5], [4/5, 3/5]], z = (1, 0)",
             (z * Ur).applyfunc(relu), z.applyfunc(relu) * Ur)
    return d.close(generality="general sizes (matrix-symbol algebra); counterexample exact at k = 2", general=True,
                   condition="the basis change is applied to the linear map out of the layer alone, or U commutes "
                   "with σ (a permutation, a signed permutation with odd σ, or linear σ)",
                   counterexample={"activation": "relu", "U": [["3/5", "-4/5"], ["4/5", "3/5"]], "z": [[1, 0]],
                                   "sigma(zU)": ["3/5", "0"], "sigma(z)U": ["3/5", "-4/5"]})


def prove_next_layer_gradient_same() -> Proof:
    r""":math:`z_k = \sum_i a_i W_{ik} + b_k` gives :math:`\partial z_k/\partial W_{ik} = a_i` for every k
    (and :math:`\partial z_k/\partial W_{il} = 0` for l ≠ k): the same vector, whichever unit is chosen."""
    d = Derivation("hessian.next-layer-gradient-same", r"\partial z_k/\partial W_{:,k} = a\ \forall k",
                   ["biases are separate parameters (or a constant-1 activation)"])
    n_, m_ = sp.symbols("n m", integer=True, positive=True)
    i, k, k2, e, l = sp.symbols("i k k2 e l", integer=True)
    a, W, b = sp.IndexedBase("a"), sp.IndexedBase("W"), sp.IndexedBase("b")
    z = lambda kk: sp.Sum(a[i] * W[i, kk], (i, 0, n_ - 1)) + b[kk]
    R = Ranges({e: n_, k: m_, k2: m_, l: m_})
    gk = normalise(sp.diff(z(k), W[e, k]), R)
    d.equal("∂z_k/∂W_ek = a_e", gk, a[e])
    d.equal("the same for another unit k2", normalise(sp.diff(z(k2), W[e, k2]), R), gk)
    d.equal("and ∂z_k/∂W_el = a_e δ_kl (zero off the unit's own column)", normalise(sp.diff(z(k), W[e, l]), R),
            a[e] * sp.KroneckerDelta(k, l))
    return d.close(generality="general sizes (index-level)", general=True)
