"""The permutation family (perm.*): symbolic chains and their negative controls, the numeric statistics on their
negative controls, the searches' planted SAT/UNSAT and re-check controls, and the condition of
perm.input-rows-break-symmetry."""

from fractions import Fraction

import pytest
import sympy as sp
import torch

from nnclaims.numeric import permutation as N
from nnclaims.numeric.tolerance import rel_err, tolerance
from nnclaims.numeric.zoo import ZooSpec, forward, init_zoo, perm_matrices, permute_params, random_permutations
from nnclaims.proofs import _mlp as M
from nnclaims.proofs import permutation as P
from nnclaims.proofs._index import normalise, reindex
from nnclaims.proofs.catalogue import get_claim
from nnclaims.proofs.record import Derivation
from nnclaims.proofs.searches import (commuting_control, decode_orthogonal, recheck_orthogonal_relu,
                                      search_orthogonal_relu)

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")

TRUE = ["perm.elementwise-commutes", "perm.inverse-is-transpose", "perm.row-column-action", "perm.forward-invariance",
        "perm.loss-invariance", "perm.mse-output-gradient", "perm.gradient-equivariance", "perm.sgd-equivariance",
        "perm.nonunique-minima"]
CONDITIONAL = ["perm.orthogonal-commutes", "perm.input-rows-break-symmetry"]


# ---- symbolic --------------------------------------------------------------------------------------------------

@pytest.mark.symbolic
def test_forward_invariance_fails_without_transposed_W2():
    """Negative control: permuting W1, b1 but not W2 changes the output symbolically — the same chain as the
    proof, from the one-sided θ_P, does not reach O."""
    p = M.indexed_params()
    R = M.ranges({P.pi: M.h})
    full = P.matrix_permuted_params(p)
    d = Derivation("x", "s", [])
    (d.chain(M.output(full)).by("deltas", normalise, R).by("reindex", reindex, R).then(M.output(p), "O' = O"))
    assert all(s.holds for s in d.steps)
    broken = M.Params(full.W1, full.b1, p.W2, p.b2)
    d = Derivation("x", "s", [])
    (d.chain(M.output(broken)).by("deltas", normalise, R).by("reindex", reindex, R).then(M.output(p), "O' = O"))
    assert not d.steps[-1].holds


@pytest.mark.symbolic
def test_orthogonal_commutes_odd_condition_is_needed():
    """The signed-permutation case closes only with σ odd: with σ even the last step fails."""
    z = sp.Symbol("z")
    d = Derivation("x", "s", [])
    d.chain(P.sigma(-z) + P.sigma(z)).assuming("σ odd", P.odd_symmetry(P.sigma, z)).then(sp.Integer(0), "0")
    assert d.steps[-1].holds
    d.chain(P.sigma(-z) + P.sigma(z)).assuming("σ even", {P.sigma(-z): P.sigma(z)}).then(sp.Integer(0), "0")
    assert not d.steps[-1].holds


@pytest.mark.symbolic
def test_orthogonal_commutes_counterexamples_replay_in_float64():
    """Every exact counterexample the proof carries is violated in float64 (replayed by the numeric layer's own
    code), far beyond the tolerance; the rotation is orthogonal and not a signed permutation."""
    cex = P.prove_orthogonal_commutes().counterexample
    assert sorted(cex) == ["gelu", "relu", "sigmoid", "tanh"]
    replays = N._replay_orthogonal({k: dict(w, activation=k) for k, w in cex.items()})
    assert all(v > 1e-3 for v in replays.values()), replays
    Q = sp.Matrix([[sp.Rational(x) for x in row] for row in cex["relu"]["Q"]])
    assert Q.T * Q == sp.eye(2) and any(x not in (0, 1, -1) for x in Q)


