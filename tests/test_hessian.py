"""The Hessian family (seed 003): its numeric statistics against their negative controls, the float64 replays
against the proofs' counterexamples, the optimum criterion, and the two Z3 searches (moved here from the shared
numeric and search test files)."""

import pytest
import sympy as sp
import torch
from torch.func import vmap

from nnclaims.numeric import hessian as nh
from nnclaims.numeric.curvature import Arch, forward, init_theta
from nnclaims.numeric.tolerance import identity_result, negative_control, tolerance
from nnclaims.proofs import hessian as ph
from nnclaims.proofs.catalogue import get_claim, replaced
from nnclaims.proofs.search_hessian import (recheck_basis_change, recheck_residual_at_optimum, search_basis_change,
                                            search_residual_at_optimum)

F64 = torch.float64
K = 3  # networks per architecture in these tests


def test_oracle_hessian_matches_closed_form_quadratic():
    """torch.func.hessian of ½‖Aθ − y‖² is AᵀA exactly (the oracle the Hessian checks rely on)."""
    from torch.func import hessian

    g = torch.Generator().manual_seed(0)
    A = torch.randn(6, 4, generator=g, dtype=F64)
    y = torch.randn(6, generator=g, dtype=F64)
    H = hessian(lambda t: 0.5 * ((A @ t - y) ** 2).sum())(torch.zeros(4, dtype=F64))
    assert torch.allclose(H, A.T @ A, rtol=0, atol=tolerance(F64, 6))


def test_identity_result_precondition_unmet_is_error_not_pass():
    ctrl = negative_control("c", torch.ones(1), 1e-3)
    r = identity_result("x", torch.zeros(0), 1e-3, 0, "cpu", "stat", as_stated="not checked", control=ctrl)
    assert r.status == "error"


# --- the optimum criterion -------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", nh.DEPTHS)
def test_at_optimum_fitted_networks_meet_it_initial_do_not(depth):
    arch = nh.arch_for(depth)
    z = nh.optimum_zoo(K, "cpu", 0, arch)
    assert nh.at_optimum(z["theta"], z["X"], z["Y"], arch).all()
    assert not nh.at_optimum(z["theta0"], z["X"], z["Y"], arch).any()


def test_optimum_zoo_returns_fresh_copies():
    arch = nh.arch_for(1)
    a = nh.optimum_zoo(K, "cpu", 0, arch)
    a["theta"].zero_()
    assert nh.optimum_zoo(K, "cpu", 0, arch)["theta"].abs().sum() > 0


# --- zero-eigenvalue count -------------------------------------------------------------------------------

def test_zero_count_counts_rank_deficiency_and_fails_off_threshold():
    J = torch.tensor([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]], dtype=F64)  # rank 1, P = 3
    H = J.transpose(1, 2) @ J
    c = nh.zero_count(H, J)
    assert int(c["zeros"]) == 2 and int(c["expected"]) == 2 and int(c["rank"]) == 1
    # a perturbation far above the rounding threshold is not a zero eigenvalue: the count must disagree
    c = nh.zero_count(H + 1e-3 * torch.eye(3, dtype=F64)[None], J)
    assert int(c["zeros"]) == 0 != int(c["expected"])


def test_zero_threshold_scales_with_size_and_feature_norm():
    s = torch.tensor([2.0], dtype=F64)
    assert float(nh.zero_threshold(s, 10)) == pytest.approx(2 * tolerance(F64, 10))
    assert float(nh.zero_threshold(s, 20)) > float(nh.zero_threshold(s, 10))


def test_zero_count_negative_control_non_optimum_mismatches():
    """At the initial parameters (not an optimum) H has no zero eigenvalues where JᵀJ has P − rank J."""
    arch = nh.arch_for(2)
    z = nh.optimum_zoo(K, "cpu", 0, arch)
    d = nh._dense(z["theta0"], z["X"], z["Y"], arch)
    c = nh.zero_count(nh.oracle_hessian(z["theta0"], z["X"], z["Y"], arch), d["J"])
    assert (c["zeros"] != c["expected"]).all()
    d = nh._dense(z["theta"], z["X"], z["Y"], arch)
    c = nh.zero_count(nh.oracle_hessian(z["theta"], z["X"], z["Y"], arch), d["J"])
    assert (c["zeros"] == c["expected"]).all() and (c["expected"] == arch.P - nh.N_POINTS).all()


