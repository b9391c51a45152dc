r"""Hessian and feature geometry (seed 003): what the loss Hessian is, and when it is a feature Gram.

:math:`L(\theta) = \sum_x \ell(f(x;\theta), y_x)`.  A Hessian entry :math:`\partial_a\partial_b L`
involves only the two coordinates :math:`\theta_a, \theta_b`, so proving it for
:math:`f(x; s, t)` with :math:`(s, t) = (\theta_a, \theta_b)` and the other parameters fixed proves
it for any number of parameters.  Every equality is a chain (:meth:`~nnclaims.proofs.record.Derivation.chain`)
whose first expression is computed from the definitions; the loss, the network and the counterexamples are
module-level names, so a mutation can break them.
"""

from __future__ import annotations

import functools

import sympy as sp

from ._index import Ranges, normalise
from .record import Derivation, Proof, doit

__all__ = [
    "prove_gauss_newton_split", "prove_residual_vanishes", "prove_linear_features_example",
    "prove_feature_gram_at_optimum", "prove_zero_eigs_feature_rank", "prove_vector_output",
    "prove_earlier_layers_act_derivs", "prove_layer_orthogonal_basis", "prove_next_layer_gradient_same",
    "squared_error", "quartic_error", "split_form", "QUARTIC_COUNTEREXAMPLE", "RESIDUAL_COUNTEREXAMPLE",
    "CE_COUNTEREXAMPLE", "BASIS_ROTATION", "RANK_SUPPLEMENTS",
]

s_, t_ = sp.symbols("s t")
f = sp.Function("f")
ell = sp.Function("ell")
sigma = sp.Function("sigma")
y = sp.Symbol("y")
w_ = sp.Symbol("w")
GENERAL = "any number of parameters (an entry depends on two coordinates); scalar output, ℓ undefined"
MSE_CONDITION = ("ℓ''(f(x), y) = 1 at every data point (the squared error ½(f−y)²); for another loss each "
                 "data point's feature outer product is weighted by ℓ''")


def squared_error(F, Y):
    r""":math:`\tfrac12 (f - y)^2`, the loss under which the seed's Gram statements hold (ℓ'' = 1)."""
    return (F - Y) ** 2 / 2


def quartic_error(F, Y):
    r""":math:`(f - y)^4`: convex, minimal (0) at a perfect fit, yet ℓ'' = 0 there."""
    return (F - Y) ** 4


def softmax_ce(z, label, c, q):
    r"""Softmax cross-entropy :math:`-z_y + \log\sum_c e^{z_c}` for logits ``z`` (an IndexedBase) of size ``q``."""
    return -z[label] + sp.log(sp.Sum(sp.exp(z[c]), (c, 0, q - 1)))


def split_form(l1, l2, F, a=s_, b=t_):
    r"""The stated split of one data point's Hessian entry: :math:`\ell''\,\partial_a f\,\partial_b f + \ell'\,\partial_a\partial_b f`."""
    return l2 * sp.diff(F, a) * sp.diff(F, b) + l1 * sp.diff(F, a, b)


def activation_derivative(z):
    r""":math:`\sigma'(z)` for the undefined activation σ (the factor the seed says earlier features carry)."""
    return sp.Derivative(sigma(w_), w_).subs(w_, z)


def preactivation(a, W, b, i, k, n):
    r""":math:`z_k = \sum_i a_i W_{ik} + b_k` (the seed's row convention)."""
    return sp.Sum(a[i] * W[i, k], (i, 0, n - 1)) + b[k]


# the counterexamples, as data: f = θ0·x + θ1 fits (1, 1), (2, 2) exactly with θ* = (1, 0)
QUARTIC_COUNTEREXAMPLE = {"loss": "(f - y)**4", "model": "theta0*x + theta1", "data": ((1, 1), (2, 2)),
                          "optimum": (1, 0)}
