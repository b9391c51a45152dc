"""``nnclaims similarity`` and ``nnclaims compare``: every measure in the JSON, models read by the project's one
safetensors reader (``nnclaims.numeric.models``), arrays by ``nnclaims.numeric.arrays``, and one-line errors
with exit status 2 for bad input."""

import json
import pickle
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from nnclaims.numeric.models import read_model
from nnclaims.cli.app import main
from nnclaims.cli.similarity import MEASURE_KEYS, layer_activations


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code, err, *needles):
    """Exit status 2 and exactly one stderr line ``nnclaims: error: …`` holding every needle."""
    lines = err.strip().splitlines()
    return (code == 2 and len(lines) == 1 and lines[0].startswith("nnclaims: error: ") and "Traceback" not in err
            and all(str(n) in lines[0] for n in needles))


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 5))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", A[:, [3, 1, 0, 4, 2]] * 2.0)  # a permuted, rescaled copy
    np.save(tmp_path / "C.npy", rng.standard_normal((60, 4)))
    return tmp_path


def test_similarity_json_has_every_measure(arrays, capsys):
    code, out, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npy", "--epsilon", "0.1",
                         "--json", arrays / "s.json")
    assert code == 0, err
    data = json.loads((arrays / "s.json").read_text())
    assert list(data["measures"]) == list(MEASURE_KEYS)
    m = data["measures"]
    for key in ("linear_cka", "cca_mean", "svcca", "pwcca", "max_match_similarity"):
        assert m[key] == pytest.approx(1.0), key
    assert m["procrustes"] == pytest.approx(0.0, abs=1e-8)  # a permutation times 2: orthogonal × isotropic
    assert m["simple_match"]["one_to_one"] == 5 and data["points"] == 60 and data["neurons"] == [5, 5]
    assert "rbf_cka" in data["conventions"] and "linear_cka" in out
    assert m["pwcca_authors_code"] is not None and "pwcca_authors_code" in data["conventions"]
    assert data["warnings"] == [] and "warning" not in err  # control for the test below: 60 points > 5 + 1


def test_similarity_with_too_few_points_says_undefined_and_warns(tmp_path, capsys):
    """n ≤ neurons + 1: the CCA measures would be 1.0 whatever the networks; null in the JSON, "undefined" on the
    terminal, one warning line on stderr and in the JSON's warnings; never a bare 1.0 for them."""
    rng = np.random.default_rng(3)
    np.save(tmp_path / "A.npy", rng.standard_normal((8, 7)))
    np.save(tmp_path / "B.npy", rng.standard_normal((8, 3)))  # unrelated
    code, out, err = run(capsys, "similarity", tmp_path / "A.npy", tmp_path / "B.npy", "--json", tmp_path / "s.json")
    assert code == 0, err
    data = json.loads((tmp_path / "s.json").read_text())
    assert all(data["measures"][k] is None for k in ("cca_mean", "pwcca", "pwcca_authors_code"))
    assert len(data["warnings"]) == 1 and "8 points for 7 neurons" in data["warnings"][0]
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("nnclaims: warning: 8 points for 7 neurons")
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith(("│ cca", "│ pwcca"))
            for line in [line.strip("│ ")]}
    assert rows and all("undefined" in r and "1.0" not in r and " 1 " not in r for r in rows.values()), out


def test_similarity_measure_subset_and_unrelated(arrays, capsys):
    code, _, _ = run(capsys, "similarity", arrays / "A.npy", arrays / "C.npy", "--measures", "linear_cka,procrustes",
                     "--json", arrays / "t.json")
    data = json.loads((arrays / "t.json").read_text())
    assert code == 0 and list(data["measures"]) == ["linear_cka", "procrustes"]
    assert data["measures"]["linear_cka"] < 0.5