# --- float64 replays agree with the proofs' counterexamples ---------------------------------------------------

def test_quartic_replay_matches_proof_counterexample():
    rep = nh.REPLAYS["quartic"]()
    cex = ph.prove_feature_gram_at_optimum().counterexample
    assert rep["H"].tolist() == [[float(v) for v in row] for row in cex["hessian"]]
    assert (rep["J"].T @ rep["J"]).tolist() == [[float(v) for v in row] for row in cex["feature_gram"]]
    assert rep["residual"].abs().max() == 0
    assert [tuple(map(float, p)) for p in ph.QUARTIC_COUNTEREXAMPLE["data"]] == [(1.0, 1.0), (2.0, 2.0)]


def test_residual_replay_matches_proof_counterexample():
    rep = nh.REPLAYS["residual"]()
    cex = ph.prove_residual_vanishes().counterexample
    assert float(rep["R"][0, 0]) == cex["residual"] and float(rep["H"][0, 0]) == cex["hessian"]
    assert float(rep["grad"].abs().max()) == 0.0


def test_ce_replay_matches_proof_counterexample():
    rep = nh.REPLAYS["cross-entropy"]()
    cex = ph.prove_vector_output().counterexample
    assert rep["G"].tolist() == [[float(sp.Rational(v)) for v in row] for row in cex["H"]]
    assert float(nh._distance_from_multiple(rep["G"][None], rep["gram"][None])) > 0.5
    assert float(nh._distance_from_multiple(rep["gram"][None], rep["gram"][None])) == 0.0  # holding case


# --- each numeric record: its control fails, its as_stated is what the verdict needs ---------------------------

EXPECTED_AS_STATED = {
    "check_gauss_newton_split": "holds", "check_earlier_layers_act_derivs": "holds",
    "check_next_layer_gradient_same": "holds", "check_residual_vanishes": "violated",
    "check_linear_features_example": "violated", "check_feature_gram_at_optimum": "violated",
    "check_zero_eigs_feature_rank": "violated", "check_vector_output": "violated",
    "check_layer_orthogonal_basis": "violated",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_AS_STATED))
def test_check_control_fails_and_as_stated(name):
    r = getattr(nh, name)(networks=K)
    assert r.status == "consistent", r.details.get("error")
    assert r.control["fails"] is True and r.control["value"] > r.tolerance, r.control
    assert r.as_stated == EXPECTED_AS_STATED[name]


def test_residual_vanishes_non_interpolating_minima_keep_the_residual_term():
    m = nh._non_interpolating_minima(8, "cpu", 0)
    strict = (m["grad"] <= 1e-12) & (m["lambda_min"] > 0) & ~m["perfect"]
    assert strict.sum() >= 4 and (m["ratio"][strict] > 1e-6).all()


def test_backprop_features_need_the_activation_derivative():
    arch = nh.arch_for(3)
    g = torch.Generator().manual_seed(1)
    theta, X = init_theta(arch, 1, g)[0], torch.randn(5, 3, generator=g, dtype=F64)
    got, want = nh._autograd_features(theta, X, arch), nh.backprop_features(theta, X, arch)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-13) for a, b in zip(got, want))
    naive = nh.backprop_features(theta, X, arch, lambda z, a: torch.ones_like(z))
    assert all(not torch.allclose(a, b, atol=1e-3) for a, b in zip(got[:-1], naive[:-1]))


def test_rebased_forward_permutation_keeps_function_rotation_does_not():
    """The as-stated statistic's holding case: a permutation commutes with σ, so re-expressing both sides keeps the
    outputs; the eigenbasis rotation does not; the outgoing side alone always does."""
    arch = nh.arch_for(2)
    g = torch.Generator().manual_seed(2)
    theta, X = init_theta(arch, 1, g)[0], torch.randn(7, 3, generator=g, dtype=F64)
    out = forward(theta, X, arch)
    Pm = torch.eye(nh.WIDTH, dtype=F64)[:, torch.tensor([2, 0, 4, 1, 3])]
    Q = torch.linalg.qr(torch.randn(nh.WIDTH, nh.WIDTH, generator=g, dtype=F64))[0]
    for layer in (1, 2):
        assert torch.allclose(nh.rebased_forward(theta, X, arch, layer, Pm, "both"), out, atol=1e-14)
        assert torch.allclose(nh.rebased_forward(theta, X, arch, layer, Q, "outgoing"), out, atol=1e-13)
        assert not torch.allclose(nh.rebased_forward(theta, X, arch, layer, Q, "both"), out, atol=1e-3)
        assert not torch.allclose(nh.rebased_forward(theta, X, arch, layer, Q, "features-only"), out, atol=1e-3)