# f = θ², y = −1, squared error: θ* = 0 is a strict minimum that does not fit the point
RESIDUAL_COUNTEREXAMPLE = {"f": "theta**2", "y": -1, "theta": 0, "loss": "1/2 (f - y)**2 (convex)"}
# softmax cross-entropy with p = (½, ½) and J = I (two outputs, two parameters)
CE_COUNTEREXAMPLE = {"p": ("1/2", "1/2"), "J": ((1, 0), (0, 1))}
# a rational rotation (not a signed permutation) and a pre-activation where ReLU does not commute with it
BASIS_ROTATION = {"U": (("3/5", "-4/5"), ("4/5", "3/5")), "z": ((1, 0),)}
# explicit supplements for the rank count: J = A·B of rank r (N × P), Λ = diag(lam) with positive entries
RANK_SUPPLEMENTS = (
    {"A": ((1,), (2,)), "B": ((1, 2, 3),), "lam": (2, 3)},
    {"A": ((1, 0), (0, 1), (1, 1)), "B": ((1, 0, 2, 1), (0, 1, -1, 1)), "lam": (1, 2, 5)},
    {"A": ((1, 2), (3, 4), (5, 6), (7, 8)), "B": ((1, 0, 1), (0, 1, 1)), "lam": (1, 1, 2, 3)},
    {"A": ((1, 0, 0), (0, 1, 0), (0, 0, 1)), "B": ((1, 0, 0), (0, 1, 0), (0, 0, 1)), "lam": (3, 1, 4)},
    {"A": ((2,), (-1,), (1,), (3,), (1,)), "B": ((1, -1),), "lam": (1, 7, 2, 1, 1)},
    {"A": ((1, 1), (1, -1)), "B": ((1, 2, 0, 1, 1), (0, 1, 1, 2, -1)), "lam": (9, 1)},
)
CURVATURE_HYPOTHESIS = sp.Q.invertible
"""The hypothesis on :math:`S = \\Lambda^{1/2}` (``ℓ'' > 0`` at every data point) that makes Λ definite."""


def _split(d: Derivation):
    """∂_s∂_t ℓ(f(s,t)) = ℓ''·∂_s f ∂_t f + ℓ'·∂_s∂_t f, for one data point (sum over x is linear)."""
    F = f(s_, t_)
    l1 = sp.Derivative(ell(w_), w_).subs(w_, F)
    l2 = sp.Derivative(ell(w_), w_, 2).subs(w_, F)
    (d.chain(sp.Derivative(ell(F), s_, t_))
     .by("differentiate ℓ(f(θ)) twice (chain and product rules)", doit)
     .then(split_form(l1, l2, F), "= ℓ''(f) ∂_a f ∂_b f + ℓ'(f) ∂_a∂_b f (one data point; the sum over x is linear)",
           via=doit))
    Fd = f(s_)
    (d.chain(sp.Derivative(ell(Fd), (s_, 2)))
     .by("diagonal entries: differentiate twice in the same coordinate", doit)
     .then(split_form(sp.Derivative(ell(w_), w_).subs(w_, Fd), sp.Derivative(ell(w_), w_, 2).subs(w_, Fd), Fd, s_, s_),
           "= ℓ''(f)(∂_a f)² + ℓ'(f) ∂_a² f", via=doit))
    return l1, l2


def _vector_split(d: Derivation, q: int):
    fs = [sp.Function(f"f{c}")(s_, t_) for c in range(q)]
    zs = sp.symbols(f"z0:{q}")
    at = dict(zip(zs, fs))
    H = [[sp.Derivative(ell(*zs), zs[c], zs[e]).subs(at) for e in range(q)] for c in range(q)]
    g = [sp.Derivative(ell(*zs), zs[c]).subs(at) for c in range(q)]
    rhs = sum(H[c][e] * sp.diff(fs[c], s_) * sp.diff(fs[e], t_) for c in range(q) for e in range(q)) \
        + sum(g[c] * sp.diff(fs[c], s_, t_) for c in range(q))
    (d.chain(sp.Derivative(ell(*fs), s_, t_))
     .by(f"vector output, explicit supplement q = {q}: differentiate ℓ(f_0, …, f_{q - 1}) twice", doit)
     .then(rhs, "= Σ_cc' ∂_c∂_c'ℓ ∂_a f_c ∂_b f_c' + Σ_c ∂_cℓ ∂_a∂_b f_c", via=doit))