@pytest.mark.symbolic
def test_input_rows_lemma_is_associativity_and_gradients_move():
    """f_{QW1}(X) = f_{W1}(XQ), and the input gradient at 0 of f_{QW1} at coordinate τ(e) is g_e (not g_τ(e)):
    the proof's gradient chains end at different rows of g."""
    pr = P.prove_input_rows_break_symmetry()
    assert pr.outcome == "proved" and pr.condition == P.INPUT_ROWS_CONDITION
    ends = [s.latex for s in pr.steps if "at 0 is g" in s.description]
    assert len(ends) == 2 and ends[0] != ends[1]
    assert "tau" in ends[1].split("=")[-1] and "tau" not in ends[0].split("=")[-1]


@pytest.mark.symbolic
def test_sgd_equivariance_chain_fails_for_a_non_elementwise_update():
    """The induction step's chain fails when the update reads a neighbouring entry."""
    kk, state, _ = P._update_rules()
    th, g, _, _ = state
    tau = sp.Function("tau")
    primed = {b: sp.IndexedBase(f"{b.name}'") for b in state}
    hyp = {primed[b][kk]: b[tau(kk)] for b in state}
    for upd, holds in ((th[kk] - g[kk], True), (th[kk] - g[kk + 1], False)):
        d = Derivation("x", "s", [])
        d.chain(upd.xreplace(primed)).assuming("hypothesis", hyp).then(upd.subs(kk, tau(kk)), "update at τ(k)")
        assert d.steps[-1].holds is holds


# ---- numeric: each statistic fails on its negative control ------------------------------------------------------

@pytest.mark.slow
@pytest.mark.numeric
@pytest.mark.parametrize("claim_id", TRUE + CONDITIONAL)
def test_numeric_record_control_fails_and_reading(claim_id, outcomes):
    """Every perm.* record has a negative control that fails (its value beyond the tolerance), as_stated
    'holds' for a true claim and 'violated' for a conditional one, and status 'consistent' (the statement, or
    the proved conditional form)."""
    rec = outcomes(get_claim(claim_id)).records["numeric"]
    assert rec.control["fails"] is True and rec.control["value"] > rec.tolerance, rec.control
    assert rec.status == "consistent"
    assert rec.as_stated == ("holds" if claim_id in TRUE else "violated")


@pytest.mark.numeric
def test_nontrivial_rejects_identity_and_non_permutations():
    P0 = perm_matrices(torch.tensor([[1, 0, 2], [2, 0, 1]]))
    assert N.nontrivial(P0) is P0
    with pytest.raises(ValueError):
        N.nontrivial(perm_matrices(torch.tensor([[0, 1, 2], [2, 0, 1]])))
    with pytest.raises(ValueError):
        N.nontrivial(2 * P0)


@pytest.mark.numeric
def test_wrong_permutations_never_equal_the_permutation():
    Pm = perm_matrices(random_permutations(16, 6, 0, "cpu"))
    W = N.wrong_permutations(Pm)
    assert not (W == Pm).flatten(1).all(1).any() and torch.equal(W.sum(-1), Pm.sum(-1))


@pytest.mark.numeric
def test_forward_invariance_negative_control():
    """Permuting W1 and b1 but not W2 must change the outputs (by far more than the tolerance)."""
    spec = ZooSpec()
    params, X, _ = init_zoo(4, spec, 0, "cpu", dtype=torch.float64)
    Pm = perm_matrices(random_permutations(4, spec.h, 0, "cpu"))
    broken = dict(permute_params(params, Pm), W2=params["W2"])
    o = torch.func.vmap(forward)(params, X)
    assert (rel_err(torch.func.vmap(forward)(permute_params(params, Pm), X), o) <= tolerance(torch.float64, 16)).all()
    assert (rel_err(torch.func.vmap(forward)(broken, X), o) > 1e-3).all()