def test_similarity_reads_csv_and_npz_as_measure_does(arrays, capsys):
    """The same numbers in .npy, .csv (with a header row) and .npz give the same JSON measures."""
    B = np.load(arrays / "B.npy")
    np.savetxt(arrays / "B.csv", B, delimiter=",", header="n1,n2,n3,n4,n5", comments="", fmt="%.17g")
    np.savez(arrays / "B.npz", acts=B, other=B[:, :2])
    results = []
    for b in ("B.npy", "B.csv", "B.npz:acts"):
        code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / b, "--json", arrays / "r.json")
        assert code == 0, err
        results.append(json.loads((arrays / "r.json").read_text())["measures"])
    assert results[0] == results[1] == results[2]
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npz")  # two arrays, none named
    assert one_line_error(code, err, "B.npz", "FILE.npz:KEY"), err


@pytest.mark.parametrize("make, needle", [
    (lambda d: np.save(d / "X.npy", np.zeros((60, 2, 2))), "expected 2-D"),
    (lambda d: np.save(d / "X.npy", np.ones((1, 3))), "at least 2 points"),
    (lambda d: np.save(d / "X.npy", np.ones((59, 3))), "the same points are needed"),
    (lambda d: np.save(d / "X.npy", np.full((60, 3), np.nan)), "NaN/Inf"),
    (lambda d: np.save(d / "X.npy", np.array([[{"a": 1}]] * 60, dtype=object), allow_pickle=True), "pickles never"),
    (lambda d: (d / "X.npy").write_bytes(pickle.dumps(np.ones((60, 3)))), "pickles are never loaded"),
    (lambda d: (d / "X.npy").write_text("not an array"), "not a .npy or .npz file"),
    (lambda d: np.save(d / "X.npy", np.array([["a"]] * 60)), "not a real number type"),
    (lambda d: None, "no such file"),
])
def test_similarity_bad_input_is_one_line_exit_2(arrays, capsys, make, needle):
    make(arrays)
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "X.npy")
    assert one_line_error(code, err, needle, *(("X.npy",) if "same points" not in needle else ())), err


def test_similarity_bad_options(arrays, capsys):
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npy", "--measures", "cka")
    assert one_line_error(code, err, "unknown measure"), err
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npy", "--epsilon", "-1")
    assert one_line_error(code, err, "--epsilon"), err


# ---- compare: models written as users write them, safetensors.torch.save_file(net.state_dict(), PATH) ----------

PERM = [5, 4, 3, 2, 1, 0]


def _sequential(seed, activation=torch.nn.ReLU):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 6), activation(), torch.nn.Linear(6, 2))


def _twin_plain(net) -> dict:
    """``net``'s twin in the ``W1, b1, W2, b2`` layout: hidden neurons permuted and scaled by 2, the next layer
    divided by 2 — the same function for ReLU (positively homogeneous), not for tanh."""
    sd = net.state_dict()
    return {"W1": sd["0.weight"][PERM] * 2.0, "b1": sd["0.bias"][PERM] * 2.0,
            "W2": sd["2.weight"][:, PERM] / 2.0, "b2": sd["2.bias"].clone()}


@pytest.fixture
def models(tmp_path):
    net = _sequential(0)
    save_file(net.state_dict(), tmp_path / "a.safetensors")
    save_file(_twin_plain(net), tmp_path / "b.safetensors")
    save_file(_sequential(1).state_dict(), tmp_path / "c.safetensors")
    np.save(tmp_path / "X.npy", np.random.default_rng(2).standard_normal((50, 3)))
    return tmp_path


def _compare(capsys, d, a, b, layer, *extra, data="X.npy"):
    code, _, err = run(capsys, "compare", d / a, d / b, "--data", d / data, "--layer", layer, *extra,
                       "--json", d / "out.json")
    assert code == 0, err
    return json.loads((d / "out.json").read_text())


