"""``nnclaims similarity`` and ``nnclaims compare``: every measure in the JSON, safetensors models, and one-line
errors with exit status 2 for bad input."""

import json
import struct

import numpy as np
import pytest

from nnclaims.numeric.safetensors_mlp import ModelFormatError, read_model, write_safetensors
from nnclaims.reports.cli import main
from nnclaims.reports.similarity_command import MEASURE_KEYS


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


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


def test_similarity_measure_subset_and_unrelated(arrays, capsys):
    code, _, _ = run(capsys, "similarity", arrays / "A.npy", arrays / "C.npy", "--measures", "linear_cka,procrustes",
                     "--json", arrays / "t.json")
    data = json.loads((arrays / "t.json").read_text())
    assert code == 0 and list(data["measures"]) == ["linear_cka", "procrustes"]
    assert data["measures"]["linear_cka"] < 0.5


@pytest.mark.parametrize("make, needle", [
    (lambda d: np.save(d / "X.npy", np.zeros((60, 2, 2))), "expected 2-D"),
    (lambda d: np.save(d / "X.npy", np.ones((59, 3))), "the same points are needed"),
    (lambda d: np.save(d / "X.npy", np.full((60, 3), np.nan)), "NaN or infinite"),
    (lambda d: np.save(d / "X.npy", np.array([[{"a": 1}]] * 60, dtype=object), allow_pickle=True), "pickle"),
    (lambda d: (d / "X.npy").write_text("not an array"), "not a .npy array file"),
    (lambda d: np.save(d / "X.npy", np.array([["a"]] * 60)), "not a numeric array"),
    (lambda d: None, "no such file"),
])
def test_similarity_bad_input_is_one_line_exit_2(arrays, capsys, make, needle):
    make(arrays)
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "X.npy")
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_similarity_bad_options(arrays, capsys):
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npy", "--measures", "cka")
    assert code == 2 and "unknown measure" in err
    code, _, err = run(capsys, "similarity", arrays / "A.npy", arrays / "B.npy", "--epsilon", "-1")
    assert code == 2 and "--epsilon" in err


def _mlp(seed, perm=None):
    rng = np.random.default_rng(seed)
    W1, b1, W2 = rng.standard_normal((6, 3)), rng.standard_normal(6), rng.standard_normal((2, 6))
    if perm is not None:
        W1, b1, W2 = W1[perm] * 2.0, b1[perm] * 2.0, W2[:, perm] / 2.0  # a ReLU symmetry: same function
    return {"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": np.zeros(2)}


def test_compare_two_safetensors_models(tmp_path, capsys):
    write_safetensors(tmp_path / "a.safetensors", _mlp(0), {"activation": "relu"})
    write_safetensors(tmp_path / "b.safetensors", _mlp(0, perm=[5, 4, 3, 2, 1, 0]))
    write_safetensors(tmp_path / "c.safetensors", _mlp(1))
    np.save(tmp_path / "X.npy", np.random.default_rng(2).standard_normal((50, 3)))
    code, _, err = run(capsys, "compare", tmp_path / "a.safetensors", tmp_path / "b.safetensors", "--data",
                       tmp_path / "X.npy", "--layer", "1", "--json", tmp_path / "c.json")
    assert code == 0, err
    twin = json.loads((tmp_path / "c.json").read_text())
    assert twin["measures"]["max_match_similarity"] == 1.0 and twin["measures"]["cca_mean"] == pytest.approx(1.0)
    code, _, _ = run(capsys, "compare", tmp_path / "a.safetensors", tmp_path / "b.safetensors", "--data",
                     tmp_path / "X.npy", "--layer", "2", "--json", tmp_path / "o.json")
    assert json.loads((tmp_path / "o.json").read_text())["measures"]["linear_cka"] == pytest.approx(1.0)  # same outputs
    code, _, _ = run(capsys, "compare", tmp_path / "a.safetensors", tmp_path / "c.safetensors", "--data",
                     tmp_path / "X.npy", "--layer", "1", "--json", tmp_path / "u.json")
    assert json.loads((tmp_path / "u.json").read_text())["measures"]["max_match_similarity"] < 1.0


def _corrupt(tmp_path, kind):
    path = tmp_path / "m.safetensors"
    write_safetensors(path, _mlp(0))
    raw = bytearray(path.read_bytes())
    if kind == "truncated":
        raw = raw[:-8]
    elif kind == "header length":
        raw[:8] = struct.pack("<Q", 10 ** 12)
    elif kind == "not json":
        raw[8:12] = b"\xff\xfe{{"
    elif kind == "empty":
        raw = b""
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("kind, needle", [("truncated", "outside the file"), ("header length", "does not fit"),
                                          ("not json", "not JSON"), ("empty", "shorter than")])
def test_compare_malformed_model_is_one_line_exit_2(tmp_path, capsys, kind, needle):
    path = _corrupt(tmp_path, kind)
    np.save(tmp_path / "X.npy", np.ones((5, 3)))
    code, _, err = run(capsys, "compare", path, path, "--data", tmp_path / "X.npy", "--layer", "1")
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_compare_layer_and_width_errors(tmp_path, capsys):
    write_safetensors(tmp_path / "a.safetensors", _mlp(0))
    np.save(tmp_path / "X.npy", np.ones((5, 3)))
    np.save(tmp_path / "W.npy", np.ones((5, 4)))
    code, _, err = run(capsys, "compare", tmp_path / "a.safetensors", tmp_path / "a.safetensors", "--data",
                       tmp_path / "X.npy", "--layer", "3")
    assert code == 2 and "layer 3 does not exist" in err
    code, _, err = run(capsys, "compare", tmp_path / "a.safetensors", tmp_path / "a.safetensors", "--data",
                       tmp_path / "W.npy", "--layer", "1")
    assert code == 2 and "takes 3 inputs" in err


def test_model_reader_rejects_what_is_not_an_mlp(tmp_path):
    write_safetensors(tmp_path / "a.safetensors", {"0.weight": np.ones((2, 3)), "1.weight": np.ones((2, 5))})
    with pytest.raises(ModelFormatError, match="takes 5 inputs"):
        read_model(tmp_path / "a.safetensors")
    write_safetensors(tmp_path / "b.safetensors", {"0.weight": np.ones((2, 3)), "head": np.ones(2)})
    with pytest.raises(ModelFormatError, match="no linear layer"):
        read_model(tmp_path / "b.safetensors")
    write_safetensors(tmp_path / "c.safetensors", {"0.weight": np.ones((2, 3))}, {"activation": "swish"})
    with pytest.raises(ModelFormatError, match="swish"):
        read_model(tmp_path / "c.safetensors")
