"""Curvature at any depth (numeric/curvature.py): the matrix-free products and the dense matrices built from them
against two independent oracles in float64 — ``torch.func.hessian`` and curvlinops (curvlinops-for-pytorch 3.x,
installed with --no-deps, see .ci/run) — plus Lanczos, the memory budget, Singh et al.'s rank formulas and the
Hessian summary that ``measure --hessian`` reports."""

import numpy as np
import pytest
import torch
from torch.func import hessian, vmap

from nnclaims.numeric import curvature as C
from nnclaims.numeric.curvature_summary import hessian_section, hessian_summary
from nnclaims.numeric.hessian_rank import measured_ranks, rank_table, singh_ranks
from nnclaims.numeric.tolerance import tolerance

curvlinops = pytest.importorskip("curvlinops", reason="curvlinops-for-pytorch is the oracle (pip install --no-deps)")

F64 = torch.float64

# ---- cases: data, expanded into parametrized tests (ids name the architecture) ---------------------------------
CASES = [
    dict(d=3, widths=(), q=2, activation="identity", bias=True, loss="mse"),
    dict(d=3, widths=(4,), q=1, activation="tanh", bias=True, loss="mse"),
    dict(d=3, widths=(4, 3), q=2, activation="relu", bias=False, loss="mse"),
    dict(d=2, widths=(3, 3, 3), q=3, activation="gelu", bias=True, loss="xent"),
    dict(d=3, widths=(3, 2, 3, 2), q=2, activation="sigmoid", bias=(True, False, True, False, True), loss="mse"),
    dict(d=3, widths=(4, 4), q=3, activation="identity", bias=False, loss="xent"),
    dict(d=4, widths=(5, 3, 4), q=3, activation="tanh", bias=True, loss="xent"),
]


def _id(c):
    bias = "b" if c["bias"] is True else ("nob" if c["bias"] is False else "mixb")
    return f"{c['d']}-{'-'.join(map(str, c['widths']))}-{c['q']}-{c['activation']}-{bias}-{c['loss']}"


def _setup(case, seed=0, n=6):
    arch = C.Arch(d=case["d"], widths=case["widths"], q=case["q"], activation=case["activation"], bias=case["bias"])
    g = torch.Generator().manual_seed(seed)
    theta = C.init_theta(arch, 1, g)[0]
    X = torch.randn(n, arch.d, generator=g, dtype=F64)
    Y = torch.randn(n, arch.q, generator=g, dtype=F64) if case["loss"] == "mse" else torch.randint(0, arch.q, (n,), generator=g)
    return arch, theta, X, Y


def _curvlinops(arch, theta, X, Y, kind):
    """H and GGN from curvlinops in the module's parameter order, on our loss's scale (MSELoss(sum) = 2·½Σ)."""
    model = C.to_sequential(theta, arch)
    params = list(model.parameters())
    lf = torch.nn.MSELoss(reduction="sum") if kind == "mse" else torch.nn.CrossEntropyLoss(reduction="sum")
    scale = 0.5 if kind == "mse" else 1.0
    I = torch.eye(arch.P, dtype=F64)
    H = scale * (curvlinops.HessianLinearOperator(model, lf, params, [(X, Y)]) @ I)
    G = scale * (curvlinops.GGNLinearOperator(model, lf, params, [(X, Y)]) @ I)
    return H, G


def _close(a, b, size):
    """max |a − b| within tol(size) of max |b| (or of 1 when b vanishes)."""
    scale = max(float(b.abs().max()), 1.0 if float(b.abs().max()) == 0 else 0.0)
    return float((a - b).abs().max()) <= tolerance(F64, size) * scale


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_dense_curvature_matches_torch_func_hessian(case):
    arch, theta, X, Y = _setup(case)
    d = C.dense(theta, X, Y, arch, case["loss"])
    H = hessian(lambda t: C.loss(t, X, Y, arch, case["loss"]))(theta)
    assert _close(d["H"], H, X.shape[0] * arch.q * arch.P)
    assert _close(d["G"] + d["R"], H, X.shape[0] * arch.q * arch.P)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_dense_curvature_matches_curvlinops(case):
    arch, theta, X, Y = _setup(case)
    d = C.dense(theta, X, Y, arch, case["loss"])
    Hc, Gc = _curvlinops(arch, theta, X, Y, case["loss"])
    idx = C.sequential_order(arch)
    perm = lambda M: M[idx][:, idx]  # noqa: E731
    size = X.shape[0] * arch.q * arch.P
    assert _close(perm(d["H"]), Hc, size)
    assert _close(perm(d["G"]), Gc, size)
    assert _close(perm(d["R"]), Hc - Gc, size)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_residual_term_is_gradient_weighted_output_hessians(case):
    """R = Σ_x Σ_c g_xc ∇²f_c(x) with the per-output Hessians from torch.func.hessian (tiny nets only: this is the
    n·q·P·P tensor the products avoid)."""
    arch, theta, X, Y = _setup(case, n=3)
    F = C.forward(theta, X, arch)
    g = C.output_gradient(F, Y, case["loss"])
    Hf = hessian(lambda t: C.forward(t, X, arch))(theta)  # (n, q, P, P)
    R = torch.einsum("nc,ncab->ab", g, Hf)
    assert _close(C.dense(theta, X, Y, arch, case["loss"])["R"], R, 3 * arch.q * arch.P)