def prove_gauss_newton_split() -> Proof:
    r""":math:`\nabla^2 L = \sum_x J_x^\top (\nabla^2_f \ell) J_x + \sum_x \sum_c \partial_c\ell\,\nabla^2 f_c`.

    >>> prove_gauss_newton_split().outcome
    'proved'
    """
    d = Derivation("hessian.gauss-newton-split", r"\nabla^2 L = J^\top \nabla^2_f\ell\, J + \sum_c \partial_c \ell\, \nabla^2 f_c",
                   ["f twice differentiable in θ", "ℓ twice differentiable in the outputs"])
    _split(d)
    for q in (2, 3):
        _vector_split(d, q)
    return d.close(generality=GENERAL + "; vector output as explicit supplements q = 2, 3", general=True)


def prove_residual_vanishes() -> Proof:
    r"""The residual term :math:`\sum_x \ell'(f(x))\,\partial_a\partial_b f` vanishes when
    :math:`\ell'(f(x), y_x) = 0` at every data point — not *because* ℓ is convex: a convex loss at an
    optimum that does not fit every point keeps it (:math:`f = \theta^2`, y = −1: H = 2, all residual).

    >>> prove_residual_vanishes().outcome
    'proved'
    """
    d = Derivation("hessian.residual-vanishes", r"\sum_x \ell'\,\nabla^2 f = 0 \text{ at a perfect-loss optimum}",
                   ["perfect loss: every data point at a stationary minimum of ℓ(·, y)"])
    l1, l2 = _split(d)
    F = f(s_, t_)
    (d.chain(split_form(l1, l2, F) - l2 * sp.diff(F, s_) * sp.diff(F, t_))
     .by("the residual term: the split minus the Gauss–Newton term", sp.expand)
     .assuming("at a perfect-loss optimum ℓ'(f(x), y_x) = 0 at every data point", {l1: 0})
     .then(sp.Integer(0), "the residual term is 0"))
    cex = RESIDUAL_COUNTEREXAMPLE
    th = sp.Symbol("theta")
    fq = sp.sympify(cex["f"], locals={"theta": th})
    Lq = squared_error(fq, cex["y"])
    at = {th: cex["theta"]}
    d.fact("counterexample to the reason: ℓ = ½(f − y)² is convex in f (ℓ'' > 0)", r"\ell''(f) = 1 > 0",
           "diff(squared_error(w, y), w, 2) is positive", bool(sp.diff(squared_error(w_, cex["y"]), w_, 2) > 0))
    d.fact(f"… θ* = {cex['theta']} is stationary for f = {cex['f']}, y = {cex['y']}", r"L'(\theta^*) = 0",
           "diff(L, θ) at θ* == 0 (exact)", sp.diff(Lq, th).subs(at) == 0)
    d.fact("… and a strict minimum", r"L''(\theta^*) > 0", "diff(L, θ, 2) at θ* is positive (exact)",
           bool(sp.diff(Lq, th, 2).subs(at) > 0))
    residual = ((fq - cex["y"]) * sp.diff(fq, th, 2)).subs(at)
    d.differ("there the residual term ℓ'·f'' is not zero (so convexity at an optimum does not remove it)",
             residual, sp.Integer(0))
    return d.close(generality=GENERAL, general=True,
                   condition="ℓ'(f(x), y_x) = 0 at every data point (the fit is perfect and each per-sample loss "
                   "is stationary there, e.g. squared error at interpolation); convexity is neither the reason nor "
                   "enough, and softmax cross-entropy never attains it at finite θ",
                   counterexample={**cex, "hessian": int(sp.diff(Lq, th, 2).subs(at)),
                                   "gauss_newton": int((sp.diff(fq, th) ** 2).subs(at)), "residual": int(residual)})