def test_compare_twin_networks_match_at_the_hidden_layer(models, capsys):
    """An nn.Sequential and its ReLU twin (permuted, positively rescaled, in the W1, b1 layout)."""
    twin = _compare(capsys, models, "a.safetensors", "b.safetensors", 1)
    assert twin["measures"]["max_match_similarity"] == 1.0 and twin["measures"]["cca_mean"] == pytest.approx(1.0)
    assert twin["layer"] == 1 and twin["activation"] == "relu" and twin["neurons"] == [6, 6]


def test_compare_identical_outputs_give_linear_cka_1(models, capsys):
    out = _compare(capsys, models, "a.safetensors", "b.safetensors", 2)
    assert out["measures"]["linear_cka"] == pytest.approx(1.0) and out["neurons"] == [2, 2]


def test_compare_unrelated_network_is_not_similar(models, capsys):
    unrelated = _compare(capsys, models, "a.safetensors", "c.safetensors", 1)
    assert unrelated["measures"]["max_match_similarity"] < 1.0 and unrelated["measures"]["cca_mean"] < 0.999


def test_compare_activation_option_reaches_the_computation(models, capsys):
    """The rescaled twin is the same function under ReLU only: under tanh its outputs differ from a's."""
    relu = _compare(capsys, models, "a.safetensors", "b.safetensors", 2)["measures"]["linear_cka"]
    tanh = _compare(capsys, models, "a.safetensors", "b.safetensors", 2, "--activation", "tanh")
    assert relu == pytest.approx(1.0) and tanh["activation"] == "tanh"
    assert tanh["measures"]["linear_cka"] < 1.0 - 1e-6


def test_compare_layer_0_is_the_data(models, capsys):
    out = _compare(capsys, models, "a.safetensors", "c.safetensors", 0)
    assert out["measures"]["linear_cka"] == pytest.approx(1.0) and out["neurons"] == [3, 3]


def test_compare_reads_data_as_measure_does(models, capsys):
    """The same data as .npy and as .csv (header row) give the same measures."""
    np.savetxt(models / "X.csv", np.load(models / "X.npy"), delimiter=",", header="x,y,z", comments="", fmt="%.17g")
    from_npy = _compare(capsys, models, "a.safetensors", "c.safetensors", 1)["measures"]
    assert _compare(capsys, models, "a.safetensors", "c.safetensors", 1, data="X.csv")["measures"] == from_npy


@pytest.mark.parametrize("activation, module", [("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh),
                                                ("gelu", torch.nn.GELU), ("sigmoid", torch.nn.Sigmoid)])
def test_layer_activations_number_the_layers_as_torch_computes_them(tmp_path, activation, module):
    """Layer 0 = the data, 1 = the hidden layer after its activation, 2 = the output (linear), each equal to
    the torch module's own forward pass (float64)."""
    net = _sequential(3, module).double()
    save_file(net.state_dict(), tmp_path / "n.safetensors")
    X = np.random.default_rng(4).standard_normal((7, 3))
    model = read_model(tmp_path / "n.safetensors", activation=activation)
    expected = [torch.from_numpy(X), net[:2](torch.from_numpy(X)), net(torch.from_numpy(X))]
    for layer, want in enumerate(expected):
        got = layer_activations(model, X, layer, activation, "X")
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-12, atol=1e-12)
    pre = net[0](torch.from_numpy(X)).detach().numpy()  # control: without the activation layer 1 differs
    assert not np.allclose(layer_activations(model, X, 1, activation, "X"), pre)


def _corrupt(tmp_path, kind):
    path = tmp_path / "m.safetensors"
    sd = _sequential(0).state_dict()
    save_file(sd, path)
    raw = bytearray(path.read_bytes())
    if kind == "truncated":
        raw = raw[:-8]
    elif kind == "header length":
        raw[:8] = struct.pack("<Q", 10 ** 12)
    elif kind == "not json":
        raw[8:12] = b"\xff\xfe{{"
    elif kind == "empty":
        raw = b""
    elif kind == "pickle":
        raw = pickle.dumps({k: v.numpy() for k, v in sd.items()})
    elif kind == "torch.save":
        path.unlink()
        torch.save(sd, path)
        raw = path.read_bytes()
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("kind, needle", [("truncated", "truncated"), ("header length", "does not fit"),
                                          ("not json", "not JSON"), ("empty", "too short"),
                                          ("pickle", "a pickle file"), ("torch.save", "zip archive")])
