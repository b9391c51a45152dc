"""Numeric layer: tolerances, the vmapped zoo against a per-network loop, negative controls, GPU."""

import pytest
import torch

from nnclaims.numeric.tolerance import tolerance
from nnclaims.numeric.zoo import ZooSpec, init_zoo, perm_matrices, train_zoo


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