def _quartic_counterexample(d: Derivation) -> dict:
    """ℓ = (f − y)⁴ is convex with a perfect optimum, yet ℓ'' = 0 there: H = 0 ≠ feature Gram."""
    cex = QUARTIC_COUNTEREXAMPLE
    th0, th1 = sp.symbols("theta0 theta1")
    fx = lambda x: th0 * x + th1  # noqa: E731  (features g0(x) = x, g1 = 1)
    opt = dict(zip((th0, th1), cex["optimum"]))
    d.fact("counterexample: f = θ0 x + θ1 fits the data exactly at θ*", r"f(x;\theta^*) = y_x",
           "every residual is 0 at θ* (exact)", all((fx(x) - yy).subs(opt) == 0 for x, yy in cex["data"]))
    L = sum(quartic_error(fx(x), yy) for x, yy in cex["data"])
    H = sp.hessian(L, (th0, th1)).subs(opt)
    gram = sp.Matrix([[sum(x * x for x, _ in cex["data"]), sum(x for x, _ in cex["data"])],
                      [sum(x for x, _ in cex["data"]), len(cex["data"])]])
    d.differ("ℓ = (f − y)⁴ (convex, minimal at the perfect fit) has H = 0 there, not the Gram of (x, 1)", H, gram)
    return {**cex, "hessian": [[int(v) for v in H.row(i)] for i in range(2)],
            "feature_gram": [[int(v) for v in gram.row(i)] for i in range(2)]}


def prove_linear_features_example() -> Proof:
    r"""For :math:`f(x) = \sum_i \theta_i g_i(x) + c` and squared error, :math:`\partial_{\theta_a}\partial_{\theta_b} L
    = \sum_x g_a(x) g_b(x)` and :math:`\partial_c\partial_{\theta_a} L = \sum_x g_a(x)` — at every θ, at
    general sizes (index-level); for another loss the Gram matrix is weighted by ℓ''.

    >>> prove_linear_features_example().outcome
    'proved'
    """
    d = Derivation("hessian.linear-features-example", r"\nabla^2 L = \sum_x [g(x);1][g(x);1]^\top",
                   ["f(x) = Σ_i θ_i g_i(x) + c", "ℓ = ½(f − y)²"])
    P, N = sp.symbols("P N", integer=True, positive=True)
    i, x, a, b = sp.symbols("i x a b", integer=True)
    th, G, Y = sp.IndexedBase("theta"), sp.IndexedBase("g"), sp.IndexedBase("y")
    c = sp.Symbol("c")
    fx = sp.Sum(th[i] * G[i, x], (i, 0, P - 1)) + c
    L = sp.Sum(squared_error(fx, Y[x]), (x, 0, N - 1))
    R = Ranges({a: P, b: P, x: N})
    nz = functools.partial(normalise, ranges=R)
    for wrt, stated, what in (((th[a], th[b]), sp.Sum(G[a, x] * G[b, x], (x, 0, N - 1)),
                               "∂θa∂θb L = Σ_x g_a(x) g_b(x) (the L2 inner product over the data)"),
                              ((c, th[a]), sp.Sum(G[a, x], (x, 0, N - 1)), "∂c∂θa L = Σ_x g_a(x)·1"),
                              ((c, c), N, "∂c² L = Σ_x 1·1 = N")):
        (d.chain(sp.Derivative(L, *wrt))
         .by("differentiate under the sum", doit)
         .by("evaluate the Kronecker deltas", normalise, R)
         .then(stated, what, via=nz))
    cex = _quartic_counterexample(d)
    return d.close(generality="general sizes (index-level, any P, N)", general=True, condition=MSE_CONDITION,
                   counterexample=cex)


def prove_feature_gram_at_optimum() -> Proof:
    r"""At a perfect-loss optimum (ℓ' = 0 on the data) :math:`H_{ab} = \sum_x \ell''\,\partial_a f\,\partial_b f`:
    the data Gram matrix of the features :math:`\partial f/\partial\theta` exactly when ℓ'' = 1.

    >>> prove_feature_gram_at_optimum().outcome
    'proved'
    """
    d = Derivation("hessian.feature-gram-at-optimum", r"H = \sum_x \nabla_\theta f \nabla_\theta f^\top",
                   ["perfect-loss optimum: ℓ'(f(x), y) = 0 on the data"])
    l1, l2 = _split(d)
    F = f(s_, t_)
    (d.chain(split_form(l1, l2, F))
     .assuming("squared error: ℓ'' = ∂²/∂f² of the loss, computed", {l2: sp.diff(squared_error(w_, y), w_, 2)})
     .assuming("perfect-loss optimum: ℓ'(f(x), y_x) = 0", {l1: 0})
     .then(sp.diff(F, s_) * sp.diff(F, t_), "H_ab = Σ_x ∂_a f ∂_b f: the data Gram of the features"))
    cex = _quartic_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=MSE_CONDITION, counterexample=cex)


