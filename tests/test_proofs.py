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
    d.chain((x + 1) ** 2).by("expand", sp.expand).then(x ** 2 + 2 * x + 1, "true form")
    assert all(step.holds for step in d.steps)
    d.chain((x + 1) ** 2).then(x ** 2 + 1, "broken form")
    assert not d.steps[-1].holds
    assert d.close(generality="g", general=True).outcome == "not proved"


def test_Chain_links_each_step_to_the_previous_one():
    """Each step's left side is the previous step's right side (the displayed LaTeX says so)."""
    x = sp.Symbol("x")
    d = Derivation("x", "s", [])
    d.chain((x + 1) ** 2).by("expand", sp.expand).then((x + 1) * (x + 1), "factor back")
    first, second = (s.latex.split(" = ") for s in d.steps)
    assert first[1] == second[0]


def test_Chain_by_checks_an_operation_that_is_not_a_sound_rewrite():
    """An operation outside SOUND_REWRITES is checked with equal(previous, next): a wrong one fails."""
    x = sp.Symbol("x")
    d = Derivation("x", "s", [])
    d.chain((x + 1) ** 2).by("a rewrite that ignores its input", lambda e: x)
    assert not d.steps[-1].holds and "simplify(previous − next) == 0" in d.steps[-1].check
    d.chain((x + 1) ** 2).by("a correct but unregistered rewrite", lambda e: sp.expand(e))
    assert d.steps[-1].holds


def test_Chain_partial_of_a_sound_rewrite_holds_by_construction():
    import functools

    n = sp.Symbol("n", integer=True, positive=True)
    i, k = sp.symbols("i k", integer=True)
    A = sp.IndexedBase("A")
    R = Ranges({i: n})
    d = Derivation("x", "s", [])
    d.chain(sp.Sum(A[k] * sp.KroneckerDelta(k, i), (k, 0, n - 1))).by("delta", functools.partial(normalise, ranges=R))
    assert d.steps[-1].holds and d.steps[-1].check.startswith("next = normalise(")


def test_Chain_assuming_is_a_conditional_step():
    x, c = sp.symbols("x c")
    d = Derivation("x", "s", [])
    d.chain(c * x).assuming("with c = 0", {c: 0})
    assert d.steps[-1].role == "assumes" and d.steps[-1].holds


def test_Derivation_has_one_kind_of_equality_step():
    """No step whose sides are typed apart from the chain: the two-sided equal() is gone, and no proof module
    calls it."""
    import importlib
    import inspect

    from nnclaims.proofs.catalogue import CLAIMS

    assert not hasattr(Derivation, "equal")
    modules = {c.proof.partition(":")[0] for c in CLAIMS if isinstance(c.proof, str)}
    for name in modules:
        assert "d.equal(" not in inspect.getsource(importlib.import_module(name)), name


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
    d.chain((W.T * (c * sp.Identity(k)) * W).doit()).then(c * W.T * W, "true")
    assert d.steps[-1].holds
    d.chain((W.T * (c * sp.Identity(k)) * W).doit()).then(c * W * W.T, "broken: W Wᵀ is not Wᵀ W")
    assert not d.steps[-1].holds


def test_a_derivation_without_steps_proves_nothing():
    """No step, no proof: an empty derivation closes as ``not proved`` (and cannot refute), while the same
    derivation with one step that holds is proved (the control that the test can tell the two apart)."""
    empty = Derivation("x", "s", [])
    assert empty.close(generality="general", general=True).outcome == "not proved"
    assert empty.close(generality="general", general=True, refuted=True, counterexample={"a": 1}).outcome \
        == "not proved"
    one = Derivation("x", "s", [])
    one.fact("a computed fact", "1 = 1", "1 == 1", True)
    assert one.close(generality="general", general=True).outcome == "proved"
