r"""Constant initialisation and symmetry (seed 001, after D2L §5.4): proofs at general sizes.

The *symmetric set* is :math:`S = \{W_1[a,j] = w_a,\ b_1[j] = \beta,\ W_2[j,c] = v_c\}` (every hidden
unit has the same incoming weights, bias and outgoing weights).  On S, with
:math:`z_r = \sum_a X_{ra} w_a + \beta`, the network is :math:`O_{rc} = h\,\sigma(z_r)\,v_c + b_{2c}` and

.. math:: \frac{\partial L}{\partial W_1[e,m]} = \sum_{r,c} \ell'_{rc}\, v_c\, \sigma'(z_r)\, X_{re},\quad
          \frac{\partial L}{\partial b_1[m]} = \sum_{r,c} \ell'_{rc}\, v_c\, \sigma'(z_r),\quad
          \frac{\partial L}{\partial W_2[m,s]} = \sum_r \ell'_{rs}\, \sigma(z_r)

with :math:`\ell'_{rc} = \partial_1 \ell(O_{rc}, Y_{rc})` (:math:`O_{rc} - Y_{rc}` for ½‖O−Y‖²): none involves
the unit index m, so every element-wise optimiser step stays in S.  The seed initialises only the hidden
layer's weights to a constant; the proofs show that this alone does **not** keep the units identical — the
outgoing weights must be equal as well.
"""

from __future__ import annotations

import sympy as sp

from nnclaims.caching import cached

from . import _mlp as M
from ._index import normalise
from .permutation import gradients
from .record import Derivation, Proof, sound_rewrite

__all__ = [
    "prove_constant_symmetry",
    "prove_constant_gradient_all_equal",
    "prove_dropout_breaks_symmetry",
    "symmetric_gradients",
    "explicit_gradients",
    "on_symmetric_set",
    "closed_forms",
    "CONDITION",
    "RELU",
]

w, v = sp.IndexedBase("w"), sp.IndexedBase("v")
beta = sp.Symbol("beta")
CONDITION = ("the hidden units start identical in everything: W1 has identical columns (e.g. W1 = c), the "
             "hidden biases b1 are equal and the outgoing weights W2 have identical rows — not only W1 = c")
GENERAL = "general sizes (index-level, any n, d, h, q; σ and ℓ undefined functions)"


def on_symmetric_set(expr):
    """Evaluate an expression in the parameters at a point of S: ``W1[a,j] → w_a``, ``b1[j] → β``,
    ``W2[j,c] → v_c`` (``b2`` is free)."""
    W1, b1, W2, _ = M.bases(M.indexed_params())
    at = {W1: lambda t: w[t.indices[0]], b1: lambda t: beta, W2: lambda t: v[t.indices[1]]}
    return expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base in at, lambda t: at[t.base](t))


def _z(row=M.r):
    return sp.Sum(M.X[row, M.a] * w[M.a], (M.a, 0, M.d - 1)) + beta


def closed_forms(loss_name: str) -> dict:
    """The unit-free gradients on S (module docstring), for ``mse`` (½‖O−Y‖²) or ``elementwise`` (Σ ℓ)."""
    xi, zz = sp.Symbol("xi"), sp.Symbol("z")
    b2 = sp.IndexedBase("b2")
    out = lambda c_: M.h * M.sigma(_z()) * v[c_] + b2[c_]  # noqa: E731
    if loss_name == "mse":
        dl = lambda c_: out(c_) - M.Y[M.r, c_]  # noqa: E731
    else:
        dl = lambda c_: sp.diff(M.ell(xi, M.Y[M.r, c_]), xi).subs(xi, out(c_))  # noqa: E731
    dsig = sp.diff(M.sigma(zz), zz).subs(zz, _z())
    return {
        "W1": sp.Sum(dl(M.c) * v[M.c] * dsig * M.X[M.r, M.e], (M.r, 0, M.n - 1), (M.c, 0, M.q - 1)),
        "b1": sp.Sum(dl(M.c) * v[M.c] * dsig, (M.r, 0, M.n - 1), (M.c, 0, M.q - 1)),
        "W2": sp.Sum(dl(M.s) * M.sigma(_z()), (M.r, 0, M.n - 1)),
    }


@cached
def symmetric_gradients(loss_name: str = "mse") -> dict:
    """Index-level gradients evaluated on the symmetric set (cached; fresh copies)."""
    loss = {"mse": M.mse_loss, "elementwise": M.elementwise_loss}[loss_name]
    return {k: normalise(on_symmetric_set(g), M.ranges()) for k, g in gradients(M.indexed_params(), loss).items()}


@sound_rewrite("evaluation (doit) of the points at which a derivative is taken: Subs(f', x, p) = Subs(f', x, "
               "p.doit()) because p = p.doit()")
