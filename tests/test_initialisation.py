"""The initialisation family (init.*): the symmetric set's closed forms and their negative controls, the
explicit gradient path, the numeric spreads on their negative controls, and the searches' re-check controls."""

import pytest
import sympy as sp
import torch

from nnclaims.numeric import initialisation as N
from nnclaims.proofs import _mlp as M
from nnclaims.proofs import initialisation as I
from nnclaims.proofs.catalogue import get_claim
from nnclaims.proofs.permutation import gradients
from nnclaims.proofs.search_random import (equal_features, equal_outgoing_rows, recheck_gradient_entries_differ,
                                           recheck_unit_gradients_differ, search_constant_gradient_entries,
                                           search_constant_init_breaks)

EXPECTED = {"init.constant-symmetry": ("consistent", "violated"),
            "init.constant-gradient-all-equal": ("consistent", "violated"),
            "init.dropout-breaks-symmetry": ("consistent", "violated")}


# ---- symbolic --------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.symbolic
def test_gradients_differ_across_units_off_the_symmetric_set():
    """Negative control for init.constant-symmetry: for general weights the units' gradients differ; on S the
    unit index is gone."""
    g = gradients(M.indexed_params())["W1"]
    m2 = sp.Symbol("m2", integer=True)
    assert sp.simplify(g - g.subs(M.m, m2)) != 0
    gs = I.symmetric_gradients("mse")["W1"]
    assert M.m not in gs.free_symbols


@pytest.mark.symbolic
def test_closed_forms_are_unit_free_and_W1_rows_carry_the_feature():
    for loss in ("mse", "elementwise"):
        forms = I.closed_forms(loss)
        assert all(M.m not in f.free_symbols for f in forms.values())
        assert forms["W1"].has(M.X[M.r, M.e])


@pytest.mark.slow
@pytest.mark.symbolic
def test_unit_free_chain_fails_without_equal_outgoing_weights():
    """The chain from ∂L/∂W1 on S to its closed form does not close when W2's rows are left free."""
    from nnclaims.proofs._index import normalise
    from nnclaims.proofs.record import Derivation

    g = gradients(M.indexed_params())["W1"]
    W1, b1, _, _ = M.bases(M.indexed_params())
    partial = g.replace(lambda t: isinstance(t, sp.Indexed) and t.base in (W1, b1),
                        lambda t: I.w[t.indices[0]] if t.base == W1 else I.beta)
    R = M.ranges()
    for start, holds in ((I.on_symmetric_set(g), True), (partial, False)):
        d = Derivation("x", "s", [])
        d.chain(start).by("sums", normalise, R).then(I.closed_forms("mse")["W1"], "closed form",
                                                     via=lambda e: normalise(e, R))
        assert d.steps[-1].holds is holds


@pytest.mark.symbolic
def test_evaluate_points_preserves_the_value():
    """The sound rewrite registered by the family: evaluating the point of a Subs changes nothing (checked with
    a concrete ℓ = sin at h = 3)."""
    x, y, h = sp.symbols("x y h")
    j = sp.Symbol("j", integer=True)
    f = sp.Function("f")
    e = 2 * sp.Subs(sp.Derivative(f(x), x), x, sp.Sum(y, (j, 0, h - 1))) + y
    out = I.evaluate_points(e)
    assert out != e
    # ℓ = sin: Subs(ℓ'(x), x, p) is cos(p)
    concrete = lambda t: t.replace(lambda a: isinstance(a, sp.Subs), lambda a: sp.cos(a.point[0])).subs(h, 3).doit()  # noqa: E731
    assert sp.simplify(concrete(e) - concrete(out)) == 0


@pytest.mark.symbolic
def test_explicit_gradients_match_hand_computation():
    # one sample x = 1, y = 0, relu, W1 = [1, 1], W2 = [1, 2]ᵀ: O = 3, ∂L/∂W1 = [3·1, 3·2]
    G = I.explicit_gradients(sp.Matrix([[1]]), sp.Matrix([[0]]), sp.Matrix([[1, 1]]), sp.zeros(1, 2),
                             sp.Matrix([[1], [2]]), sp.zeros(1, 1), I.RELU)
    assert G["W1"] == sp.Matrix([[3, 6]])
    assert G["b2"] == sp.Matrix([[3]])


