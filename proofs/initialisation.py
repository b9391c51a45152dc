r"""Constant initialisation and symmetry (seed 001, after D2L §5.4): proofs at general sizes.

The *symmetric set* is :math:`W_1[a,j] = w_a,\ b_1[j] = \beta,\ W_2[j,c] = v_c` (every hidden
unit has the same incoming weights, bias and outgoing weights).  The seed initialises only the
hidden layer's weights to a constant; the proofs below show that this alone does **not** keep
the units identical — the outgoing weights must be equal as well.
"""

from __future__ import annotations

import functools

import sympy as sp

from . import _mlp as M
from ._index import normalise
from .permutation import gradients
from .record import Derivation, Proof

__all__ = [
    "prove_constant_symmetry",
    "prove_constant_gradient_all_equal",
    "prove_dropout_breaks_symmetry",
    "symmetric_gradients",
    "explicit_gradients",
]

w, v = sp.IndexedBase("w"), sp.IndexedBase("v")
beta = sp.Symbol("beta")
CONDITION = ("the outgoing weights W2 have identical rows and the hidden biases b1 are equal "
             "(e.g. all hidden- and output-layer parameters constant), not only W1 = c")
GENERAL = "general sizes (index-level, any n, d, h, q; σ and ℓ undefined functions)"


def _at_symmetric(expr):
    W1, b1, W2, _ = M.bases(M.indexed_params())
    expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == W1, lambda t: w[t.indices[0]])
    expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == b1, lambda t: beta)
    expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == W2, lambda t: v[t.indices[1]])
    return normalise(expr, M.ranges())


@functools.cache
def symmetric_gradients(loss_name: str = "mse") -> dict:
    """Index-level gradients evaluated on the symmetric set (cached)."""
    loss = {"mse": M.mse_loss, "elementwise": M.elementwise_loss}[loss_name]
    return {k: _at_symmetric(g) for k, g in gradients(M.indexed_params(), loss).items()}


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


def _asymmetric_counterexample(d: Derivation) -> dict:
    """W1 constant but W2 rows different: one SGD gradient already separates the units."""
    X, Y = sp.Matrix([[1]]), sp.Matrix([[0]])
    W1, b1, W2, b2 = sp.Matrix([[1, 1]]), sp.zeros(1, 2), sp.Matrix([[1], [2]]), sp.zeros(1, 1)
    G = explicit_gradients(X, Y, W1, b1, W2, b2, RELU)
    d.differ("counterexample to the bare form: W1 = 1 (constant), W2 = [1, 2]ᵀ, ReLU, x = 1, y = 0: "
             "the columns of ∇W1 differ, so one SGD step makes the units different",
             G["W1"][:, 0], G["W1"][:, 1])
    return {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "b1": [[0, 0]], "W2": [[1], [2]], "b2": [[0]],
            "activation": "relu", "grad_W1": [[str(t) for t in G["W1"]]]}


def prove_constant_symmetry() -> Proof:
    r"""On the symmetric set the gradients are unit-independent, so SGD (and any element-wise
    optimiser) keeps it, and the layer computes :math:`O_{rc} = h\,\sigma(z_r)\,v_c + b_{2c}`:
    one unit with outgoing weight :math:`h v`.  With only :math:`W_1` constant it fails."""
    d = Derivation("init.constant-symmetry", r"\theta_0 \in S \Rightarrow \theta_t \in S\ \forall t",
                   ["S: W1[a,j] = w_a, b1[j] = β, W2[j,c] = v_c", "loss ½‖O−Y‖² or any element-wise ℓ",
                    "any minibatch (the proof holds for every data matrix X)"])
    m2 = sp.Symbol("m2", integer=True)
    for loss in ("mse", "elementwise"):
        g = symmetric_gradients(loss)
        for name, unit_axis in (("W1", M.m), ("b1", M.m), ("W2", M.m)):
            d.equal(f"{loss}: ∂L/∂{name} is the same for hidden units m and m2", g[name], g[name].subs(unit_axis, m2))
    d.fact("induction: an SGD/momentum/Adam step from S subtracts unit-independent updates, so it stays in S",
           r"\theta_t \in S \Rightarrow \theta_{t+1} \in S", "follows from the three equalities above", d.all_hold)
    p = M.indexed_params()
    o_sym = _at_symmetric(M.output(p))
    z = sp.Sum(M.X[M.r, M.a] * w[M.a], (M.a, 0, M.d - 1)) + beta
    d.equal("on S the layer acts as one unit: O_rc = h σ(z_r) v_c + b2_c", o_sym,
            M.h * M.sigma(z) * v[M.c] + sp.IndexedBase("b2")[M.c])
    cex = _asymmetric_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=CONDITION, counterexample=cex)


