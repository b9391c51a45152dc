"""Numeric layer: tolerances, the vmapped zoo against a per-network loop, negative controls, GPU."""

import pytest
import torch

from nnclaims.numeric.permutation import check_forward_invariance, check_orthogonal_commutes
from nnclaims.numeric.tolerance import rel_err, tolerance
from nnclaims.numeric.zoo import ZooSpec, forward, init_zoo, perm_matrices, permute_params, random_permutations, train_zoo


pytestmark = pytest.mark.numeric

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def test_tolerance_scales_with_size_and_dtype():
    assert tolerance(torch.float64, 10) == 8 * 10 * torch.finfo(torch.float64).eps
    assert tolerance(torch.float32, 1) > tolerance(torch.float64, 1000)


def test_perm_matrices_permute_columns():
    perms = torch.tensor([[2, 0, 1]])
    P = perm_matrices(perms)
    A = torch.arange(9, dtype=torch.float64).reshape(1, 3, 3)
    assert torch.equal((A @ P)[0], A[0][:, [2, 0, 1]])


def test_train_zoo_vmap_matches_loop():
    spec = ZooSpec(steps=5)
    params, X, Y = init_zoo(3, spec, 0, "cpu", dtype=torch.float64)
    together = train_zoo(params, X, Y, spec)
    for k in range(3):
        one = train_zoo({n: v[k : k + 1] for n, v in params.items()}, X[k : k + 1], Y[k : k + 1], spec)
        for n in params:
            assert torch.allclose(one[n][0], together[n][k], rtol=0, atol=tolerance(torch.float64, 64))


def test_forward_invariance_negative_control():
    """Permuting W1 and b1 but not W2 must change the outputs (by far more than the tolerance)."""
    spec = ZooSpec()
    params, X, _ = init_zoo(4, spec, 0, "cpu", dtype=torch.float64)
    P = perm_matrices(random_permutations(4, spec.h, 0, "cpu"))
    broken = dict(permute_params(params, P), W2=params["W2"])
    o = torch.func.vmap(forward)(params, X)
    assert (rel_err(torch.func.vmap(forward)(broken, X), o) > 1e-3).all()


def test_orthogonal_commutes_is_violated_numerically():
    r = check_orthogonal_commutes(networks=4)
    assert r.status == "violated" and r.value > 1e-3


@pytest.mark.gpu
@requires_cuda
def test_forward_invariance_on_cuda_matches_cpu():
    g, c = check_forward_invariance(networks=64, device="cuda"), check_forward_invariance(networks=64, device="cpu")
    assert g.status == c.status == "consistent"


def test_hessian_oracle_matches_closed_form_quadratic():
    """torch.func.hessian of ½‖Aθ − y‖² is AᵀA exactly (the oracle the Hessian checks rely on)."""
    from torch.func import hessian

    g = torch.Generator().manual_seed(0)
    A = torch.randn(6, 4, generator=g, dtype=torch.float64)
    y = torch.randn(6, generator=g, dtype=torch.float64)
    H = hessian(lambda t: 0.5 * ((A @ t - y) ** 2).sum())(torch.zeros(4, dtype=torch.float64))
    assert torch.allclose(H, A.T @ A, rtol=0, atol=tolerance(torch.float64, 6))


def test_zero_count_uses_weyl_threshold():
    from nnclaims.numeric.hessian import _zero_count

    J = torch.tensor([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]], dtype=torch.float64)  # rank 1, P = 3
    H = J.transpose(1, 2) @ J
    R = torch.zeros_like(H)
    zH, expect = _zero_count(H, J, R)
    assert int(zH) == 2 and int(expect) == 2
    # a residual of norm 1e-3 perturbs the zero eigenvalues; the Weyl threshold still counts them
    R = 1e-3 * torch.eye(3, dtype=torch.float64)[None]
    zH, _ = _zero_count(H + R, J, R)
    assert int(zH) == 2


def test_hessian_precondition_unmet_is_error_not_pass():
    from nnclaims.numeric.tolerance import identity_result

    r = identity_result("x", torch.zeros(0), 1e-3, 0, "cpu", "stat")
    assert r.status == "error"


def test_vmapped_curvature_matches_autograd_tape_oracle():
    """The vmapped forward-over-reverse curvature (numeric.hessian.curvature) against an independent oracle:
    per network, torch.autograd.functional (tape-based reverse-over-reverse) Hessian of the loss, Jacobian of
    the outputs and Hessians of each output, float64, at the initial and the trained parameters."""
    from torch.autograd.functional import hessian as tape_hessian
    from torch.autograd.functional import jacobian as tape_jacobian

    from nnclaims.numeric.hessian import SPEC, curvature, mse, net, trained_flat_zoo

    th0, th1, X, Y = trained_flat_zoo(2, "cpu", 0)
    tol = tolerance(torch.float64, SPEC.P * SPEC.n)
    for th, k in ((th0, 0), (th0, 1), (th1, 0), (th1, 1)):  # initial (large residuals) and trained
        H, J, R, _ = curvature(th, X, Y, SPEC)
        Hk = tape_hessian(lambda t: mse(t, X[k], Y[k], SPEC), th[k])
        Jk = tape_jacobian(lambda t: net(t, X[k], SPEC).reshape(-1), th[k])
        r = (net(th[k], X[k], SPEC) - Y[k]).reshape(-1)
        Rk = sum(r[i] * tape_hessian(lambda t: net(t, X[k], SPEC).reshape(-1)[i], th[k]) for i in range(r.numel()))
        for ours, oracle in ((H[k], Hk), (J[k], Jk)):
            assert float(rel_err(ours[None], oracle[None])) <= tol
        # at interpolation R is a sum of tiny residuals times ∇²f: measure its error on the scale of H
        assert float((R[k] - Rk).abs().max() / Hk.abs().max()) <= tol