# --- hessian.information-loss-broadness --------------------------------------------------------------------

def test_broadness_designs_have_equal_parameter_counts_and_exact_optima():
    for depth in (1, 2):
        outs = [nh.broadness_counts(2, "cpu", 0, depth, d) for d in nh.DESIGNS]
        assert len({o["P"] for o in outs}) == 1 and all(o["residual_max"] == 0.0 for o in outs)


def test_broadness_design_does_not_force_exact_zeros():
    """The outcome is not built in: the shared design's features are not exactly dependent at one hidden layer
    (no rounding-level zero eigenvalue), unlike duplicated input columns would make them."""
    c = nh.broadness_counts(4, "cpu", 0, 1, "shared")["counts"]
    assert float(c["rounding"].max()) == 0.0


def test_broadness_negative_control_is_unsupported_and_threshold_read_from_registry():
    r = nh.check_information_loss_broadness(networks=8)
    assert r.control["fails"] is True  # independent vs relabelled independent: unsupported in every condition
    assert set(r.control["by_condition"]) == {"depth-1", "depth-2"}
    claim = get_claim("hessian.information-loss-broadness")
    assert r.threshold == claim.preregistered.threshold
    import dataclasses

    with replaced(dataclasses.replace(claim, preregistered=dataclasses.replace(claim.preregistered, threshold=1e9))):
        out = nh.check_information_loss_broadness(networks=8)
        assert out.status == "unsupported"
        assert {c["status"] for c in out.details["conditions"].values()} == {"unsupported"}


def test_broadness_statistic_fails_when_designs_coincide(monkeypatch):
    monkeypatch.setattr(nh, "DESIGNS", {**nh.DESIGNS, "shared": nh.DESIGNS["independent"]})
    r = nh.check_information_loss_broadness(networks=8)
    assert r.status == "unsupported" and r.value == 0.0


def test_broadness_conditions_are_judged_apart_at_the_family_level():
    """Issue 25: each depth is its own decision (no average), with an order-statistic interval whose achieved
    level reaches the run's Bonferroni family level, on the sample size the preregistered rule gives."""
    from nnclaims.numeric.statistics import ORDER_STATISTIC, median_interval, networks_for
    from nnclaims.proofs.catalogue import empirical_family

    r = nh.check_information_loss_broadness(networks=4)
    fam = empirical_family()
    n = networks_for(fam["level"], fraction_above=0.9, power=0.8)
    assert r.family == fam and r.details["networks_per_condition"] == n  # --networks 4 cannot shrink the rule's n
    for name, c in r.details["conditions"].items():
        assert c["n"] == n and c["ci_method"] == ORDER_STATISTIC and c["ci_level"] >= fam["level"]
        assert c["interval"] == list(median_interval(c["per_network"], level=fam["level"])["interval"])
        assert c["status"] == ("supported" if c["interval"][0] >= r.threshold else "unsupported")
    assert r.value == min(c["value"] for c in r.details["conditions"].values() if c["interval"][0] == r.interval[0])
    # the table by ε: at the registered ε it is the judged condition itself; over the curve it is reported
    for depth, name in ((1, "depth-1"), (2, "depth-2")):
        table, c = r.details[f"by epsilon depth {depth}"], r.details["conditions"][name]
        assert set(table) == {f"{e:g}" for e in nh.BROAD_CURVE}
        assert table[f"{nh.BROAD_EPS:g}"] == {k: c[k] for k in ("value", "interval", "status")}
        assert {row["status"] for row in table.values()} <= {"supported", "unsupported"}


def test_broadness_default_seed_is_the_confirmatory_range():
    claim = get_claim("hessian.information-loss-broadness")
    r = nh.check_information_loss_broadness(networks=4)
    lo, hi = claim.preregistered.confirmatory_seeds
    assert r.details["run"] == "confirmatory" and lo <= r.details["seeds"][0] <= r.details["seeds"][1] <= hi
    assert claim.preregistered.seen_before and claim.preregistered.sample_size
    other = nh.check_information_loss_broadness(networks=4, seed=1)
    assert other.details["run"] == "exploratory" and other.details["seeds"][0] > hi
    assert "exploratory" in r.details  # the values seen before, shown beside