@pytest.mark.numeric
def test_commute_error_separates_the_proved_cases_from_the_rest():
    """σ(Z)Q = σ(ZQ): exact for permutations and for tanh with a signed permutation; violated for the sigmoid
    with a signed permutation (the control) and for ReLU with a random orthogonal Q (as stated)."""
    g = torch.Generator().manual_seed(0)
    Z = torch.randn(4, 8, 5, generator=g, dtype=torch.float64)
    Pm = perm_matrices(random_permutations(4, 5, 0, "cpu"))
    S = N.signed_permutations(Pm)
    Q = N.random_orthogonal(4, 5, 0, "cpu")
    tol = tolerance(torch.float64, 5)
    assert torch.allclose(Q.transpose(1, 2) @ Q, torch.eye(5, dtype=torch.float64).expand(4, 5, 5), atol=1e-14)
    assert (N.commute_error(torch.relu, Z, Pm) <= tol).all() and (N.commute_error(torch.tanh, Z, S) <= tol).all()
    assert (N.commute_error(torch.sigmoid, Z, S) > tol).all() and (N.commute_error(torch.relu, Z, Q) > tol).all()


@pytest.mark.numeric
def test_input_rows_condition_is_sufficient_not_the_conclusion():
    """The condition Qg ≠ g is a property of the weights, not the conclusion rephrased: a network can change
    its function under the row swap while g is Q-invariant (tanh, W1 = diag(1, 2), W2 = (2, 1)ᵀ: g = (2, 2)ᵀ),
    and the symmetric networks (equal rows) neither meet it nor change."""
    Q = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]], dtype=torch.float64)
    net = lambda W1, W2: {"W1": torch.tensor([W1], dtype=torch.float64), "b1": torch.zeros(1, 1, 2, dtype=torch.float64),  # noqa: E731
                          "W2": torch.tensor([W2], dtype=torch.float64), "b2": torch.zeros(1, 1, 1, dtype=torch.float64)}
    X = 4 * torch.rand(1, 64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) - 2
    tol = tolerance(torch.float64, 4)
    changes = net([[1.0, 0.0], [0.0, 2.0]], [[2.0], [1.0]])
    assert not bool(N.meets_input_rows_condition(changes, Q, "tanh", tol)[0])
    assert float(N.output_change(changes, Q, X, torch.tanh)[0]) > 1e-3
    generic = net([[1.0, 0.5], [-0.3, 2.0]], [[2.0], [1.0]])
    assert bool(N.meets_input_rows_condition(generic, Q, "tanh", tol)[0])
    assert float(N.output_change(generic, Q, X, torch.tanh)[0]) > 1e-3
    equal_rows = net([[1.0, 2.0], [1.0, 2.0]], [[1.0], [-1.0]])
    assert not bool(N.meets_input_rows_condition(equal_rows, Q, "tanh", tol)[0])
    assert float(N.output_change(equal_rows, Q, X, torch.tanh)[0]) <= tol


@pytest.mark.numeric
def test_input_gradient_at_zero_matches_closed_form():
    """``∇f(0)`` by jacrev against ``W1 diag(σ'(b1)) W2``, the proof's g."""
    params, _, _ = init_zoo(3, ZooSpec(), 0, "cpu", dtype=torch.float64)
    closed = (params["W1"] * (1 - torch.tanh(params["b1"]) ** 2)) @ params["W2"]
    assert torch.allclose(N.input_gradient_at_zero(params, torch.tanh), closed, rtol=0, atol=1e-14)


@pytest.mark.numeric
def test_symmetrise_rows_makes_the_network_Q_invariant():
    params, X, _ = init_zoo(4, ZooSpec(), 0, "cpu", dtype=torch.float64)
    Q = perm_matrices(random_permutations(4, ZooSpec().d, 3, "cpu"))
    W = N.symmetrise_rows(params["W1"], Q)
    assert torch.allclose(Q @ W, W, rtol=0, atol=1e-15)
    assert (N.output_change(dict(params, W1=W), Q, X) <= tolerance(torch.float64, 10)).all()
    assert (N.output_change(params, Q, X) > 1e-3).all()