def evaluate_points(expr):
    r"""Evaluate the sums in the points of ``Subs`` objects, e.g. :math:`\ell'` at
    :math:`b_2 + \sum_{j<h} \sigma(z) v` becomes :math:`\ell'` at :math:`b_2 + h\sigma(z)v`.

    >>> import sympy as sp; x, y, h = sp.symbols("x y h"); j = sp.Symbol("j", integer=True); f = sp.Function("f")
    >>> evaluate_points(sp.Subs(sp.Derivative(f(x), x), x, sp.Sum(y, (j, 0, h - 1))))
    Subs(Derivative(f(x), x), x, h*y)
    """
    return expr.replace(lambda t: isinstance(t, sp.Subs),
                        lambda t: sp.Subs(t.expr, t.variables, tuple(pt.doit() for pt in t.point)))


def _unit_free_chains(d: Derivation, loss_name: str, keys=("W1", "b1", "W2")) -> list[bool]:
    """Chains from each hidden-unit gradient evaluated on S to its unit-free closed form; returns their
    outcomes."""
    loss = {"mse": M.mse_loss, "elementwise": M.elementwise_loss}[loss_name]
    g = gradients(M.indexed_params(), loss)
    forms = closed_forms(loss_name)
    R = M.ranges()
    held = []
    for key in keys:
        n0 = len(d.steps)
        (d.chain(on_symmetric_set(g[key]))
         .by(f"{loss_name}: ∂L/∂{key} at hidden unit m, on S: evaluate the sums", normalise, R)
         .by("sum the h identical units inside ℓ'", evaluate_points)
         .then(forms[key], f"{loss_name}: = the closed form, the same for every hidden unit m",
               via=lambda e_: normalise(e_, R)))
        held.append(all(s.holds for s in d.steps[n0:]) and M.m not in forms[key].free_symbols)
    return held


def explicit_gradients(X, Y, W1, b1, W2, b2, act, mask=None):
    """Exact gradients of ½‖O−Y‖² for explicit SymPy matrices (an independent, explicit-size path).

    ``mask`` (1×h) multiplies the hidden activations (inverted dropout with its scale folded in).
    """
    syms = {nm: sp.Matrix(M_.shape[0], M_.shape[1], lambda i, j: sp.Symbol(f"{nm}_{i}{j}"))
            for nm, M_ in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
    Hm = (X * syms["W1"] + sp.ones(X.shape[0], 1) * syms["b1"]).applyfunc(act)
    if mask is not None:
        Hm = Hm.multiply_elementwise(sp.ones(X.shape[0], 1) * mask)
    O = Hm * syms["W2"] + sp.ones(X.shape[0], 1) * syms["b2"]
    L = sum((O - Y).applyfunc(lambda t: t ** 2 / 2))
    vals = {s: val for nm, M_ in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)) for s, val in zip(syms[nm], M_)}
    return {nm: S.applyfunc(lambda s: sp.diff(L, s).subs(vals)) for nm, S in syms.items()}


_x = sp.Symbol("x")
RELU = sp.Lambda(_x, sp.Max(0, _x))

ASYMMETRIC = {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "b1": [[0, 0]], "W2": [[1], [2]], "b2": [[0]]}
"""The bare-form counterexample: W1 constant, equal biases, outgoing weights that differ."""


def _asymmetric_counterexample(d: Derivation) -> dict:
    """W1 constant but W2 rows different: one SGD gradient already separates the units."""
    c = {k: sp.Matrix(v_) for k, v_ in ASYMMETRIC.items()}
    G = explicit_gradients(c["X"], c["Y"], c["W1"], c["b1"], c["W2"], c["b2"], RELU)
    d.differ(f"counterexample to the bare form: W1 = {ASYMMETRIC['W1']} (constant), W2 = {ASYMMETRIC['W2']}, ReLU, "
             f"x = {ASYMMETRIC['X']}, y = {ASYMMETRIC['Y']}: the columns of ∇W1 differ, so one SGD step makes the "
             "units different", G["W1"][:, 0], G["W1"][:, 1])
    return dict(ASYMMETRIC, activation="relu", grad_W1=[[str(t) for t in G["W1"]]])


@cached
def prove_constant_symmetry() -> Proof:
    r"""On the symmetric set the gradients are unit-independent, so SGD (and any element-wise
    optimiser) keeps it, and the layer computes :math:`O_{rc} = h\,\sigma(z_r)\,v_c + b_{2c}`:
    one unit with outgoing weight :math:`h v`.  With only :math:`W_1` constant it fails.  (Cached: every call
    returns a fresh copy.)

    >>> p = prove_constant_symmetry(); p.outcome, p.condition == CONDITION
    ('proved', True)
    """
    d = Derivation("init.constant-symmetry", r"\theta_0 \in S \Rightarrow \theta_t \in S\ \forall t",
                   ["S: W1[a,j] = w_a, b1[j] = β, W2[j,c] = v_c", "loss ½‖O−Y‖² or any element-wise ℓ",
                    "any minibatch (the proof holds for every data matrix X)"])
    held = _unit_free_chains(d, "mse") + _unit_free_chains(d, "elementwise")
    d.fact("induction: a step of SGD (or momentum, Adam: element-wise, with state that starts equal across "
           "units) from S subtracts unit-independent updates, so it stays in S",
           r"\theta_t \in S \Rightarrow \theta_{t+1} \in S",
           "the six gradient chains above hold and their closed forms do not involve the unit index m", all(held))
    b2 = sp.IndexedBase("b2")
    (d.chain(on_symmetric_set(M.output(M.indexed_params())))
     .by("evaluate O on S", normalise, M.ranges())
     .then(M.h * M.sigma(_z()) * v[M.c] + b2[M.c], "on S the layer acts as one unit: O_rc = h σ(z_r) v_c + b2_c"))
    cex = _asymmetric_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=CONDITION, counterexample=cex)