def test_dense_negative_control_wrong_loss_hessian():
    """The comparison can fail: the GGN with the identity as cross-entropy's loss Hessian differs from curvlinops."""
    case = CASES[3]
    arch, theta, X, Y = _setup(case)
    Hc, Gc = _curvlinops(arch, theta, X, Y, "xent")
    d = C.dense(theta, X, Y, arch, "mse", parts=("J",))  # JᵀJ: the squared-error Gauss–Newton term
    idx = C.sequential_order(arch)
    assert not _close((d["J"].T @ d["J"])[idx][:, idx], Gc, X.shape[0] * arch.q * arch.P)


def test_products_match_curvlinops_matrix_free():
    """Matrix-free products on random vectors, P in the thousands, without forming any matrix."""
    arch = C.Arch(d=20, widths=(40, 30), q=5, activation="tanh")
    g = torch.Generator().manual_seed(3)
    theta = C.init_theta(arch, 1, g)[0]
    X = torch.randn(32, arch.d, generator=g, dtype=F64)
    Y = torch.randint(0, arch.q, (32,), generator=g)
    model = C.to_sequential(theta, arch)
    params = list(model.parameters())
    lf = torch.nn.CrossEntropyLoss(reduction="sum")
    Hop = curvlinops.HessianLinearOperator(model, lf, params, [(X, Y)])
    Gop = curvlinops.GGNLinearOperator(model, lf, params, [(X, Y)])
    idx = C.sequential_order(arch)
    V = torch.randn(arch.P, 3, generator=g, dtype=F64)
    for prod, op in ((C.hvp, Hop), (C.ggn_vp, Gop)):
        ours = vmap(lambda v: prod(theta, v, X, Y, arch, "xent"), in_dims=1, out_dims=1)(V)
        theirs = op @ V[idx]
        assert float((ours[idx] - theirs).abs().max()) <= tolerance(F64, 32 * arch.P) * float(theirs.abs().max())


def test_products_vmap_over_networks_match_one_at_a_time():
    arch = C.Arch(d=3, widths=(4, 4), q=2, activation="tanh")
    g = torch.Generator().manual_seed(4)
    theta = C.init_theta(arch, 3, g)
    X, Y = torch.randn(3, 5, 3, generator=g, dtype=F64), torch.randn(3, 5, 2, generator=g, dtype=F64)
    V = torch.randn(3, arch.P, generator=g, dtype=F64)
    for prod in (C.hvp, C.ggn_vp, C.residual_vp):
        together = vmap(lambda t, v, x, y: prod(t, v, x, y, arch))(theta, V, X, Y)
        for k in range(3):
            assert torch.allclose(together[k], prod(theta[k], V[k], X[k], Y[k], arch), rtol=0, atol=1e-13)


# ---- Lanczos --------------------------------------------------------------------------------------------------

def test_lanczos_top_eigenvalues_match_eigvalsh():
    arch, theta, X, Y = _setup(CASES[6], n=10)
    H = C.dense(theta, X, Y, arch, "xent", parts=("H",))["H"]
    out = C.lanczos(lambda v: C.hvp(theta, v, X, Y, arch, "xent"), arch.P, k=4, steps=40)
    ev = torch.linalg.eigvalsh(H).flip(0)[:4]
    assert np.allclose(out["top"], ev.tolist(), rtol=0, atol=1e-10 * float(ev.abs().max()))