def _rank_supplement(d: Derivation, case: dict) -> None:
    A, B = sp.Matrix(case["A"]), sp.Matrix(case["B"])
    J, Lam = A * B, sp.diag(*case["lam"])
    H = J.T * Lam * J
    lam = sp.Symbol("lambda")
    poly = sp.Poly(H.charpoly(lam).as_expr(), lam)
    zeros = min(m[0] for m in poly.monoms() if poly.coeff_monomial(lam ** m[0]) != 0)  # multiplicity of root 0
    d.fact(f"explicit supplement N×P = {J.rows}×{J.cols}, rank J = {J.rank()}, Λ = diag{tuple(case['lam'])}: "
           f"multiplicity of the eigenvalue 0 of JᵀΛJ = P − rank J",
           rf"\#\{{\lambda(J^\top\Lambda J) = 0\}} = {J.cols} - {J.rank()}",
           "exact characteristic polynomial: lowest power of λ with a nonzero coefficient",
           zeros == J.cols - J.rank() and all(v > 0 for v in case["lam"]))


def prove_zero_eigs_feature_rank() -> Proof:
    r"""At a perfect-loss optimum :math:`H = J^\top\Lambda J` with :math:`\Lambda = \mathrm{diag}(\ell''(f(x)))`.
    If every ℓ'' > 0, write :math:`\Lambda = S^\top S` with S invertible: :math:`v^\top H v = \|SJv\|^2`, so
    :math:`\ker H = \ker J`; H is symmetric, so the multiplicity of its eigenvalue 0 is :math:`\dim\ker H`, and
    rank–nullity gives :math:`\#\{\lambda = 0\} = P - \operatorname{rank} J` — at general sizes ``N × P``
    (matrix symbols and SymPy's matrix assumptions); explicit shapes are labelled supplements.  With ℓ'' = 0
    somewhere it fails (the quartic loss).

    >>> prove_zero_eigs_feature_rank().outcome
    'proved'
    """
    d = Derivation("hessian.zero-eigs-feature-rank", r"\#\{\lambda(H) = 0\} = P - \operatorname{rank} J",
                   ["perfect-loss optimum (residual term 0, by hessian.residual-vanishes' conditional form)",
                    "ℓ''(f(x), y_x) > 0 at every data point: Λ = SᵀS with S invertible"])
    N, P = sp.symbols("N P", integer=True, positive=True)
    J = sp.MatrixSymbol("J", N, P)
    S = sp.MatrixSymbol("S", N, N)
    v = sp.MatrixSymbol("v", P, 1)
    H = J.T * S.T * S * J
    d.fact("Λ = SᵀS is positive definite when S is invertible (ℓ'' > 0 at every data point)",
           r"S \text{ invertible} \Rightarrow S^\top S \succ 0", "sympy.ask(Q.positive_definite(SᵀS), hypothesis(S))",
           sp.ask(sp.Q.positive_definite(S.T * S), CURVATURE_HYPOTHESIS(S)) is True)
    d.fact("H = JᵀΛJ is symmetric", r"H = H^\top", "sympy.ask(Q.symmetric(JᵀSᵀSJ))",
           sp.ask(sp.Q.symmetric(H)) is True)
    (d.chain(H * v)
     .assuming("ker J ⊆ ker H: for v with Jv = 0", {J * v: sp.ZeroMatrix(N, 1)})
     .then(sp.ZeroMatrix(P, 1), "Hv = JᵀΛ(Jv) = 0", via=doit))
    (d.chain(v.T * H * v)
     .then((S * J * v).T * (S * J * v), "ker H ⊆ ker J: vᵀHv = (SJv)ᵀ(SJv) = ‖SJv‖²", via=doit))
    d.fact("… so Hv = 0 gives ‖SJv‖² = 0, hence SJv = 0 (the Euclidean inner product is definite) and Jv = 0 "
           "(S invertible)", r"\|w\|^2 = 0 \Rightarrow w = 0", "sympy.ask(Q.positive_definite(I_N))",
           sp.ask(sp.Q.positive_definite(sp.Identity(N))) is True)
    zH, kH, kJ, rJ = sp.symbols("Z_H k_H k_J r_J", integer=True, nonnegative=True)
    (d.chain(zH)
     .assuming("H symmetric, hence diagonalisable: the multiplicity of the eigenvalue 0 is dim ker H", {zH: kH})
     .assuming("ker H = ker J (the two inclusions above)", {kH: kJ})
     .assuming("rank–nullity for J (P columns): dim ker J = P − rank J", {kJ: P - rJ})
     .then(P - rJ, "#zero eigenvalues of H = P − rank J (the number of independent features)"))
    for case in RANK_SUPPLEMENTS:
        _rank_supplement(d, case)
    cex = _quartic_counterexample(d)
    return d.close(generality="general sizes N × P (matrix symbols, SymPy's matrix assumptions); explicit shapes "
                   "as supplements", general=True,
                   condition="ℓ''(f(x), y) > 0 at every data point (e.g. squared error) besides the perfect fit",
                   counterexample={**cex, "zero_eigenvalues": 2, "P_minus_rank_J": 0})