def test_broadness_control_moves_with_its_inputs():
    """Issue 25 rule 3: the control is computed by the same pipeline and is no constant of the design — other
    networks give other per-network values, and they vary within a run."""
    def moves(x, y):
        return x != y and len(set(x) | set(y)) > 1

    a = nh.check_information_loss_broadness(networks=4).control["per_network"]
    b = nh.check_information_loss_broadness(networks=4, seed=1).control["per_network"]
    assert set(a) == {"depth-1", "depth-2"} and all(moves(a[k], b[k]) for k in a)
    assert not moves([0.0] * 27, [0.0] * 27)  # a control that is a constant of the design fails this test


# --- searches (moved from test_searches.py) ------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.search
def test_basis_change_planted_sat_and_unsat():
    """hessian.layer-orthogonal-basis: with denominators 5 an eigenbasis change that alters the outputs
    exists (3-4-5 rotation); with denominators 2 the only rational orthogonal matrices are signed
    permutations, which the search excludes, so it must be UNSAT."""
    r = search_basis_change()
    assert r.status == "found" and r.rechecked
    bad = dict(r.witness, w2=[[0], [0]])  # zero output weights: both networks output 0, re-check must fail
    assert not recheck_basis_change(bad)
    assert search_basis_change(denominator=2).status == "none"
    assert search_basis_change(timeout=0.05, points=3).status == "unknown"  # far from settled in 50 ms


@pytest.mark.search
def test_residual_at_optimum_planted_sat_and_recheck():
    r = search_residual_at_optimum()
    assert r.status == "found" and r.rechecked
    assert not recheck_residual_at_optimum(dict(r.witness, a=0))  # f'' = 0: the second term vanishes
    assert not recheck_residual_at_optimum(dict(r.witness, theta=r.witness["theta"] + 1))  # not stationary


# --- symbolic: the general-size rank argument and its supplements ---------------------------------------------

def test_zero_eigs_proof_general_and_supplements_labelled():
    p = ph.prove_zero_eigs_feature_rank()
    assert p.outcome == "proved" and p.general
    supplements = [s for s in p.steps if s.description.startswith("explicit supplement")]
    assert len(supplements) == len(ph.RANK_SUPPLEMENTS) and all(s.holds for s in supplements)
    assert "matrix symbols" in p.generality


def test_rank_supplement_fails_with_a_vanishing_curvature():
    """Negative control for the supplements: Λ with zeros (ℓ'' = 0 at some points) breaks the count."""
    from nnclaims.proofs.record import Derivation

    d = Derivation("x", "s", [])
    ph._rank_supplement(d, {**ph.RANK_SUPPLEMENTS[1], "lam": (1, 0, 0)})
    assert not d.steps[-1].holds


@pytest.mark.slow
def test_hessian_proofs_use_no_separately_typed_equalities():
    """Every derivation step is a chain step, a substitution of a hypothesis, a computed fact or a refutation."""
    for name in [n for n in ph.__all__ if n.startswith("prove_")]:
        for s in getattr(ph, name)().steps:
            assert s.role in ("derives", "assumes", "fact", "refutes")
            assert s.holds, (name, s.description)


def test_quartic_loss_is_an_optimum_of_the_fitted_networks():
    """The as-stated evidence of the Gram claims: the fitted networks are perfect fits, hence minima of the
    quartic loss too, whose Hessian there is ≈ 0."""
    arch = nh.arch_for(1)
    z = nh.optimum_zoo(K, "cpu", 0, arch)
    Hq = vmap(torch.func.hessian(lambda t, x, y: nh.quartic_loss(t, x, y, arch)))(z["theta"], z["X"], z["Y"])
    H = nh.oracle_hessian(z["theta"], z["X"], z["Y"], arch)
    assert (nh._fro(Hq) <= 1e-20 * nh._fro(H)).all()


def test_arch_rejects_bad_sizes_and_activations():
    with pytest.raises(ValueError):
        Arch(d=0)
    with pytest.raises(ValueError):
        Arch(d=2, activation="swish")