def test_lanczos_complete_spectrum_keeps_multiplicities():
    """With steps = P and restarts on breakdown, Lanczos returns every eigenvalue, repeated ones included."""
    A = torch.diag(torch.tensor([3.0, 3.0, 3.0, 1.0, 0.0, 0.0, -2.0], dtype=F64))
    Q = torch.linalg.qr(torch.randn(7, 7, generator=torch.Generator().manual_seed(0), dtype=F64))[0]
    A = Q @ A @ Q.T
    out = C.lanczos(lambda v: A @ v, 7, k=7, steps=7)
    assert out["complete"] and np.allclose(sorted(out["ritz"].tolist()), [-2, 0, 0, 1, 3, 3, 3], atol=1e-12)
    assert C.numerical_rank(out["ritz"], 7) == 5


@pytest.mark.slow
def test_lanczos_matches_scipy_eigsh_on_curvlinops_operator():
    from scipy.sparse.linalg import eigsh

    arch = C.Arch(d=10, widths=(20, 20), q=3, activation="relu")
    g = torch.Generator().manual_seed(5)
    theta = C.init_theta(arch, 1, g)[0]
    X, Y = torch.randn(40, 10, generator=g, dtype=F64), torch.randn(40, 3, generator=g, dtype=F64)
    model = C.to_sequential(theta, arch)
    op = 0.5 * curvlinops.HessianLinearOperator(model, torch.nn.MSELoss(reduction="sum"), list(model.parameters()),
                                                [(X, Y)])
    ref = np.sort(eigsh(op.to_scipy(), k=3, which="LA", return_eigenvectors=False))[::-1]
    ours = C.lanczos(lambda v: C.hvp(theta, v, X, Y, arch), arch.P, k=3, steps=80)["top"]
    assert np.allclose(ours, ref, rtol=1e-8)


# ---- memory budget --------------------------------------------------------------------------------------------

def test_dense_refuses_over_budget_and_never_needs_nqPP():
    arch = C.Arch(d=8, widths=(30, 30), q=3)
    g = torch.Generator().manual_seed(0)
    theta, X = C.init_theta(arch, 1, g)[0], torch.randn(16, 8, generator=g, dtype=F64)
    with pytest.raises(C.MemoryBudgetError):
        C.dense(theta, X, torch.zeros(16, 3, dtype=F64), arch, budget=10_000)
    # P ≈ 2,000, n = 256, q = 3: an n·q·P·P tensor would be ~25 GB; the dense matrices fit 2 GiB
    big = C.Arch(d=20, widths=(40, 25), q=3)
    assert 1_900 <= big.P <= 2_100
    assert 256 * 3 * big.P ** 2 * 8 > 20e9
    chunk = C.dense_chunk(big.P, 256, big)
    assert chunk >= 1 and C.dense_bytes(big.P, 256, big, chunk=chunk) <= C.DENSE_BUDGET


def test_dense_chunked_equals_unchunked():
    arch, theta, X, Y = _setup(CASES[1])
    one = C.dense(theta, X, Y, arch, budget=C.dense_bytes(arch.P, X.shape[0], arch, chunk=1))
    all_ = C.dense(theta, X, Y, arch)
    assert all(torch.allclose(one[k], all_[k], rtol=0, atol=1e-14) for k in one)


# ---- Singh, Bachmann & Hofmann (2021): deep linear networks ------------------------------------------------------