def prove_vector_output() -> Proof:
    r"""Vector outputs: squared error gives :math:`H = \sum_x J_x^\top J_x` at an optimum (a Gram over data *and*
    outputs); softmax cross-entropy has :math:`\nabla_z^2\ell = \mathrm{diag}(p) - pp^\top` (proved at
    general q), whose cross terms make H a :math:`(\mathrm{diag}(p) - pp^\top)`-weighted form, not the
    feature Gram.

    >>> prove_vector_output().outcome
    'proved'
    """
    d = Derivation("hessian.vector-output", r"\nabla^2 L = \sum_x J_x^\top J_x \text{ for any loss}",
                   ["perfect-loss optimum where it exists"])
    for q in (2, 3):
        _vector_split(d, q)
    q = sp.Symbol("q", integer=True, positive=True)
    c, a, b = sp.symbols("c a b", integer=True)
    z, tt = sp.IndexedBase("z"), sp.IndexedBase("t")
    yy = sp.Symbol("y_idx", integer=True)
    R = Ranges({a: q, b: q, yy: q})
    nz = functools.partial(normalise, ranges=R)
    p = lambda k: sp.exp(z[k]) / sp.Sum(sp.exp(z[c]), (c, 0, q - 1))  # noqa: E731
    (d.chain(sp.Derivative(softmax_ce(z, yy, c, q), z[a], z[b]))
     .by("differentiate the softmax cross-entropy twice in the logits", doit)
     .by("evaluate the Kronecker deltas", normalise, R)
     .then(p(a) * sp.KroneckerDelta(a, b) - p(a) * p(b), "general q: ∂²ℓ/∂z_a∂z_b = p_a δ_ab − p_a p_b", via=nz))
    (d.chain(sp.Derivative(sp.Sum(squared_error(z[c], tt[c]), (c, 0, q - 1)), z[a], z[b]))
     .by("differentiate the squared error twice in the outputs", doit)
     .by("evaluate the Kronecker deltas", normalise, R)
     .then(sp.KroneckerDelta(a, b), "general q: ∂²/∂z_a∂z_b ½Σ_c (z_c − t_c)² = δ_ab (a Gram over outputs)", via=nz))
    pv = sp.Matrix([sp.Rational(v) for v in CE_COUNTEREXAMPLE["p"]])
    Hce = sp.diag(*pv) - pv * pv.T
    Jx = sp.Matrix(CE_COUNTEREXAMPLE["J"])
    d.differ("counterexample (q = 2, p = (½, ½), J = I): Jᵀ(diag p − ppᵀ)J = [[¼, −¼], [−¼, ¼]] is not ∝ JᵀJ = I",
             Jx.T * Hce * Jx, Hce[0, 0] * Jx.T * Jx)
    return d.close(generality="general q for the loss Hessians; the split as explicit supplements q = 2, 3",
                   general=True,
                   condition="the loss Hessian in the outputs is a multiple of the identity (squared error); "
                   "softmax cross-entropy has cross terms diag(p) − ppᵀ",
                   counterexample={"loss": "softmax cross-entropy", **CE_COUNTEREXAMPLE,
                                   "H": [["1/4", "-1/4"], ["-1/4", "1/4"]], "feature_gram": [[1, 0], [0, 1]]})