@pytest.mark.numeric
def test_units_distinct_detects_a_duplicated_unit():
    params, _, _ = init_zoo(3, ZooSpec(), 0, "cpu", dtype=torch.float64)
    assert N._units_distinct(params).all()
    params["W1"][0, :, 2], params["b1"][0, :, 2], params["W2"][0, 2] = params["W1"][0, :, 4], params["b1"][0, :, 4], params["W2"][0, 4]
    assert N._units_distinct(params).tolist() == [False, True, True]


@pytest.mark.gpu
@requires_cuda
def test_forward_invariance_on_cuda_matches_cpu():
    g, c = N.check_forward_invariance(networks=64, device="cuda"), N.check_forward_invariance(networks=64, device="cpu")
    assert g.status == c.status == "consistent" and g.as_stated == c.as_stated == "holds"


# ---- searches ---------------------------------------------------------------------------------------------------

@pytest.mark.search
def test_search_orthogonal_relu_planted_sat_is_rechecked():
    r = search_orthogonal_relu(denominator=5)
    assert r.status == "found" and r.rechecked is True and "rejected, as it must be" in r.note


@pytest.mark.search
def test_search_orthogonal_relu_planted_unsat_is_none():
    # entries in {0, ±1/2, ±1}: the only orthogonal 2×2 matrices are signed permutations
    r = search_orthogonal_relu(denominator=2)
    assert r.status == "none" and r.witness is None


@pytest.mark.search
def test_search_timeout_is_unknown_never_none():
    r = search_orthogonal_relu(denominator=5, timeout=1e-6)
    assert r.status in ("unknown", "found")  # a solver may answer before the first timer tick
    assert r.status != "none"


@pytest.mark.search
def test_recheck_rejects_bad_witnesses():
    not_orthogonal = {"Q": [["1", "1"], ["0", "1"]], "Z": [["1", "0"]]}
    commuting = {"Q": [["0", "1"], ["1", "0"]], "Z": [["1", "-1"]]}
    assert not recheck_orthogonal_relu(not_orthogonal)
    assert not recheck_orthogonal_relu(commuting)
    w = search_orthogonal_relu().witness
    assert recheck_orthogonal_relu(w) and not recheck_orthogonal_relu(commuting_control(w))
    shifted = dict(w, Q=[[str(Fraction(w["Q"][0][0]) + Fraction(1, 5)), w["Q"][0][1]], w["Q"][1]])
    assert not recheck_orthogonal_relu(shifted)  # a witness changed by one step of 1/5


@pytest.mark.search
def test_decode_orthogonal_reads_the_model():
    import z3

    s = z3.Solver()
    P_ = [[z3.Int(f"p{i}{j}") for j in range(2)] for i in range(2)]
    Zv = [z3.Int("z0"), z3.Int("z1")]
    s.add(P_[0][0] == 3, P_[0][1] == -4, P_[1][0] == 4, P_[1][1] == 3, Zv[0] == 1, Zv[1] == 0)
    assert s.check() == z3.sat
    w = decode_orthogonal(s.model(), P_, Zv, 5)
    assert w["Q"] == [["3/5", "-4/5"], ["4/5", "3/5"]] and w["Z"] == [["1", "0"]]


@pytest.mark.search
def test_input_rows_search_finds_distinct_rows_and_rechecks_them():
    from nnclaims.proofs.search_random import ROWS_CHANGE, recheck_rows_unchanged, search_input_rows_unchanged

    r1, r2 = search_input_rows_unchanged(seed=3), search_input_rows_unchanged(seed=3)
    assert r1.status == "found" and r1.rechecked is True and r1.witness == r2.witness
    assert r1.witness["W1"][0] != r1.witness["W1"][1]
    assert not recheck_rows_unchanged(ROWS_CHANGE)  # the planted non-witness: the swap changes f
    assert not recheck_rows_unchanged(dict(r1.witness, W1=[r1.witness["W1"][0]] * 2))  # equal rows: not claimed
    assert not recheck_rows_unchanged({"W1": [[1, 0], [2, 0]], "W2": [[0], [0]], "Q": ROWS_CHANGE["Q"]})  # constant
