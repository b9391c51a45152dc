"""``nnclaims measure`` against independent float64 computations on user-saved ``nn.Sequential`` models.

The oracle never touches the code under test: each layer's AGOP and G come from ``torch.func.vmap(jacrev)``
through the ``torch.nn.Sequential`` module itself (the network split at the layer), and every cosine, rank
and effective rank from numpy on those matrices.  Negative controls: unrelated weights and a sweep that
drops the activation's derivative must fail the same comparisons.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch.func import jacrev, vmap

from nnclaims.numeric.agop import agop_sweep, forward_layers
from nnclaims.numeric.measure import measure
from nnclaims.numeric.models import read_model
from nnclaims.numeric.tolerance import rel_err, tolerance
from nnclaims.cli.app import main

pytestmark = pytest.mark.numeric

MODULES = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU, "sigmoid": torch.nn.Sigmoid,
           "identity": torch.nn.Identity}
N_SAMPLES = 97  # not a multiple of any chunk size used below

# Cases are data: input width, hidden widths, outputs, activation, biases (one flag, or one per layer), dropout
# modules between layers (index gaps in the state_dict), key layout, seed.
CASES = {
    "relu-16-12-bias": dict(d=6, widths=(16, 12), q=3, act="relu", bias=True),
    "tanh-10-nobias": dict(d=5, widths=(10,), q=2, act="tanh", bias=False),
    "gelu-8-8-6-5-mixed-bias": dict(d=7, widths=(8, 8, 6, 5), q=4, act="gelu", bias=(True, False, True, False, True)),
    "sigmoid-9-7-dropout": dict(d=4, widths=(9, 7), q=1, act="sigmoid", bias=True, dropout=True),
    "identity-6-5": dict(d=6, widths=(6, 5), q=2, act="identity", bias=True),
    "relu-depth-6": dict(d=5, widths=(7, 6, 6, 5, 5, 4), q=2, act="relu", bias=True),
    "linear-only": dict(d=5, widths=(), q=3, act="relu", bias=True),
    "tanh-W1b1-layout": dict(d=5, widths=(8, 6), q=2, act="tanh", bias=(True, False, True), layout="plain"),
}


def build(case: dict, seed: int = 0) -> torch.nn.Sequential:
    """``Linear, σ, [Dropout], …, Linear`` with PyTorch's default initialisation (float32, as users save it)."""
    sizes = (case["d"],) + case["widths"] + (case["q"],)
    bias = case["bias"] if isinstance(case["bias"], tuple) else (case["bias"],) * (len(sizes) - 1)
    torch.manual_seed(seed)
    mods = []
    for l in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[l], sizes[l + 1], bias=bias[l]))
        if l < len(sizes) - 2:
            mods.append(MODULES[case["act"]]())
            if case.get("dropout"):
                mods.append(torch.nn.Dropout(0.5))
    return torch.nn.Sequential(*mods).eval()


def save(seq: torch.nn.Sequential, path: Path, layout: str = "sequential") -> Path:
    if layout == "sequential":
        save_file(seq.state_dict(), str(path))
    else:
        lins = [m for m in seq if isinstance(m, torch.nn.Linear)]
        tensors = {}
        for l, m in enumerate(lins, 1):
            tensors[f"W{l}"] = m.weight.detach().clone()
            if m.bias is not None:
                tensors[f"b{l}"] = m.bias.detach().clone()
        save_file(tensors, str(path))
    return path