def prove_earlier_layers_act_derivs() -> Proof:
    r"""For :math:`f(x) = \sum_j v_j \sigma(\sum_a W_{aj} x_a + b_j) + c`, the first-layer features are
    :math:`\partial f/\partial W_{em} = v_m\,\sigma'(z_m)\,x_e`: multiplied by the activation derivative
    (and by the downstream weight), at general sizes; with two hidden layers both σ' factors appear.

    >>> prove_earlier_layers_act_derivs().outcome
    'proved'
    """
    d = Derivation("hessian.earlier-layers-act-derivs", r"\partial f/\partial W_{em} = v_m \sigma'(z_m) x_e",
                   ["σ differentiable"])
    dd, h, h2 = sp.symbols("d h h2", integer=True, positive=True)
    a, j, e, m, k = sp.symbols("a j e m k", integer=True)
    W, x, v, bb, V, u, c2 = (sp.IndexedBase(n) for n in ("W", "x", "v", "b", "V", "u", "c2"))
    z = lambda jj: sp.Sum(W[a, jj] * x[a], (a, 0, dd - 1)) + bb[jj]  # noqa: E731
    fx = sp.Sum(v[j] * sigma(z(j)), (j, 0, h - 1)) + sp.Symbol("c")
    R = Ranges({e: dd, m: h})
    nz = functools.partial(normalise, ranges=R)
    (d.chain(sp.Derivative(fx, W[e, m]))
     .by("differentiate the network in a first-layer weight", doit)
     .by("evaluate the Kronecker deltas", normalise, R)
     .then(v[m] * activation_derivative(z(m)) * x[e], "∂f/∂W_em = v_m σ'(z_m) x_e", via=nz))
    (d.chain(sp.Derivative(fx, v[m]))
     .by("differentiate in a last-layer weight", doit)
     .by("evaluate the Kronecker deltas", normalise, R)
     .then(sigma(z(m)), "∂f/∂v_m = σ(z_m): last-layer features carry no activation derivative", via=nz))
    z2 = lambda kk: sp.Sum(V[j, kk] * sigma(z(j)), (j, 0, h - 1)) + c2[kk]  # noqa: E731
    f2 = sp.Sum(u[k] * sigma(z2(k)), (k, 0, h2 - 1))
    R2 = Ranges({e: dd, m: h})
    (d.chain(sp.Derivative(f2, W[e, m]))
     .by("two hidden layers: differentiate in a first-layer weight", doit)
     .by("evaluate the Kronecker deltas", normalise, R2)
     .then(sp.Sum(u[k] * activation_derivative(z2(k)) * V[m, k] * activation_derivative(z(m)) * x[e], (k, 0, h2 - 1)),
           "∂f/∂W_em = Σ_k u_k σ'(z²_k) V_mk · σ'(z¹_m) x_e: one σ' per layer it passes",
           via=functools.partial(normalise, ranges=R2)))
    return d.close(generality="general sizes (index-level; one and two hidden layers)", general=True)