def test_compare_malformed_model_is_one_line_exit_2(tmp_path, capsys, kind, needle):
    path = _corrupt(tmp_path, kind)
    np.save(tmp_path / "X.npy", np.ones((5, 3)))
    save_file(_sequential(0).state_dict(), tmp_path / "good.safetensors")
    for a, b in ((path, tmp_path / "good.safetensors"), (tmp_path / "good.safetensors", path)):
        code, _, err = run(capsys, "compare", a, b, "--data", tmp_path / "X.npy", "--layer", "1")
        assert one_line_error(code, err, path, needle), err


def test_compare_layer_and_width_errors(models, capsys):
    np.save(models / "W.npy", np.ones((5, 4)))
    code, _, err = run(capsys, "compare", models / "a.safetensors", models / "a.safetensors", "--data",
                       models / "X.npy", "--layer", "3")
    assert one_line_error(code, err, models / "a.safetensors", "layer 3 does not exist", "0 (the data) to 2"), err
    code, _, err = run(capsys, "compare", models / "a.safetensors", models / "a.safetensors", "--data",
                       models / "W.npy", "--layer", "1")
    assert one_line_error(code, err, models / "a.safetensors", "takes 3 inputs", "W.npy", "4 features"), err


@pytest.mark.parametrize("make, needle", [
    (lambda d: np.save(d / "X.npy", np.array([[{"a": 1}]] * 5, dtype=object), allow_pickle=True), "pickles never"),
    (lambda d: np.save(d / "X.npy", np.ones(5)), "must be 2-D"),
    (lambda d: np.save(d / "X.npy", np.ones((1, 3))), "at least 2 points"),
    (lambda d: (d / "X.npy").unlink(), "no such file"),
])
def test_compare_bad_data_is_one_line_exit_2(models, capsys, make, needle):
    make(models)
    code, _, err = run(capsys, "compare", models / "a.safetensors", models / "b.safetensors", "--data",
                       models / "X.npy", "--layer", "1")
    assert one_line_error(code, err, "--data", "X.npy", needle), err


def test_compare_refuses_what_is_not_such_a_network(tmp_path, capsys):
    """Shapes that do not chain, keys of neither layout, adjacent Linear layers under a non-identity activation
    (no activation between them in the state_dict), an unknown activation: one line, exit 2."""
    np.save(tmp_path / "X.npy", np.ones((5, 3)))
    cases = {
        "chain": ({"0.weight": torch.ones(2, 3), "2.weight": torch.ones(2, 5)}, (), "mismatched shapes"),
        "keys": ({"0.weight": torch.ones(2, 3), "head": torch.ones(2)}, (), "unexpected key"),
        "adjacent": (torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)).state_dict(), (),
                     "adjacent modules"),
    }
    for name, (tensors, extra, needle) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        save_file(tensors, path)
        code, _, err = run(capsys, "compare", path, path, "--data", tmp_path / "X.npy", "--layer", "1", *extra)
        assert one_line_error(code, err, path, needle), (name, err)
    adjacent = tmp_path / "adjacent.safetensors"  # the same file is fine with --activation identity
    code, _, err = run(capsys, "compare", adjacent, adjacent, "--data", tmp_path / "X.npy", "--layer", "2",
                       "--activation", "identity")
    assert code == 0, err
    code, _, err = run(capsys, "compare", adjacent, adjacent, "--data", tmp_path / "X.npy", "--layer", "1",
                       "--activation", "swish")
    assert one_line_error(code, err, "swish"), err