SHAPES = [(4, (3,), 2), (5, (4, 6), 3), (6, (2, 5), 4), (3, (5, 5, 5), 2), (8, (3,), 5), (5, (6, 4, 3), 6),
          (10, (4, 4), 3), (2, (6,), 4), (7, (3, 8), 2), (4, (4, 4, 4, 4), 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}-{'-'.join(map(str, s[1]))}-{s[2]}")
def test_singh_closed_forms_hold_for_deep_linear_networks(shape):
    d, widths, k = shape
    arch = C.Arch(d=d, widths=widths, q=k, activation="identity", bias=False)
    m = measured_ranks(arch, n=max(3 * d, 12))
    f = singh_ranks(d, widths, k, m["r"])
    assert (m["outer"], m["functional"], m["hessian"]) == (f["outer"], f["functional"], f["hessian"])


def test_singh_closed_forms_with_rank_deficient_data():
    """n < d: the data rank r = n enters the formulas."""
    for d, widths, k, n in ((10, (4, 3), 3, 5), (8, (6,), 2, 3)):
        arch = C.Arch(d=d, widths=widths, q=k, activation="identity", bias=False)
        m = measured_ranks(arch, n=n)
        assert m["r"] == n
        f = singh_ranks(d, widths, k, n)
        assert (m["outer"], m["functional"], m["hessian"]) == (f["outer"], f["functional"], f["hessian"])


def test_singh_formula_negative_control_relu_departs():
    """The linear forms are not a property of every network: ReLU's outer-product rank exceeds them."""
    rows = rank_table(SHAPES[:4], activations=("relu",))
    assert all(r["outer_measured"] >= r["outer_formula"] for r in rows)
    assert any(r["outer_measured"] > r["outer_formula"] for r in rows)


@pytest.mark.parametrize("depth", (1, 2, 3, 4))
def test_zero_eigs_at_interpolation_deep_linear_equal_P_minus_outer_rank(depth):
    """hessian.zero-eigs-feature-rank on deep linear nets at interpolation: #zero eigenvalues = P − rank J =
    P − q(r + k − q) (Singh et al.'s outer-product rank)."""
    from nnclaims.numeric.hessian import zero_count

    arch = C.Arch(d=4, widths=(3,) * depth, q=2, activation="identity", bias=False)
    n = 6
    g = torch.Generator().manual_seed(depth)
    X = torch.randn(2, n, 4, generator=g, dtype=F64)
    Y = vmap(lambda t, x: C.forward(t, x, arch))(C.init_theta(arch, 2, g), X)
    theta = C.fit_to_interpolation(C.init_theta(arch, 2, g), X, Y, arch, iterations=100)
    assert float((vmap(lambda t, x: C.forward(t, x, arch))(theta, X) - Y).abs().max()) < 1e-12
    H = vmap(hessian(lambda t, x, y: C.loss(t, x, y, arch)))(theta, X, Y)
    J = vmap(lambda t, x: C.jacobian(t, x, arch))(theta, X)
    c = zero_count(H, J)
    f = singh_ranks(4, (3,) * depth, 2, 4)
    assert (c["zeros"] == arch.P - f["outer"]).all() and (c["expected"] == arch.P - f["outer"]).all()


# ---- the Hessian summary (measure --hessian) --------------------------------------------------------------------

def _independent_summary(Ws, bs, act, X, Y, kind):
    """An independent float64 computation: torch.nn.Sequential + torch.autograd.functional.hessian on its own
    parameter vector, eigenvalues by numpy."""
    from torch.autograd.functional import hessian as tape_hessian
    from torch.func import functional_call

    layers = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(W)
            if b is not None:
                lin.bias.copy_(b)
        layers.append(lin)
        if i < len(Ws) - 1:
            layers.append(C.MODULES[act]())
    model = torch.nn.Sequential(*layers)
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def f_of(v):
        ps, i = {}, 0
        for nm, sh in zip(names, shapes):
            ps[nm] = v[i:i + sh.numel()].reshape(sh)
            i += sh.numel()
        return functional_call(model, ps, (X,))

    def L(v):
        F = f_of(v)
        if kind == "mse":
            return 0.5 * ((F - Y) ** 2).sum() / F.shape[0]  # the mean loss, measure's convention
        return torch.nn.functional.cross_entropy(F, Y, reduction="mean")

    H = tape_hessian(L, flat).numpy()
    Jm = torch.autograd.functional.jacobian(lambda v: f_of(v).reshape(-1), flat)
    F = f_of(flat).detach()
    if kind == "mse":
        Lam = torch.eye(F.numel(), dtype=F64)
    else:
        p = torch.softmax(F, -1)
        Lam = torch.block_diag(*[torch.diag(pi) - torch.outer(pi, pi) for pi in p])
    G = (Jm.T @ Lam @ Jm).numpy() / F.shape[0]
    evH, evG, evR = (np.linalg.eigvalsh(M) for M in (H, G, H - G))
    P = H.shape[0]
    rank = lambda ev: int((np.abs(ev) > P * np.finfo(float).eps * np.abs(ev).max()).sum())  # noqa: E731
    return {"rank": rank(evH), "gauss_newton_rank": rank(evG), "top": evH[::-1], "trace": float(np.trace(H)),
            "residual_norm": float(np.abs(evR).max()), "scale": float(np.abs(evH).max())}


SUMMARY_CASES = [
    dict(widths=(6, 5), act="tanh", bias=(True, True, True), kind="mse"),
    dict(widths=(8,), act="relu", bias=(True, False), kind="xent"),
    dict(widths=(4, 4, 4), act="identity", bias=(False, False, False, False), kind="mse"),
    dict(widths=(5, 3), act="gelu", bias=(False, True, True), kind="xent"),
]


@pytest.mark.parametrize("case", SUMMARY_CASES, ids=lambda c: f"{c['act']}-{len(c['widths'])}-{c['kind']}")
def test_hessian_summary_reproduces_independent_float64_computation(case):
    g = torch.Generator().manual_seed(7)
    dims = (4,) + case["widths"] + (3,)
    Ws = [torch.randn(b, a, generator=g, dtype=F64) / a ** 0.5 for a, b in zip(dims[:-1], dims[1:])]
    bs = [torch.randn(b, generator=g, dtype=F64) * 0.1 if has else None for b, has in zip(dims[1:], case["bias"])]
    X = torch.randn(9, 4, generator=g, dtype=F64)
    Y = torch.randn(9, 3, generator=g, dtype=F64) if case["kind"] == "mse" else torch.randint(0, 3, (9,), generator=g)
    ours = hessian_summary(Ws, bs, case["act"], X, Y, top_k=4)
    ref = _independent_summary(Ws, bs, case["act"], X, Y, case["kind"])
    tol = tolerance(F64, 9 * 3 * len(ref["top"])) * ref["scale"]
    assert ours["method"] == "dense" and ours["loss"] == case["kind"]
    assert ours["rank"] == ref["rank"] and ours["gauss_newton_rank"] == ref["gauss_newton_rank"]
    assert np.allclose(ours["top_eigenvalues"], ref["top"][:4], rtol=0, atol=tol)
    assert abs(ours["trace"] - ref["trace"]) <= tol * len(ref["top"])
    assert abs(ours["residual_norm"] - ref["residual_norm"]) <= tol
    # the measure hook's calling convention: stacked tensors with a leading axis of size 1
    stacked = hessian_section([W[None] for W in Ws], [None if b is None else b[None] for b in bs], X[None], Y[None],
                              case["act"])
    assert stacked["top_eigenvalues"][:4] == ours["top_eigenvalues"] and stacked["rank"] == ours["rank"]


def test_hessian_summary_negative_control_other_weights_differ():
    g = torch.Generator().manual_seed(8)
    Ws = [torch.randn(5, 4, generator=g, dtype=F64), torch.randn(2, 5, generator=g, dtype=F64)]
    X, Y = torch.randn(7, 4, generator=g, dtype=F64), torch.randn(7, 2, generator=g, dtype=F64)
    a = hessian_summary(Ws, None, "tanh", X, Y)
    b = hessian_summary([Ws[0] * 1.5, Ws[1]], None, "tanh", X, Y)
    assert abs(a["trace"] - b["trace"]) > 1e-3 * abs(a["trace"])


def test_hessian_summary_matrix_free_agrees_with_dense():
    g = torch.Generator().manual_seed(9)
    Ws = [torch.randn(6, 3, generator=g, dtype=F64) / 3 ** 0.5, torch.randn(2, 6, generator=g, dtype=F64) / 6 ** 0.5]
    bs = [torch.zeros(6, dtype=F64), None]
    X, Y = torch.randn(10, 3, generator=g, dtype=F64), torch.randn(10, 2, generator=g, dtype=F64)
    exact = hessian_summary(Ws, bs, "tanh", X, Y, top_k=3)
    P = exact["parameters"]
    assert exact["method"] == "dense" and exact["exact"] is True and exact["rank_method"].startswith("dense")
    # a budget below H + its eigvalsh copy (2·P²·8 bytes) but above the 20 × 20 Gram matrix of J
    budget = 2 * P * P * 8 - 1
    free = hessian_summary(Ws, bs, "tanh", X, Y, top_k=3, budget=budget, lanczos_steps=P, hutchinson_samples=100)
    assert free["method"] == "matrix-free" and free["exact"] is False and free["rank"] is None
    assert free["gauss_newton_rank"] == exact["gauss_newton_rank"] and "20 × 20" in free["gauss_newton_rank_method"]
    lo, hi = free["rank_interval"]
    assert lo == exact["rank"] <= hi <= P  # steps = P: the whole spectrum, every Ritz value certified
    assert np.allclose(free["top_eigenvalues"], exact["top_eigenvalues"], rtol=1e-9)
    assert abs(free["residual_norm"] - exact["residual_norm"]) <= 1e-9 * exact["residual_norm"]
    assert abs(free["trace"] - exact["trace"]) <= 5 * free["trace_stderr"]
    short = hessian_summary(Ws, bs, "tanh", X, Y, top_k=3, budget=budget, lanczos_steps=10, hutchinson_samples=4)
    lo, hi = short["rank_interval"]
    assert lo <= exact["rank"] <= hi and lo <= 10
    assert short["lower_limited_by_steps"] == (lo == 10)
    # control: nothing fits (not even the Gram matrix): no Gauss–Newton rank is claimed
    none = hessian_summary(Ws, bs, "tanh", X, Y, top_k=3, budget=1, lanczos_steps=10, hutchinson_samples=4)
    assert none["gauss_newton_rank"] is None and none["gauss_newton_rank_method"].startswith("not computed")


def _svd_rank(M):
    s = torch.linalg.svdvals(M)
    return int((s > max(M.shape) * torch.finfo(F64).eps * s.max()).sum())


@pytest.mark.parametrize("kind", ["mse", "xent"])
def test_gauss_newton_rank_from_gram_equals_dense_svd_rank(kind):
    """The Gram route's Gauss–Newton rank against the rank of the dense G (its SVD) on nets small enough for both:
    a deep linear net (rank q(r + k − q) for squared error, far below P) and a tanh net (higher): the two
    methods agree on each, and the two ranks differ (the control: the comparison can tell them apart)."""
    ranks = []
    for act in ("identity", "tanh"):
        arch = C.Arch(d=4, widths=(5, 5), q=3, activation=act, bias=False)
        g = torch.Generator().manual_seed(3)
        theta = C.init_theta(arch, 1, g)[0]
        X = torch.randn(15, 4, generator=g, dtype=F64)
        Y = torch.randn(15, 3, generator=g, dtype=F64) if kind == "mse" else torch.randint(0, 3, (15,), generator=g)
        G = C.dense(theta, X, Y, arch, kind, parts=("G",))["G"]
        dense_rank = C.numerical_rank(torch.linalg.eigvalsh(G), arch.P)
        # room for the 45 × 45 Gram matrix, its eigvalsh copy and two data points' rows, not for the whole J̃
        tight = 2 * 45 * 45 * 8 + 2 * (3 * arch.P * 8 + C._jacobian_sample_bytes(arch, 8)) + 64
        for budget in (C.DENSE_BUDGET, tight):  # whole J̃ at once, and J̃ in blocks recomputed
            gn = C.gauss_newton_eigenvalues(theta, X, Y, arch, kind, budget=budget)
            assert gn["gram"] == "JJᵀ" and gn["size"] == 45
            assert C.numerical_rank(gn["eigenvalues"], arch.P) == dense_rank == _svd_rank(G)
        assert gn["blocks"] == 15
        ranks.append(dense_rank)
    assert ranks[0] < ranks[1]
    if kind == "mse":
        assert ranks[0] == singh_ranks(4, (5, 5), 3)["outer"]


def test_gauss_newton_gram_over_p_side_and_residual_in_place():
    """n·q > P: the Gram is G itself; with ``residual_of`` = H the pass leaves R = H − G (against the products)."""
    arch, theta, X, Y = _setup(CASES[1], n=30)  # P = 21 < n·q = 30
    d = C.dense(theta, X, Y, arch, parts=("H", "G", "R"))
    H = d["H"].clone()
    gn = C.gauss_newton_eigenvalues(theta, X, Y, arch, budget=C.DENSE_BUDGET, residual_of=H)
    assert gn["gram"] == "JᵀJ" and gn["size"] == arch.P
    assert torch.allclose(gn["eigenvalues"], torch.linalg.eigvalsh(d["G"]).flip(0), rtol=0, atol=1e-12)
    R = C.dense(theta, X, Y, arch, parts=("R",))["R"]  # by the residual products
    assert _close(H, R, 3 * arch.q * arch.P) and _close(d["R"], R, 3 * arch.q * arch.P)
    assert not _close(d["H"], R, 3 * arch.q * arch.P)  # control: H itself is not R


def test_hessian_summary_bad_shapes_are_value_errors():
    W = [torch.ones(3, 2, dtype=F64), torch.ones(1, 4, dtype=F64)]
    with pytest.raises(ValueError):
        hessian_summary(W, None, "relu", torch.ones(5, 2, dtype=F64), torch.ones(5, 1, dtype=F64))
    with pytest.raises(ValueError):
        hessian_summary(W[:1], None, "relu", torch.ones(5, 2, dtype=F64), torch.ones(4, 3, dtype=F64))
    with pytest.raises(ValueError):
        hessian_section(W[:1], None, torch.ones(1, 5, 2, dtype=F64), None, "relu")