def data(d: int, n: int = N_SAMPLES, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


# --- the oracle: vmap(jacrev) through the nn.Sequential, numpy for every statistic -------------------------

def oracle(seq: torch.nn.Sequential, X: np.ndarray) -> list[dict]:
    """Per weight layer: W, AGOP (Jacobian w.r.t. the layer's input), G (w.r.t. its pre-activation), the
    layer's outputs H on the data — all float64, from the module split at the layer."""
    seq = seq.double()
    Xt = torch.as_tensor(X, dtype=torch.float64)
    idx = [i for i, m in enumerate(seq) if isinstance(m, torch.nn.Linear)]
    out = []
    with torch.no_grad():
        for l, i in enumerate(idx):
            head, tail = seq[:i], seq[i:]
            H_in = head(Xt)
            J = vmap(jacrev(tail))(H_in)  # (n, q, n_{l-1})
            Z = seq[:i + 1](Xt)
            Jz = vmap(jacrev(seq[i + 1:]))(Z)  # (n, q, n_l); the identity for the output layer
            H = seq[:i + 2](Xt) if l + 1 < len(idx) else Z  # σ(z_l), or the output f
            out.append({"W": seq[i].weight.detach().numpy(), "AGOP": torch.einsum("nqa,nqb->ab", J, J).numpy() / len(X),
                        "G": torch.einsum("nqa,nqb->ab", Jz, Jz).numpy() / len(X), "H": H.numpy(), "q": J.shape[1]})
    return out


def np_cos(A, B):
    return float((A * B).sum() / (np.linalg.norm(A) * np.linalg.norm(B)))


def np_erank(M):
    s = np.linalg.svd(M, compute_uv=False)
    p = s[s > 0] / s.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def np_psd_sqrt(M):
    U, s, _ = np.linalg.svd((M + M.T) / 2)
    return U @ np.diag(np.sqrt(s)) @ U.T


def expected(layer: dict) -> dict:
    """Every per-layer quantity of ``nnclaims measure``, computed with numpy from the oracle's matrices (the
    AGOP's rank with numpy's rule for the (samples·outputs, n_{l-1}) stack of Jacobian rows it is the Gram of)."""
    W, A, G = layer["W"], layer["AGOP"], layer["G"]
    rows = layer["H"].shape[0] * layer["q"]
    WtW = W.T @ W
    P = W @ np.linalg.pinv(W)
    return {
        "nfa_cosine": np_cos(WtW, A),
        "nfa_pearson": float(np.corrcoef(WtW.ravel(), A.ravel())[0, 1]),
        "sqrt_agop_cosine": np_cos(WtW, np_psd_sqrt(A)),
        "isotropy_cosine": np_cos(G, np.eye(len(G))),
        "isotropy_cosine_on_range": np_cos(P @ G @ P, P),
        "rank_W": int(np.linalg.matrix_rank(W)),
        "effective_rank_W": np_erank(W),
        "rank_AGOP": int(np.linalg.matrix_rank(A, tol=np.linalg.norm(A, 2) * max(rows, len(A)) * np.finfo(float).eps)),
        "effective_rank_AGOP": np_erank(A),
        "feature_rank": int(np.linalg.matrix_rank(layer["H"])),
    }


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def tol_for(case: dict) -> float:
    """float64 rounding for sums over the samples of products through the widest layer, times the depth."""
    width = max((case["d"], case["q"]) + case["widths"])
    return tolerance(torch.float64, N_SAMPLES * width * (len(case["widths"]) + 1))


# --- every quantity, through the command line --------------------------------------------------------------

@pytest.mark.parametrize("chunk", [None, 10])
@pytest.mark.parametrize("name", list(CASES))
def test_measure_matches_independent_float64(tmp_path, capsys, name, chunk):
    case = CASES[name]
    seq = build(case)
    model = save(seq, tmp_path / "model.safetensors", case.get("layout", "sequential"))
    X = data(case["d"])
    np.save(tmp_path / "X.npy", X)
    argv = ["measure", model, "--data", tmp_path / "X.npy", "--activation", case["act"], "--device", "cpu",
            "--json", tmp_path / "out.json"] + (["--chunk", chunk] if chunk else [])
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    got = json.loads((tmp_path / "out.json").read_text())
    want = [expected(layer) for layer in oracle(seq, X)]
    tol = tol_for(case)
    assert len(got["layers"]) == len(want) == len(case["widths"]) + 1
    for l, (g, w) in enumerate(zip(got["layers"], want)):
        assert g["layer"] == l + 1 and g["shape"] == list(oracle_shape(seq, l))
        for k, v in w.items():
            if isinstance(v, int):
                assert g[k] == v, (l, k, g[k], v)
            else:  # the PSD square root is only ½-Hölder at a singular AGOP: |√A − √B| ≤ |A − B|^½
                t = tol ** 0.5 if k == "sqrt_agop_cosine" else tol
                assert abs(g[k] - v) <= t * max(1.0, abs(v)), (l, k, g[k], v)
    m = got["model"]
    assert m["architecture"] == "-".join(map(str, (case["d"],) + case["widths"] + (case["q"],)))
    assert m["parameters"] == sum(p.numel() for p in seq.parameters())
    assert (m["dtype"], m["device"], m["file_dtype"], m["activation"]) == ("float64", "cpu", "F32", case["act"])
    assert m["layout"] == ("W1, b1, W2, …" if case.get("layout") == "plain" else "nn.Sequential")
    assert m["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert got["data"]["shape"] == list(X.shape) and got["data"]["rank"] == np.linalg.matrix_rank(X)
    assert got["data"]["sha256"] == hashlib.sha256(X.astype("<f8").tobytes()).hexdigest()
    assert "nfa_cosine" in out and set(got["definitions"]) >= {"nfa_cosine", "effective_rank", "feature_rank"}


def oracle_shape(seq, l):
    return [m for m in seq if isinstance(m, torch.nn.Linear)][l].weight.shape


@pytest.mark.parametrize("name", ["relu-16-12-bias", "gelu-8-8-6-5-mixed-bias", "relu-depth-6", "identity-6-5"])
def test_agop_sweep_equals_vmap_jacrev_per_layer(name):
    """The matrices themselves (not only their cosines): AGOP_l and G_l of the sweep equal the oracle's, for
    several chunk sizes."""
    case = CASES[name]
    seq = build(case)
    X = data(case["d"])
    want = oracle(seq, X)
    Ws, bs = read_model_from(seq)
    tol = tol_for(case)
    for chunk in (1, 7, None):
        got = agop_sweep(Ws, torch.as_tensor(X)[None], case["act"], biases=bs, chunk_size=chunk)
        for l, w in enumerate(want):
            assert float(rel_err(got["AGOP"][l], torch.as_tensor(w["AGOP"])[None])) <= tol, (chunk, l)
            assert float(rel_err(got["G"][l], torch.as_tensor(w["G"])[None])) <= tol, (chunk, l)


def read_model_from(seq):
    lins = [m for m in seq if isinstance(m, torch.nn.Linear)]
    Ws = [m.weight.detach().double()[None] for m in lins]
    bs = [m.bias.detach().double()[None] if m.bias is not None else None for m in lins]
    return Ws, bs


def test_agop_sweep_networks_are_independent():
    """A stack of 3 networks (each its own data) gives each network's single sweep: the leading axis is kept."""
    case = CASES["tanh-W1b1-layout"]
    nets = [read_model_from(build(case, seed=s)) for s in range(3)]
    X = torch.stack([torch.as_tensor(data(case["d"], seed=s)) for s in range(3)])
    Ws = [torch.cat([n[0][l] for n in nets]) for l in range(3)]
    bs = [torch.cat([n[1][l] for n in nets]) if nets[0][1][l] is not None else None for l in range(3)]
    together = agop_sweep(Ws, X, "tanh", biases=bs, chunk_size=11)
    tol = tol_for(case)
    for k, (W, b) in enumerate(nets):
        alone = agop_sweep(W, X[k:k + 1], "tanh", biases=b)
        for l in range(3):
            assert float(rel_err(together["AGOP"][l][k:k + 1], alone["AGOP"][l])) <= tol


def test_feature_rank_sees_a_low_rank_layer(tmp_path, capsys):
    """A rank-2 first layer with the identity activation and no bias: the first hidden layer's features have
    rank 2 (numpy agrees), the output's at most 2; the data themselves have full rank."""
    torch.manual_seed(3)
    seq = torch.nn.Sequential(torch.nn.Linear(6, 8, bias=False), torch.nn.Identity(), torch.nn.Linear(8, 3, bias=False))
    with torch.no_grad():  # small integers: exactly rank 2 in float32 too
        seq[0].weight.copy_(torch.randint(-3, 4, (8, 2)).float() @ torch.randint(-3, 4, (2, 6)).float())
    save_file(seq.state_dict(), str(tmp_path / "m.safetensors"))
    X = data(6)
    np.save(tmp_path / "X.npy", X)
    code, _, err = run(capsys, "measure", tmp_path / "m.safetensors", "--data", tmp_path / "X.npy", "--activation",
                       "identity", "--device", "cpu", "--json", tmp_path / "o.json")
    assert code == 0, err
    got = json.loads((tmp_path / "o.json").read_text())
    want = [expected(layer) for layer in oracle(seq, X)]
    assert [r["feature_rank"] for r in got["layers"]] == [w["feature_rank"] for w in want] == [2, 2]
    assert got["layers"][0]["rank_W"] == 2 and got["data"]["rank"] == 6


def test_measure_targets_regression_and_labels(tmp_path, capsys):
    """--targets: the reported loss equals the module's own (½|f − y|² mean; cross-entropy and accuracy)."""
    case = CASES["relu-16-12-bias"]
    seq = build(case)
    save(seq, tmp_path / "m.safetensors")
    X = data(case["d"])
    np.save(tmp_path / "X.npy", X)
    F = seq.double()(torch.as_tensor(X)).detach()
    rng = np.random.default_rng(5)
    Y = rng.standard_normal((len(X), case["q"]))
    labels = rng.integers(0, case["q"], len(X))
    np.savetxt(tmp_path / "Y.csv", Y, delimiter=",")
    np.save(tmp_path / "y.npy", labels)
    for path, key, want in (
        ("Y.csv", "mse", float(0.5 * ((F - torch.as_tensor(Y)) ** 2).sum(1).mean())),
        ("y.npy", "cross_entropy", float(torch.nn.functional.cross_entropy(F, torch.as_tensor(labels)))),
        ("y.npy", "accuracy", float((F.argmax(1).numpy() == labels).mean())),
    ):
        code, _, err = run(capsys, "measure", tmp_path / "m.safetensors", "--data", tmp_path / "X.npy", "--targets",
                           tmp_path / path, "--device", "cpu", "--json", tmp_path / "o.json")
        assert code == 0, err
        t = json.loads((tmp_path / "o.json").read_text())["targets"]
        assert abs(t[key] - want) <= 1e-12 * max(1, abs(want)), (key, t[key], want)


def test_measure_reads_bf16_and_csv_like_float64_and_npy(tmp_path):
    """A bfloat16 file measures exactly like a float64 file holding the same (rounded) values, and CSV data
    like the same numbers in .npy: the reader converts exactly, the checksum ignores the format."""
    from nnclaims.numeric.arrays import data_matrix, read_array

    seq = build(CASES["relu-16-12-bias"])
    sd = {k: v.to(torch.bfloat16) for k, v in seq.state_dict().items()}
    save_file(sd, str(tmp_path / "bf16.safetensors"))
    save_file({k: v.double() for k, v in sd.items()}, str(tmp_path / "f64.safetensors"))
    X = np.round(data(6), 3)
    np.save(tmp_path / "X.npy", X)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", fmt="%.3f", header="a,b,c,d,e,f", comments="")
    a = measure(read_model(tmp_path / "bf16.safetensors"), data_matrix(read_array(tmp_path / "X.csv"), "X.csv"))
    b = measure(read_model(tmp_path / "f64.safetensors"), data_matrix(read_array(tmp_path / "X.npy"), "X.npy"))
    assert a["model"]["file_dtype"] == "BF16" and b["model"]["file_dtype"] == "F64"
    assert a["layers"] == b["layers"] and a["data"] == b["data"]


def test_measure_float32_is_close_to_float64(tmp_path):
    seq = build(CASES["tanh-10-nobias"])
    save(seq, tmp_path / "m.safetensors")
    net, X = read_model(tmp_path / "m.safetensors"), data(5)
    a = measure(net, X, activation="tanh", dtype=torch.float32)
    b = measure(net, X, activation="tanh")
    assert a["model"]["dtype"] == "float32"
    for ra, rb in zip(a["layers"], b["layers"]):
        assert abs(ra["nfa_cosine"] - rb["nfa_cosine"]) <= tolerance(torch.float32, N_SAMPLES * 10)


# --- negative controls: the comparisons above can fail ------------------------------------------------------

def test_negative_control_unrelated_weights_change_nfa_cosine(tmp_path, capsys):
    """The same architecture with unrelated weights (another seed) gives other cosines, far beyond the
    comparison tolerance, and its AGOP fails the oracle comparison of the original network."""
    case = CASES["relu-16-12-bias"]
    X = data(case["d"])
    np.save(tmp_path / "X.npy", X)
    got = {}
    for seed in (0, 1):
        save(build(case, seed=seed), tmp_path / f"m{seed}.safetensors")
        code, _, err = run(capsys, "measure", tmp_path / f"m{seed}.safetensors", "--data", tmp_path / "X.npy",
                           "--device", "cpu", "--json", tmp_path / f"o{seed}.json")
        assert code == 0, err
        got[seed] = json.loads((tmp_path / f"o{seed}.json").read_text())["layers"]
    tol = tol_for(case)
    for l in range(2):  # hidden layers (the output layer's cosines are 1 by construction)
        assert abs(got[0][l]["nfa_cosine"] - got[1][l]["nfa_cosine"]) > 1e3 * tol
    want = oracle(build(case, seed=0), X)
    Ws, bs = read_model_from(build(case, seed=1))
    other = agop_sweep(Ws, torch.as_tensor(X)[None], "relu", biases=bs)
    assert all(float(rel_err(other["AGOP"][l], torch.as_tensor(want[l]["AGOP"])[None])) > 1e3 * tol for l in range(3))


def test_negative_control_sweep_without_activation_derivative_fails():
    """Dropping σ' (sweeping a tanh network as if it were linear) fails the oracle comparison at every hidden
    layer, and the measured nfa_cosine moves."""
    case = CASES["tanh-W1b1-layout"]
    seq = build(case)
    X = data(case["d"])
    want = oracle(seq, X)
    Ws, bs = read_model_from(seq)
    naive = agop_sweep(Ws, torch.as_tensor(X)[None], "identity", biases=bs)
    right = agop_sweep(Ws, torch.as_tensor(X)[None], "tanh", biases=bs)
    tol = tol_for(case)
    for l in range(2):
        assert float(rel_err(naive["AGOP"][l], torch.as_tensor(want[l]["AGOP"])[None])) > 1e3 * tol
        assert float(rel_err(right["AGOP"][l], torch.as_tensor(want[l]["AGOP"])[None])) <= tol


def test_forward_layers_equal_the_module():
    case = CASES["sigmoid-9-7-dropout"]
    seq = build(case)
    X = data(case["d"])
    Ws, bs = read_model_from(seq)
    f = forward_layers(Ws, torch.as_tensor(X)[None], "sigmoid", biases=bs)[-1][0]
    assert float(rel_err(f[None], seq.double()(torch.as_tensor(X)).detach()[None])) <= tol_for(case)


# --- the docs' example (docs/measuring-your-own-model.md) runs as written --------------------------------------

def readme_example() -> tuple[str, str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "measuring-your-own-model.md").read_text()
    m = re.search(r"<!-- measure-example -->\s*```python\n(.*?)```\s*```sh\n(.*?)```", text, re.S)
    assert m, "the docs' measure example (marked <!-- measure-example -->) is missing"
    return m.group(1), m.group(2).strip()


@pytest.mark.slow
def test_readme_measure_example_runs(tmp_path):
    code, command = readme_example()
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert command.startswith("nnclaims measure ")
    argv = [sys.executable, "-m", "nnclaims"] + command.split()[1:]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "nfa_cosine" in done.stdout and "feature_rank" in done.stdout
    out = json.loads((tmp_path / "measure.json").read_text())
    assert out["model"]["layout"] == "nn.Sequential" and len(out["layers"]) == 2


# --- determinism and the plug-in place for further quantities ----------------------------------------------

def test_measure_same_command_same_numbers(tmp_path, capsys):
    case = CASES["gelu-8-8-6-5-mixed-bias"]
    save(build(case), tmp_path / "m.safetensors")
    np.save(tmp_path / "X.npy", data(case["d"]))
    runs = []
    for k in range(2):
        code, _, err = run(capsys, "measure", tmp_path / "m.safetensors", "--data", tmp_path / "X.npy", "--activation",
                           "gelu", "--device", "cpu", "--json", tmp_path / f"o{k}.json")
        assert code == 0, err
        got = json.loads((tmp_path / f"o{k}.json").read_text())
        got.pop("provenance")
        runs.append(got)
    assert runs[0] == runs[1]


def test_measure_sections_receive_the_stacked_network(tmp_path):
    """``sections`` (where curvature will plug in) get the stacked float64 weights, data and targets, and their
    result lands under their name."""
    case = CASES["relu-16-12-bias"]
    seq = build(case)
    save(seq, tmp_path / "m.safetensors")
    X = data(case["d"])
    Y = np.random.default_rng(2).standard_normal((len(X), case["q"]))
    seen = {}

    def probe(weights, biases, Xs, Ys, activation):
        seen.update(shapes=[tuple(W.shape) for W in weights], X=tuple(Xs.shape), Y=tuple(Ys.shape), act=activation,
                    dtype=Xs.dtype)
        return {"output_norm": float(forward_layers(weights, Xs, activation, biases=biases)[-1].norm())}

    got = measure(read_model(tmp_path / "m.safetensors"), X, Y, sections={"probe": probe})
    assert seen == {"shapes": [(1, 16, 6), (1, 12, 16), (1, 3, 12)], "X": (1, N_SAMPLES, 6),
                    "Y": (1, N_SAMPLES, 3), "act": "relu", "dtype": torch.float64}
    want = float(seq.double()(torch.as_tensor(X)).detach().norm())
    assert abs(got["probe"]["output_norm"] - want) <= 1e-12 * want


def test_optional_section_becomes_a_flag(monkeypatch):
    """An entry of OPTIONAL_SECTIONS (e.g. the future --hessian) becomes a ``--NAME`` flag of the command."""
    import click
    from click.testing import CliRunner

    from nnclaims.cli import measure as measure_command

    monkeypatch.setattr(measure_command, "OPTIONAL_SECTIONS", {"probe": ("nnclaims.numeric.measure:cosine", "a probe")})

    @click.command()
    @measure_command._section_flags
    def cmd(**flags):
        click.echo(sorted(flags.items()))

    assert "--probe" in CliRunner().invoke(cmd, ["--help"]).output
    assert "('section_probe', True)" in CliRunner().invoke(cmd, ["--probe"]).output
    assert measure_command._resolve("nnclaims.numeric.measure:cosine") is measure_command.importlib.import_module(
        "nnclaims.numeric.measure").cosine


def test_measure_json_into_a_folder_is_refused_before_computing(tmp_path, capsys, monkeypatch):
    """``--json FOLDER``: one line and exit 2 before the model is even read (reading it would fail the test); a
    file name in the same place is accepted and written (negative control)."""
    import nnclaims.numeric.models as models

    seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    save_file(seq.state_dict(), str(tmp_path / "m.safetensors"))
    np.save(tmp_path / "X.npy", data(3))
    argv = ["measure", tmp_path / "m.safetensors", "--data", tmp_path / "X.npy", "--device", "cpu", "--json"]
    real = models.read_model
    monkeypatch.setattr(models, "read_model", lambda *a, **k: pytest.fail("computed before refusing --json"))
    code, _, err = run(capsys, *argv, tmp_path)
    assert code == 2 and err.strip().splitlines() == [f"nnclaims: error: --json {tmp_path}: is a folder; give a file name"]
    monkeypatch.setattr(models, "read_model", real)
    code, _, err = run(capsys, *argv, tmp_path / "o.json")
    assert code == 0 and json.loads((tmp_path / "o.json").read_text())["layers"], err


# --- measure --hessian: printed, one loss convention ----------------------------------------------------------

@pytest.mark.parametrize("labels", [False, True], ids=["targets", "labels"])
def test_measure_hessian_prints_its_numbers_and_uses_the_mean_loss(tmp_path, capsys, labels):
    """The terminal shows the Hessian's rank, Gauss–Newton rank, top eigenvalues and trace with their methods; the
    Hessian section's loss is the mean loss, the same number as the targets' line (squared error or cross-entropy),
    and its trace is that of the Hessian of the mean (n × smaller than the sum's: the control)."""
    case = CASES["tanh-10-nobias"]
    seq = build(case)
    save(seq, tmp_path / "m.safetensors")
    X = data(case["d"])
    rng = np.random.default_rng(3)
    Y = rng.integers(0, case["q"], len(X)) if labels else rng.standard_normal((len(X), case["q"]))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y)
    code, out, err = run(capsys, "measure", tmp_path / "m.safetensors", "--data", tmp_path / "X.npy", "--targets",
                         tmp_path / "Y.npy", "--activation", "tanh", "--device", "cpu", "--hessian", "--json",
                         tmp_path / "o.json")
    assert code == 0, err
    got = json.loads((tmp_path / "o.json").read_text())
    h, t = got["hessian"], got["targets"]
    assert h["loss_reduction"] == "mean" and h["method"] == "dense" and h["exact"] is True
    assert abs(h["loss_value"] - t["cross_entropy" if labels else "mse"]) <= 1e-12 * h["loss_value"]
    flat = " ".join(out.split())
    assert "Hessian of the mean loss" in flat
    assert f"rank {h['rank']:,} (dense" in flat and f"Gauss–Newton rank {h['gauss_newton_rank']:,} (exact" in flat
    assert f"top eigenvalues {h['top_eigenvalues'][0]:.6g}" in flat and f"trace {h['trace']:.6g}" in flat
    # the trace against the Hessian of the mean loss, by the tape on the nn.Sequential itself
    params = [p for p in seq.double().parameters()]
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)

    def mean_loss(*ps):
        F = torch.func.functional_call(seq, dict(zip([n for n, _ in seq.named_parameters()], ps)), (Xt,))
        if labels:
            return torch.nn.functional.cross_entropy(F, Yt.long())
        return 0.5 * ((F - Yt) ** 2).sum(1).mean()

    blocks = torch.autograd.functional.hessian(mean_loss, tuple(p.detach() for p in params))
    trace = sum(float(torch.diagonal(blocks[i][i].reshape(p.numel(), p.numel())).sum()) for i, p in enumerate(params))
    assert abs(h["trace"] - trace) <= 1e-10 * abs(trace)
    assert abs(h["trace"] * len(X) - trace) > 1e-3 * abs(trace)  # control: the sum's trace is not it
