"""Symbolic layer: negative controls (a broken identity must not come out proved) and exact
re-checks of the counterexamples the proofs carry."""

import pytest
import sympy as sp

from nnclaims.proofs import _mlp as M
from nnclaims.proofs._index import Ranges, normalise, reindex
from nnclaims.proofs.initialisation import RELU, explicit_gradients, symmetric_gradients
from nnclaims.proofs.permutation import gradients, permuted_params, pi, prove_orthogonal_commutes
from nnclaims.proofs.record import Derivation

pytestmark = pytest.mark.symbolic


def test_Derivation_broken_identity_not_proved():
    d = Derivation("x", "s", [])
    x = sp.Symbol("x")
    assert d.equal("true step", (x + 1) ** 2, x ** 2 + 2 * x + 1)
    assert not d.equal("broken step", (x + 1) ** 2, x ** 2 + 1)
    assert d.close(generality="g", general=True).outcome == "not proved"


def test_Derivation_refuted_needs_counterexample():
    d = Derivation("x", "s", [])
    d.differ("differ", sp.Integer(1), sp.Integer(2))
    assert d.close(generality="g", general=True, refuted=True).outcome == "not proved"
    assert d.close(generality="g", general=True, refuted=True, counterexample={"a": 1}).outcome == "refuted"


def test_forward_invariance_fails_without_transposed_W2():
    """Negative control: permuting W1, b1 but not W2 changes the output symbolically."""
    p = M.indexed_params()
    R = M.ranges({pi: M.h})
    full = permuted_params(p)
    broken = M.Params(full.W1, full.b1, p.W2, p.b2)
    o = M.output(p)
    assert reindex(normalise(M.output(full), R), R) == o
    d = Derivation("x", "s", [])
    assert not d.equal("broken", reindex(normalise(M.output(broken), R), R), o)


def test_reindex_refuses_summand_not_through_pi():
    n = sp.Symbol("n", integer=True, positive=True)
    j = sp.Symbol("j", integer=True)
    A = sp.IndexedBase("A")
    R = Ranges({}, perms={pi: n})
    s = sp.Sum(A[pi(j)] * A[j], (j, 0, n - 1))
    assert reindex(s, R) == s  # depends on j outside π(j): no rewrite


def test_normalise_keeps_guard_for_unbounded_index():
    n = sp.Symbol("n", integer=True, positive=True)
    i, k, x = sp.symbols("i k x", integer=True)
    A = sp.IndexedBase("A")
    out = normalise(sp.Sum(A[k] * sp.KroneckerDelta(k, x), (k, 0, n - 1)), Ranges({i: n}))
    assert isinstance(out, sp.Piecewise)  # x has no known range: the guard stays


def test_gradients_differ_across_units_off_the_symmetric_set():
    """Negative control for init.constant-symmetry: for general weights the units' gradients differ."""
    g = gradients(M.indexed_params())["W1"]
    m2 = sp.Symbol("m2", integer=True)
    assert sp.simplify(g - g.subs(M.m, m2)) != 0
    gs = symmetric_gradients("mse")["W1"]
    assert M.m not in gs.free_symbols


def test_explicit_gradients_match_hand_computation():
    # one sample x = 1, y = 0, relu, W1 = [1, 1], W2 = [1, 2]ᵀ: O = 3, ∂L/∂W1 = [3·1, 3·2]
    G = explicit_gradients(sp.Matrix([[1]]), sp.Matrix([[0]]), sp.Matrix([[1, 1]]), sp.zeros(1, 2),
                           sp.Matrix([[1], [2]]), sp.zeros(1, 1), RELU)
    assert G["W1"] == sp.Matrix([[3, 6]])
    assert G["b2"] == sp.Matrix([[3]])


def test_orthogonal_commutes_counterexamples_recheck_in_float64():
    import numpy as np

    cex = prove_orthogonal_commutes().counterexample
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    Z = np.array([[1.0, 0.0]])
    relu = lambda t: np.maximum(t, 0)
    assert cex["relu"]["Q"] == [["3/5", "-4/5"], ["4/5", "3/5"]]
    assert not np.allclose(relu(Z @ Q), relu(Z) @ Q)
    assert not np.allclose(np.tanh(Z @ Q), np.tanh(Z) @ Q)
    sig = lambda t: 1 / (1 + np.exp(-t))
    assert sig(0.0 * -1) != sig(0.0) * -1


def test_Derivation_matrix_symbol_negative_control():
    k = sp.Symbol("k", integer=True, positive=True)
    W = sp.MatrixSymbol("W", k, k)
    c = sp.Symbol("c")
    d = Derivation("x", "s", [])
    assert d.equal("true", (W.T * (c * sp.Identity(k)) * W).doit(), c * W.T * W)
    assert not d.equal("broken: W Wᵀ is not Wᵀ W", (W.T * (c * sp.Identity(k)) * W).doit(), c * W * W.T)