GRADIENT_CASE = {"X": [[1, 2]], "Y": [[0]], "W1": [[1, 1], [1, 1]], "W2": [[1], [1]]}
"""The counterexample to init.constant-gradient-all-equal: the fully symmetric start, d = h = 2, ReLU."""


def prove_constant_gradient_all_equal() -> Proof:
    r"""On the symmetric set :math:`\nabla W_1 = g\,\mathbf 1^\top` (identical *columns*), not
    :math:`c'\mathbf 1` (identical *entries*): row ``e`` carries input feature ``e``.  After one
    update W1 has identical columns but is not a constant matrix.

    >>> prove_constant_gradient_all_equal().outcome
    'refuted'
    """
    d = Derivation("init.constant-gradient-all-equal", r"\nabla W_1 = c'\mathbf 1",
                   ["symmetric initialisation S (the most favourable case)", "loss ½‖O−Y‖²"])
    _unit_free_chains(d, "mse", keys=("W1",))
    form = closed_forms("mse")["W1"]
    d.fact("what does hold: ∇W1[e, m] does not involve the unit m (identical columns, ∇W1 = g 1ᵀ), but it "
           "involves the input feature e through X[r, e], so its rows differ in general",
           r"\partial_{W_1[e,m]} L = g_e", "m ∉ free_symbols(closed form) and X[r, e] occurs in it",
           M.m not in form.free_symbols and form.has(M.X[M.r, M.e]))
    c = {k: sp.Matrix(v_) for k, v_ in GRADIENT_CASE.items()}
    G = explicit_gradients(c["X"], c["Y"], c["W1"], sp.zeros(1, 2), c["W2"], sp.zeros(1, 1), RELU)
    d.differ(f"counterexample: W1 = 1 (2×2), W2 = 1, ReLU, x = {GRADIENT_CASE['X']}, y = 0: rows of ∇W1 differ",
             G["W1"][0, :], G["W1"][1, :])
    upd = c["W1"] - sp.Rational(1, 10) * G["W1"]
    d.differ("after one SGD step (α = 1/10) W1 is not constant", upd[0, 0], upd[1, 0])
    return d.close(generality=GENERAL + "; counterexample exact at d = h = 2", general=True, refuted=True,
                   counterexample=dict(GRADIENT_CASE, activation="relu",
                                       grad_W1=[[str(t) for t in row] for row in G["W1"].tolist()],
                                       W1_after_step=[[str(t) for t in row] for row in upd.tolist()]))


DROPOUT_CASE = {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "W2": [[1], [1]], "mask": [[2, 0]]}
"""Symmetric start, one sample, inverted dropout (p = 1/2) keeping unit 0 and dropping unit 1."""


def prove_dropout_breaks_symmetry() -> Proof:
    r"""Minibatch SGD keeps the symmetric set (any batch: :func:`prove_constant_symmetry`), while a
    dropout mask that differs across units makes the unit gradients differ, so dropout breaks it.
    The "SGD does not" half needs the same condition as init.constant-symmetry.

    >>> prove_dropout_breaks_symmetry().outcome
    'proved'
    """
    d = Derivation("init.dropout-breaks-symmetry", r"\text{SGD keeps } S,\ \text{dropout leaves } S",
                   ["symmetric set S as in init.constant-symmetry", "inverted dropout, p = 1/2 (scale 2)"])
    sym = prove_constant_symmetry()
    d.fact("minibatch SGD keeps S for every minibatch (init.constant-symmetry, conditional form)",
           r"\theta_t \in S", "nnclaims.proofs.initialisation.prove_constant_symmetry", sym.outcome == "proved")
    c = {k: sp.Matrix(v_) for k, v_ in DROPOUT_CASE.items()}
    G = explicit_gradients(c["X"], c["Y"], c["W1"], sp.zeros(1, 2), c["W2"], sp.zeros(1, 1), RELU, mask=c["mask"])
    d.differ(f"dropout mask {DROPOUT_CASE['mask']} (keep unit 0, drop unit 1) on the symmetric start: the units' "
             "gradients differ, one step leaves S", G["W1"][:, 0], G["W1"][:, 1])
    cex = _asymmetric_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=CONDITION, counterexample=cex)