def prove_constant_gradient_all_equal() -> Proof:
    r"""On the symmetric set :math:`\nabla W_1 = g\,\mathbf 1^\top` (identical *columns*), not
    :math:`c'\mathbf 1` (identical *entries*): row ``a`` carries input feature ``a``.  After one
    update W1 has identical columns but is not a constant matrix."""
    d = Derivation("init.constant-gradient-all-equal", r"\nabla W_1 = c'\mathbf 1",
                   ["symmetric initialisation S (the most favourable case)", "loss ½‖O−Y‖²"])
    g = symmetric_gradients("mse")["W1"]
    m2 = sp.Symbol("m2", integer=True)
    d.equal("what does hold: columns of ∇W1 are identical (∇W1 = g 1ᵀ)", g, g.subs(M.m, m2))
    d.fact("∇W1[e, m] still depends on the input-feature index e (through X[r, e])",
           r"\partial_{W_1[e,m]} L \ni X_{r e}", "e ∈ free_symbols(∂L/∂W1[e,m] on S)", M.e in g.free_symbols)
    X, Y = sp.Matrix([[1, 2]]), sp.Matrix([[0]])
    W1, b1, W2, b2 = sp.ones(2, 2), sp.zeros(1, 2), sp.ones(2, 1), sp.zeros(1, 1)
    G = explicit_gradients(X, Y, W1, b1, W2, b2, RELU)
    d.differ("counterexample: W1 = 1 (2×2), W2 = 1, ReLU, x = (1, 2), y = 0: rows of ∇W1 differ",
             G["W1"][0, :], G["W1"][1, :])
    upd = W1 - sp.Rational(1, 10) * G["W1"]
    d.differ("after one SGD step (α = 1/10) W1 is not constant", upd[0, 0], upd[1, 0])
    return d.close(generality=GENERAL + "; counterexample exact at d = h = 2", general=True, refuted=True,
                   counterexample={"X": [[1, 2]], "Y": [[0]], "W1": [[1, 1], [1, 1]], "W2": [[1], [1]],
                                   "activation": "relu", "grad_W1": [[str(t) for t in row] for row in G["W1"].tolist()],
                                   "W1_after_step": [[str(t) for t in row] for row in upd.tolist()]})


def prove_dropout_breaks_symmetry() -> Proof:
    r"""Minibatch SGD keeps the symmetric set (any batch: :func:`prove_constant_symmetry`), while a
    dropout mask that differs across units makes the unit gradients differ, so dropout breaks it.
    The "SGD does not" half needs the same condition as init.constant-symmetry."""
    d = Derivation("init.dropout-breaks-symmetry", r"\text{SGD keeps } S,\ \text{dropout leaves } S",
                   ["symmetric set S as in init.constant-symmetry", "inverted dropout, p = 1/2 (scale 2)"])
    sym = prove_constant_symmetry()
    d.fact("minibatch SGD keeps S for every minibatch (init.constant-symmetry, conditional form)",
           r"\theta_t \in S", "nnclaims.proofs.initialisation.prove_constant_symmetry", sym.outcome == "proved")
    X, Y = sp.Matrix([[1]]), sp.Matrix([[0]])
    W1, b1, W2, b2 = sp.ones(1, 2), sp.zeros(1, 2), sp.ones(2, 1), sp.zeros(1, 1)
    G = explicit_gradients(X, Y, W1, b1, W2, b2, RELU, mask=sp.Matrix([[2, 0]]))
    d.differ("dropout mask (keep unit 0, drop unit 1): the units' gradients differ, one step leaves S",
             G["W1"][:, 0], G["W1"][:, 1])
    cex = _asymmetric_counterexample(d)
    return d.close(generality=GENERAL, general=True, condition=CONDITION, counterexample=cex)