@pytest.mark.symbolic
def test_counterexamples_replay_in_float64():
    """The exact counterexamples, replayed by the numeric layer's autograd path: units separate (bare start),
    rows of ∇W1 differ (symmetric start), dropout separates; with equal outgoing rows they do not."""
    assert float(N.column_spread(N.replay_gradient_w1(I.ASYMMETRIC)[None])[0]) > 0.1
    assert float(N.entry_spread(N.replay_gradient_w1(I.GRADIENT_CASE)[None])[0]) > 0.1
    drop = N.replay_gradient_w1(I.DROPOUT_CASE, mask=I.DROPOUT_CASE["mask"])
    assert float(N.column_spread(drop[None])[0]) > 0.1
    sym = dict(I.ASYMMETRIC, W2=[[1], [1]])
    assert float(N.column_spread(N.replay_gradient_w1(sym)[None])[0]) == 0.0


# ---- numeric -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.numeric
@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_numeric_record_control_fails_and_reading(claim_id, outcomes):
    rec = outcomes(get_claim(claim_id)).records["numeric"]
    assert rec.control["fails"] is True and rec.control["value"] > rec.tolerance, rec.control
    assert (rec.status, rec.as_stated) == EXPECTED[claim_id]


@pytest.mark.numeric
def test_spreads_vanish_exactly_on_their_sets():
    W = torch.tensor([[[1.0, 1.0], [2.0, 2.0]]], dtype=torch.float64)
    assert float(N.column_spread(W)[0]) == 0.0 and float(N.entry_spread(W)[0]) > 0
    assert float(N.entry_spread(torch.full((1, 2, 2), 3.0, dtype=torch.float64))[0]) == 0.0
    params, _, _ = N.constant_init(3, "cpu", 0, symmetric_out=True)
    assert (N.unit_spread(params) == 0).all()
    bare, _, _ = N.constant_init(3, "cpu", 0, symmetric_out=False)
    assert (N.unit_spread(bare) > 0).all()  # W1 = c alone: the units differ through W2


@pytest.mark.numeric
def test_shared_dropout_masks_cannot_separate_units():
    params, X, Y = N.constant_init(3, "cpu", 0, symmetric_out=True)
    tol = N.tolerance(torch.float64, 10)
    assert (N.unit_spread(N.train(params, X, Y, steps=5)) <= tol).all()
    assert (N.unit_spread(N.train(params, X, Y, steps=5, dropout=0.5, shared_masks=True)) <= tol).all()
    assert (N.unit_spread(N.train(params, X, Y, steps=5, dropout=0.5)) > tol).all()


# ---- searches ---------------------------------------------------------------------------------------------------

@pytest.mark.search
@pytest.mark.parametrize("search", [search_constant_init_breaks, search_constant_gradient_entries])
def test_random_searches_find_rechecked_witnesses_deterministically(search):
    r1, r2 = search(seed=3), search(seed=3)
    assert r1.status == "found" and r1.rechecked is True and "rejected, as it must be" in r1.note
    assert r1.witness == r2.witness  # same seed, same witness


@pytest.mark.search
def test_random_search_rechecks_reject_non_witnesses():
    # symmetric outgoing weights: the units' gradients agree
    sym = {"X": [[1]], "Y": [[0]], "W1": [[1, 1]], "W2": [[2], [2]]}
    assert not recheck_unit_gradients_differ(sym)
    # W1 not constant: not the seed's initialisation, whatever the gradients do
    assert not recheck_unit_gradients_differ({"X": [[1]], "Y": [[0]], "W1": [[1, 2]], "W2": [[1], [2]]})
    # d = 1: a single row, so the entries of ∇W1 (identical columns) are all equal
    assert not recheck_gradient_entries_differ(sym)
    w = search_constant_init_breaks(seed=0).witness
    assert recheck_unit_gradients_differ(w) and not recheck_unit_gradients_differ(equal_outgoing_rows(w))
    w = search_constant_gradient_entries(seed=0).witness
    assert recheck_gradient_entries_differ(w) and not recheck_gradient_entries_differ(equal_features(w))
    assert not recheck_gradient_entries_differ(dict(w, W2=[[1], [2]]))  # not the symmetric start


@pytest.mark.search
def test_random_search_timeout_is_unknown():
    r = search_constant_init_breaks(seed=0, timeout=0.0)
    assert r.status == "unknown" and "time limit" in r.note