def prove_layer_orthogonal_basis() -> Proof:
    r"""With :math:`A = \sum_x a a^\top = U\Lambda U^\top`, the features :math:`\tilde a = U^\top a` are
    orthogonal over the data (:math:`\sum_x \tilde a\tilde a^\top = \Lambda`), and the *outgoing* weights
    absorb the change (:math:`(aU)(U^\top W) = aW`).  The incoming side does not: the next units are
    :math:`\sigma(\cdot)` of the old coordinates, and :math:`\sigma(zU) \ne \sigma(z)U` for a rotation
    (perm.orthogonal-commutes), so re-expressing both adjacent matrices changes the function.

    >>> prove_layer_orthogonal_basis().outcome
    'proved'
    """
    d = Derivation("hessian.layer-orthogonal-basis", r"\text{network in the eigenbasis of } \sum_x aa^\top = \text{same function}",
                   ["U orthogonal eigenbasis of the activation Gram A"])
    kk, nn = sp.symbols("k n", integer=True, positive=True)
    Am = sp.MatrixSymbol("a", nn, kk)  # rows: activation vectors over the data
    U = sp.MatrixSymbol("U", kk, kk)
    Wm = sp.MatrixSymbol("W", kk, kk)
    Lam = sp.MatrixSymbol("Lambda", kk, kk)
    (d.chain((Am * U).T * (Am * U))
     .then(U.T * (Am.T * Am) * U, "Gram of the new features: (aU)ᵀ(aU) = Uᵀ(aᵀa)U", via=doit)
     .assuming("U diagonalises the activation Gram: Uᵀ(aᵀa)U = Λ", {U.T * Am.T * Am * U: Lam}))
    (d.chain((Am * U) * (U.T * Wm))
     .assuming("U orthogonal: UUᵀ = I", {U * U.T: sp.Identity(kk)})
     .then(Am * Wm, "outgoing side: (aU)(UᵀW) = aW", via=doit))
    x = sp.Symbol("x")
    relu = sp.Lambda(x, sp.Max(0, x))
    Ur = sp.Matrix([[sp.Rational(v) for v in row] for row in BASIS_ROTATION["U"]])
    z = sp.Matrix(BASIS_ROTATION["z"])
    d.fact("the counterexample's U is orthogonal and not a signed permutation", r"U^\top U = I",
           "exact UᵀU == I and some entry not in {0, ±1}",
           (Ur.T * Ur - sp.eye(2)).is_zero_matrix and any(abs(v) not in (0, 1) for v in Ur))
    d.differ("incoming side fails with ReLU: σ(zU) ≠ σ(z)U for the rotation U = [[3/5, −4/5], [4/5, 3/5]], z = (1, 0)",
             (z * Ur).applyfunc(relu), z.applyfunc(relu) * Ur)
    return d.close(generality="general sizes (matrix-symbol algebra); counterexample exact at k = 2", general=True,
                   condition="the basis change is applied to the linear map out of the layer alone, or U commutes "
                   "with σ (a permutation, a signed permutation with odd σ, or linear σ)",
                   counterexample={"activation": "relu", **BASIS_ROTATION,
                                   "sigma(zU)": [str(v) for v in (z * Ur).applyfunc(relu)],
                                   "sigma(z)U": [str(v) for v in z.applyfunc(relu) * Ur]})


def prove_next_layer_gradient_same() -> Proof:
    r""":math:`z_k = \sum_i a_i W_{ik} + b_k` gives :math:`\partial z_k/\partial W_{ik} = a_i` for every k
    (and :math:`\partial z_k/\partial W_{il} = 0` for l ≠ k): the same vector, whichever unit is chosen.

    >>> prove_next_layer_gradient_same().outcome
    'proved'
    """
    d = Derivation("hessian.next-layer-gradient-same", r"\partial z_k/\partial W_{:,k} = a\ \forall k",
                   ["biases are separate parameters (or a constant-1 activation)"])
    n_, m_ = sp.symbols("n m", integer=True, positive=True)
    i, k, k2, e, l = sp.symbols("i k k2 e l", integer=True)
    a, W, b = sp.IndexedBase("a"), sp.IndexedBase("W"), sp.IndexedBase("b")
    R = Ranges({e: n_, k: m_, k2: m_, l: m_})
    nz = functools.partial(normalise, ranges=R)
    for unit, what in ((k, "∂z_k/∂W_ek = a_e"), (k2, "the same vector for another unit k2: ∂z_k2/∂W_ek2 = a_e")):
        (d.chain(sp.Derivative(preactivation(a, W, b, i, unit, n_), W[e, unit]))
         .by("differentiate the pre-activation in its own incoming weight", doit)
         .by("evaluate the Kronecker deltas", normalise, R)
         .then(a[e], what, via=nz))
    (d.chain(sp.Derivative(preactivation(a, W, b, i, k, n_), W[e, l]))
     .by("differentiate in another unit's incoming weight", doit)
     .by("evaluate the Kronecker deltas", normalise, R)
     .then(a[e] * sp.KroneckerDelta(k, l), "∂z_k/∂W_el = a_e δ_kl (zero off the unit's own column)", via=nz))
    return d.close(generality="general sizes (index-level)", general=True)
