"""``nnclaims measure --hessian`` on a user-saved ``nn.Sequential`` against an independent float64 computation:
the tape Hessian of the mean of ½|f − y|² over the module's own parameters, its eigenvalues, and the Gauss–Newton term
JᵀJ from the tape Jacobian (numpy for ranks)."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn
from torch.autograd.functional import hessian as tape_hessian
from torch.autograd.functional import jacobian as tape_jacobian
from torch.func import functional_call

from nnclaims.cli.app import main

pytestmark = pytest.mark.numeric


def _saved(tmp_path, act, seed=0, n=12):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 4), act(), nn.Linear(4, 2)).double()
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "net.safetensors")
    g = np.random.default_rng(seed)
    X, Y = g.standard_normal((n, 3)), g.standard_normal((n, 2))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y)
    return net, torch.tensor(X), torch.tensor(Y)


def _independent(net, X, Y):
    names = [k for k, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [p.numel() for _, p in net.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for _, p in net.named_parameters()])

    def unflat(t):
        return {n: c.reshape(s) for n, c, s in zip(names, torch.split(t, sizes), shapes)}

    f = lambda t: functional_call(net, unflat(t), (X,))  # noqa: E731
    n = X.shape[0]  # measure's convention: the mean loss over the samples
    H = tape_hessian(lambda t: 0.5 * ((f(t) - Y) ** 2).sum() / n, theta).numpy()
    J = tape_jacobian(lambda t: f(t).reshape(-1), theta).numpy()
    G = J.T @ J / n
    eig = np.linalg.eigvalsh(H)[::-1]
    return {"rank": np.linalg.matrix_rank(H, hermitian=True), "gauss_newton_rank": np.linalg.matrix_rank(G, hermitian=True),
            "top": eig[:5], "trace": np.trace(H), "residual_norm": np.linalg.norm(H - G, 2), "P": theta.numel()}


@pytest.mark.parametrize("act, name", [(nn.Tanh, "tanh"), (nn.ReLU, "relu"), (nn.Identity, "identity")])
def test_measure_hessian_matches_an_independent_computation(tmp_path, capsys, act, name):
    net, X, Y = _saved(tmp_path, act)
    code = main(["measure", str(tmp_path / "net.safetensors"), "--data", str(tmp_path / "X.npy"), "--targets",
                 str(tmp_path / "Y.npy"), "--activation", name, "--hessian", "--device", "cpu",
                 "--json", str(tmp_path / "m.json")])
    assert code == 0, capsys.readouterr().err
    h = json.loads((tmp_path / "m.json").read_text())["hessian"]
    ref = _independent(net, X, Y)
    scale = max(abs(ref["top"][0]), 1.0)
    tol = 8 * ref["P"] * np.finfo(np.float64).eps * scale  # the suite's rule: 8 · size · ε, on H's scale
    assert h["rank"] == ref["rank"] and h["gauss_newton_rank"] == ref["gauss_newton_rank"]
    assert np.allclose(h["top_eigenvalues"], ref["top"], rtol=0, atol=tol)
    assert abs(h["trace"] - ref["trace"]) <= tol * ref["P"]
    assert abs(h["residual_norm"] - ref["residual_norm"]) <= tol
    # negative control: the residual term of a network that is not at an optimum is far from 0
    assert ref["residual_norm"] > 1e3 * tol


def test_measure_hessian_control_wrong_targets_change_the_numbers(tmp_path, capsys):
    """Control: the same network with other targets must give another residual term (the section reads Y)."""
    _saved(tmp_path, nn.Tanh)
    out = []
    for k, Y in enumerate((np.load(tmp_path / "Y.npy"), np.zeros((12, 2)))):
        np.save(tmp_path / f"Y{k}.npy", Y)
        assert main(["measure", str(tmp_path / "net.safetensors"), "--data", str(tmp_path / "X.npy"), "--targets",
                     str(tmp_path / f"Y{k}.npy"), "--activation", "tanh", "--hessian", "--device", "cpu",
                     "--json", str(tmp_path / f"m{k}.json")]) == 0
        out.append(json.loads((tmp_path / f"m{k}.json").read_text())["hessian"]["residual_norm"])
    assert abs(out[0] - out[1]) > 1e-6


def test_measure_hessian_without_targets_is_one_line_exit_2(tmp_path, capsys):
    _saved(tmp_path, nn.Tanh)
    code = main(["measure", str(tmp_path / "net.safetensors"), "--data", str(tmp_path / "X.npy"), "--activation",
                 "tanh", "--hessian"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("nnclaims: error: --hessian needs --targets") and len(err.splitlines()) == 1
