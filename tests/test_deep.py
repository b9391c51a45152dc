"""The deep zoo: stacked training equals one-at-a-time training, the one-pass all-layer AGOP equals the
per-layer jacrev AGOP, the specs reject bad input, and the data sets are what they say."""

import dataclasses

import pytest
import torch
from torch.func import functional_call

from nnclaims.numeric.deep import (DeepSpec, all_layer_agop, build_mlp, init_deep_zoo, make_data, make_split_data,
                                   per_layer_agop_jacrev, train_deep_zoo, trained_deep_zoo)
from nnclaims.numeric.tolerance import rel_err, tolerance

pytestmark = pytest.mark.numeric

SPECS = [
    DeepSpec(widths=(6,), steps=5),
    DeepSpec(widths=(6, 5), activation="tanh", optimizer="adam", lr=0.01, weight_decay=1e-3, steps=5),
    DeepSpec(widths=(5, 4, 3, 4), activation="gelu", loss="xent", data="random-labels", momentum=0.9, steps=5),
    DeepSpec(d=64, q=10, n=20, widths=(8,), activation="sigmoid", bias=False, data="digits", loss="xent", steps=5),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{len(s.widths)}x{s.activation}-{s.optimizer}-{s.data}")
def test_stacked_training_equals_one_network_at_a_time(spec):
    """One optimizer over the stacked parameters is N independent optimizers (float64, 5 steps): each
    network trained alone from the same start on its own data ends at the same parameters."""
    base, p0 = init_deep_zoo(spec, 3, 0, "cpu", dtype=torch.float64)
    X, Y = make_data(spec, 3, 0)
    together, _ = train_deep_zoo(spec, base, p0, X, Y)
    tol = tolerance(torch.float64, spec.n * max(spec.widths + (spec.d,)) * spec.steps)
    for k in range(3):
        alone, _ = train_deep_zoo(spec, base, {n: v[k:k + 1] for n, v in p0.items()}, X[k:k + 1], Y[k:k + 1])
        for n in p0:
            assert float(rel_err(alone[n], together[n][k:k + 1])) <= tol, (k, n)


def test_stacked_forward_equals_the_module():
    spec = DeepSpec(widths=(7, 5))
    base, p = init_deep_zoo(spec, 2, 3, "cpu", dtype=torch.float64)
    X, _ = make_data(spec, 2, 3)
    with torch.random.fork_rng():
        torch.manual_seed(3 * 100003 + 1)
        module = build_mlp(spec).double()  # network 1 of the zoo, built on its own
    assert torch.equal(module(X[1]), functional_call(base, {n: v[1] for n, v in p.items()}, (X[1],)))


@pytest.mark.parametrize("spec", [DeepSpec(widths=(9, 7), steps=50), DeepSpec(widths=(6, 5, 4), activation="tanh",
                                                                                 steps=50)])
@pytest.mark.slow
def test_all_layer_agop_equals_per_layer_jacrev(spec):
    """AGOP_l = W_lᵀ G_l W_l from one pass equals the official per-layer vmap(jacrev), float64."""
    _, p1, X, _ = trained_deep_zoo(spec, 4, "cpu", 0)
    one_pass = all_layer_agop(spec, p1, X)["AGOP"]
    per_layer = per_layer_agop_jacrev(spec, p1, X)
    assert len(one_pass) == len(per_layer) == len(spec.widths)
    tol = tolerance(torch.float64, spec.n * max(spec.widths + (spec.d,)))
    for a, b in zip(one_pass, per_layer):
        assert float(rel_err(a, b).max()) <= tol


@pytest.mark.slow
def test_training_lowers_the_loss_and_is_seeded():
    spec = DeepSpec(widths=(16, 16), steps=100)
    a = trained_deep_zoo(spec, 4, "cpu", 1)
    b = trained_deep_zoo.__wrapped__(spec, 4, "cpu", 1)  # recomputed, not the cached copy
    assert bool((a[3]["after"] < a[3]["before"]).all())
    for n in a[1]:
        assert torch.equal(a[1][n], b[1][n])


def test_dropout_masks_differ_per_network():
    """With dropout and identical networks on identical data, the trained networks must differ
    (vmap randomness='different'); without dropout they stay identical."""
    for dropout, differ in ((0.5, True), (0.0, False)):
        spec = DeepSpec(widths=(8,), dropout=dropout, steps=3)
        base, p = init_deep_zoo(spec, 1, 0, "cpu", dtype=torch.float64)
        p = {n: v.expand(2, *v.shape[1:]).clone() for n, v in p.items()}
        X, Y = make_data(spec, 1, 0)
        out, _ = train_deep_zoo(spec, base, p, X.expand(2, -1, -1), Y.expand(2, -1, -1))
        assert (not torch.equal(out["0.weight"][0], out["0.weight"][1])) == differ


def test_digits_are_the_bundled_data_set():
    X, y = make_data(DeepSpec(d=64, q=10, n=100, data="digits", loss="xent"), 2, 0)
    assert X.shape == (2, 100, 64) and y.shape == (2, 100) and set(y.flatten().tolist()) <= set(range(10))
    assert abs(float(X.mean())) < 0.2  # standardised features


@pytest.mark.parametrize("kw,match", [
    (dict(widths=()), "1 to 4 hidden layers"), (dict(widths=(3,) * 5), "1 to 4 hidden layers"),
    (dict(activation="swish"), "activation"), (dict(data="mnist"), "data"), (dict(optimizer="lbfgs"), "optimizer"),
    (dict(data="digits"), "d=64"), (dict(dropout=1.0), "dropout"), (dict(d=0), "positive sizes"),
])
def test_spec_rejects_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        DeepSpec(**kw)


# --- training to a criterion, mini-batches, held-out data (the DNFA study) ---------------------------------------

CRIT = DeepSpec(widths=(8, 6), steps=400, lr=0.05, target=0.08, check_every=10)  # two of three networks reach it


@pytest.mark.slow
def test_criterion_training_takes_each_network_at_its_first_check():
    """Stacked criterion training equals training each network alone (float64): the same step, the same
    parameters; a met network's loss is within the target, steps is a multiple of check_every."""
    from nnclaims.numeric.deep import zero_predictor_loss

    base, p0 = init_deep_zoo(CRIT, 3, 0, "cpu", dtype=torch.float64)
    X, Y = make_data(CRIT, 3, 0)
    together, rec = train_deep_zoo(CRIT, base, p0, X, Y)
    assert rec["criterion_met"].any()
    goal = CRIT.target * zero_predictor_loss(CRIT, Y)
    met = rec["criterion_met"]
    assert (rec["after"][met] <= goal[met]).all() and (rec["steps"][met] % CRIT.check_every == 0).all()
    assert (rec["steps"][~met] == -1).all()
    for k in range(3):
        alone, r = train_deep_zoo(CRIT, base, {n: v[k:k + 1] for n, v in p0.items()}, X[k:k + 1], Y[k:k + 1])
        assert int(r["steps"][0]) == int(rec["steps"][k])
        for n in p0:
            assert float(rel_err(alone[n], together[n][k:k + 1])) <= tolerance(torch.float64, 10 ** 4)


def test_criterion_unreachable_returns_the_capped_run_marked_unmet():
    spec = DeepSpec(widths=(4,), steps=30, target=1e-9, check_every=10)
    base, p0 = init_deep_zoo(spec, 2, 0, "cpu", dtype=torch.float64)
    X, Y = make_data(spec, 2, 0)
    capped, rec = train_deep_zoo(spec, base, p0, X, Y)
    plain, _ = train_deep_zoo(dataclasses.replace(spec, target=0.0), base, p0, X, Y)
    assert not rec["criterion_met"].any() and (rec["steps"] == -1).all()
    assert all(torch.equal(capped[n], plain[n]) for n in p0)


@pytest.mark.slow
def test_minibatch_training_is_seeded_differs_from_full_batch_and_lowers_the_loss():
    spec = DeepSpec(widths=(8,), steps=60, n=32, batch_size=8)
    base, p0 = init_deep_zoo(spec, 2, 0, "cpu", dtype=torch.float64)
    X, Y = make_data(spec, 2, 0)
    a, ra = train_deep_zoo(spec, base, p0, X, Y, seed=1)
    b, _ = train_deep_zoo(spec, base, p0, X, Y, seed=1)
    full, _ = train_deep_zoo(dataclasses.replace(spec, batch_size=0), base, p0, X, Y)
    whole, _ = train_deep_zoo(dataclasses.replace(spec, batch_size=32), base, p0, X, Y)  # one batch = full batch
    assert all(torch.equal(a[n], b[n]) for n in p0)
    assert not torch.equal(a["0.weight"], full["0.weight"])
    assert all(torch.equal(whole[n], full[n]) for n in p0)
    assert (ra["after"] < ra["before"]).all()


@pytest.mark.parametrize("data, d, q", [("digits", 64, 10), ("breast-cancer", 30, 2)])
def test_split_data_is_disjoint_rows_of_the_bundled_set(data, d, q):
    spec = DeepSpec(d=d, q=q, n=40, n_test=30, data=data, loss="xent")
    X, y, Xt, yt = make_split_data(spec, 2, 0)
    assert X.shape == (2, 40, d) and Xt.shape == (2, 30, d) and yt.shape == (2, 30)
    for k in range(2):
        rows = {tuple(r) for r in X[k].tolist()}
        assert not rows & {tuple(r) for r in Xt[k].tolist()}


def test_split_data_teacher_shares_the_teacher():
    """The held-out targets come from the same teacher: a least-squares fit of tanh features on the training
    set (with the teacher's own first layer unknown) is not needed — the rank-1 teacher's targets lie on one line
    through the origin in output space for train and test alike."""
    spec = DeepSpec(d=6, q=2, n=50, n_test=50, teacher_rank=1)
    _, Y, _, Yt = make_split_data(spec, 1, 0)
    both = torch.cat([Y[0], Yt[0]])
    assert torch.linalg.matrix_rank(both, rtol=1e-10) == 1


@pytest.mark.parametrize("kw", [dict(batch_size=-1), dict(target=-0.1), dict(check_every=0), dict(n_test=-1),
                                dict(steps=0), dict(data="breast-cancer")])
def test_spec_rejects_bad_training_options(kw):
    with pytest.raises(ValueError):
        DeepSpec(**kw)


# --- inputs and loss normalisation (issue 26: the official code's scaling and nn.MSELoss) -------------------------

@pytest.mark.parametrize("kw,match", [
    (dict(inputs="scaled"), r"^inputs must be one of standardised, raw \(got 'scaled'\)$"),
    (dict(loss_norm="sum"), r"^loss_norm must be one of half-sum, mean \(got 'sum'\)$"),
    (dict(inputs="raw"), r"^inputs='raw' needs data with a raw scaling \(digits, mnist1d; got data='teacher'\)$"),
    (dict(d=30, q=2, data="breast-cancer", inputs="raw"), "needs data with a raw scaling"),
    (dict(loss="xent", loss_norm="mean"), r"^loss_norm='mean' applies to the MSE loss only \(got loss='xent'\)$"),
    (dict(data="mnist1d"), "d=40 inputs and q=10 classes"),
])
def test_spec_rejects_bad_inputs_and_loss_norm(kw, match):
    with pytest.raises(ValueError, match=match):
        DeepSpec(**kw)


def test_spec_accepts_the_official_settings():
    for data, d in (("digits", 64), ("mnist1d", 40)):
        s = DeepSpec(d=d, q=10, data=data, inputs="raw", loss_norm="mean")
        assert (s.inputs, s.loss_norm) == ("raw", "mean")
    assert (DeepSpec().inputs, DeepSpec().loss_norm) == ("standardised", "half-sum")


@pytest.mark.parametrize("q", [2, 3, 10])
def test_mean_loss_gradient_is_two_over_q_times_the_half_sum(q):
    r"""The docstring's factor, numerically (float64): :math:`\nabla L_m = \frac2q \nabla L_{hs}` for every
    parameter, so at q = 10 the official loss's gradient is 1/5 of ours and at q = 2 they are equal.  Negative
    controls: the factors 1/q (the ½ forgotten) and 1 (no difference) are rejected where they differ from 2/q."""
    from torch.func import grad, vmap

    from nnclaims.numeric.deep import _loss_fn, zero_predictor_loss

    half = DeepSpec(d=5, widths=(7, 6), q=q, n=30)
    mean = dataclasses.replace(half, loss_norm="mean")
    base, p = init_deep_zoo(half, 2, 1, "cpu", dtype=torch.float64)
    X, Y = make_data(half, 2, 1)
    g_half = vmap(grad(_loss_fn(half, base)))(p, X, Y)
    g_mean = vmap(grad(_loss_fn(mean, base)))(p, X, Y)
    # each gradient entry is a sum over n samples and q outputs of products through the layers
    tol = tolerance(torch.float64, half.n * q * max(half.widths + (half.d,)))

    def off(factor):
        return max(float(rel_err(g_mean[k], factor * g_half[k]).max()) for k in p)

    assert off(2 / q) <= tol
    for wrong in (1 / q, 1.0):
        if abs(wrong - 2 / q) > 1e-9:
            assert off(wrong) > 1e3 * tol, wrong
    # the zero predictor's loss carries the same factor, so the relative training criterion is unchanged
    assert torch.allclose(zero_predictor_loss(mean, Y), 2 / q * zero_predictor_loss(half, Y), rtol=tol, atol=0)
    assert not torch.allclose(zero_predictor_loss(mean, Y), zero_predictor_loss(half, Y), rtol=tol, atol=0) or q == 2
