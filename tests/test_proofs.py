"""Symbolic layer: negative controls (a broken identity must not come out proved) and exact
re-checks of the counterexamples the proofs carry."""

import pytest
import sympy as sp

from nnclaims.proofs._index import Ranges, normalise, reindex
from nnclaims.proofs.permutation import pi
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


def test_Derivation_matrix_symbol_negative_control():
    k = sp.Symbol("k", integer=True, positive=True)
    W = sp.MatrixSymbol("W", k, k)
    c = sp.Symbol("c")
    d = Derivation("x", "s", [])
    assert d.equal("true", (W.T * (c * sp.Identity(k)) * W).doit(), c * W.T * W)
    assert not d.equal("broken: W Wᵀ is not Wᵀ W", (W.T * (c * sp.Identity(k)) * W).doit(), c * W * W.T)
