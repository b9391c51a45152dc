"""``nnclaims measure`` refuses every file that is not what it says: one line on stderr starting
``nnclaims: error:``, naming the file and the problem, exit status 2, no traceback, and nothing unpickled."""

from __future__ import annotations

import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from nnclaims.cli.app import main

D = 4  # the good model's input width


def good_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(D, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))


def st_bytes(tensors: dict) -> bytes:
    """A valid safetensors file's bytes (written through the library, read back)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
        save_file(tensors, f.name)
        return open(f.name, "rb").read()


def raw_safetensors(header: dict, data: bytes) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


class Poison:
    """Unpickling this object would write a file: the test checks that it was never written."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def sd(**changes):
    """The good model's state_dict with some entries replaced (None: removed)."""
    out = {k: v.clone() for k, v in good_model().state_dict().items()}
    for k, v in changes.items():
        k = k.replace("_", ".")
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


def write_model(tmp, case):
    p = tmp / case.get("name", "model.safetensors")
    kind = case["model"]
    if kind == "good":
        save_file(good_model().state_dict(), str(p))
    elif kind == "pickle":
        p.write_bytes(pickle.dumps({"0.weight": Poison(tmp / "unpickled")}))
    elif kind == "torch.save":
        torch.save(good_model().state_dict(), p)
    elif kind == "torch.save-legacy":
        torch.save(good_model().state_dict(), p, _use_new_zipfile_serialization=False)
    elif kind == "npy":
        np.save(tmp / "arr.npy", np.zeros((3, 3)))
        p.write_bytes((tmp / "arr.npy").read_bytes())
    elif kind == "empty-file":
        p.write_bytes(b"")
    elif kind.startswith("truncated"):
        whole = st_bytes(good_model().state_dict())
        cut = {"truncated-data": len(whole) - 17, "truncated-header": 30, "truncated-length": 5}[kind]
        p.write_bytes(whole[:cut])
    elif kind == "json-garbage":
        p.write_bytes(struct.pack("<Q", 10) + b"not json!!" + bytes(16))
    elif kind == "bad-offsets":
        p.write_bytes(raw_safetensors({"0.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 40]}}, bytes(40)))
    elif kind == "folder":
        p.mkdir()
    elif kind == "missing":
        pass
    else:
        save_file(case["tensors"](), str(p))
    return p


def write_data(tmp, case):
    kind = case.get("data", "good")
    rng = np.random.default_rng(0)
    if kind == "good":
        np.save(tmp / "X.npy", rng.standard_normal((20, D)))
        return tmp / "X.npy"
    return kind(tmp, rng)


def npy(name, array, **kw):
    def make(tmp, rng):
        np.save(tmp / name, array(rng) if callable(array) else array, **kw)
        return tmp / name
    return make


def text(name, content):
    def make(tmp, rng):
        (tmp / name).write_text(content)
        return tmp / name
    return make


def nan_at(rng, value=np.nan):
    X = rng.standard_normal((20, D))
    X[3, 1] = value
    return X


def object_npz(tmp, rng):
    np.savez(tmp / "X.npz", X=np.array([None, 1], dtype=object))
    return tmp / "X.npz"


def two_array_npz(tmp, rng):
    np.savez(tmp / "X.npz", X=rng.standard_normal((20, D)), Y=rng.standard_normal((20, 2)))
    return tmp / "X.npz"


def truncated_npy(tmp, rng):
    np.save(tmp / "X.npy", rng.standard_normal((20, D)))
    (tmp / "X.npy").write_bytes((tmp / "X.npy").read_bytes()[:-24])
    return tmp / "X.npy"


def pickled_npy(tmp, rng):
    (tmp / "X.npy").write_bytes(pickle.dumps(Poison(tmp / "unpickled")))
    return tmp / "X.npy"


# id: model (and its tensors), data, extra options, the words the one error line must contain
BAD = {
    "pickle named .safetensors": (dict(model="pickle"), "a pickle file"),
    "torch.save zip named .safetensors": (dict(model="torch.save"), "zip archive (what torch.save writes)"),
    "torch.save legacy named .pt": (dict(model="torch.save-legacy", name="model.pt"), "a pickle file"),
    "npy named .safetensors": (dict(model="npy"), "a .npy array"),
    "empty model file": (dict(model="empty-file"), "too short"),
    "truncated in the data": (dict(model="truncated-data"), "truncated: the header declares"),
    "truncated in the header": (dict(model="truncated-header"), "does not fit in the file"),
    "truncated in the length": (dict(model="truncated-length"), "too short"),
    "header not JSON": (dict(model="json-garbage"), "header is not JSON"),
    "byte range does not fit shape": (dict(model="bad-offsets"), "does not fit its dtype F32 and shape (4, 3)"),
    "model is a folder": (dict(model="folder"), "a folder"),
    "model missing": (dict(model="missing"), "cannot read"),
    "mismatched shapes between layers": (dict(model="t", tensors=lambda: sd(**{"2_weight": torch.ones(2, 5)})),
                                         "mismatched shapes: 2.weight is (2, 5)"),
    "bias of the wrong length": (dict(model="t", tensors=lambda: sd(**{"0_bias": torch.ones(5)})),
                                 "mismatched shapes: 0.bias is (5,)"),
    "transposed W1 layout": (dict(model="t", tensors=lambda: {"W1": torch.ones(D, 6), "W2": torch.ones(6, 2)}),
                             "look transposed"),
    "NaN in a weight": (dict(model="t", tensors=lambda: sd(**{"0_weight": torch.full((6, D), float("nan"))})),
                        "0.weight has 24 NaN/Inf entries"),
    "Inf in a bias": (dict(model="t", tensors=lambda: sd(**{"2_bias": torch.tensor([1.0, float("inf")])})),
                      "2.bias has 1 NaN/Inf entry"),
    "integer weights": (dict(model="t", tensors=lambda: sd(**{"0_weight": torch.ones(6, D, dtype=torch.int64)})),
                        "dtype I64; weights must be floating point"),
    "bool weights": (dict(model="t", tensors=lambda: sd(**{"2_weight": torch.ones(2, 6, dtype=torch.bool)})),
                     "dtype BOOL"),
    "gap in W numbering": (dict(model="t", tensors=lambda: {"W1": torch.ones(6, D), "W3": torch.ones(2, 6)}),
                           "gap in the layer numbering: W3 but no W2"),
    "W numbering from 0": (dict(model="t", tensors=lambda: {"W0": torch.ones(6, D), "W1": torch.ones(2, 6)}),
                           "starts at W1"),
    "bias without weight": (dict(model="t", tensors=lambda: {"W1": torch.ones(2, D), "b2": torch.ones(2)}),
                            "b2 without a weight"),
    "sequential bias without weight": (dict(model="t", tensors=lambda: sd(**{"4_bias": torch.ones(2)})),
                                       "4.bias has no 4.weight"),
    "batchnorm in the Sequential": (dict(model="t", tensors=lambda: sd(**{"1_weight": torch.ones(6)})),
                                    "1.weight has shape (6,)"),
    "adjacent Linear layers with relu": (dict(model="t", tensors=lambda: {"0.weight": torch.ones(6, D),
                                                                         "1.weight": torch.ones(2, 6)}),
                                         "adjacent modules"),
    "unexpected keys": (dict(model="t", tensors=lambda: {**sd(), "running_mean": torch.ones(6)}),
                        "unexpected key(s) 'running_mean'"),
    "mixed layouts": (dict(model="t", tensors=lambda: {"0.weight": torch.ones(6, D), "W2": torch.ones(2, 6)}),
                      "not both"),
    "no tensors": (dict(model="t", tensors=lambda: {}), "no tensors"),
    "wrong data width": (dict(model="good", data=npy("X.npy", lambda r: r.standard_normal((20, D + 1)))),
                         "5 features per sample, but the model's first layer takes 4"),
    "NaN in the data": (dict(model="good", data=npy("X.npy", nan_at)), "1 NaN/Inf entry (of 80), first at index (3, 1)"),
    "Inf in the data": (dict(model="good", data=npy("X.npy", lambda r: nan_at(r, np.inf))), "NaN/Inf"),
    "NaN in CSV data": (dict(model="good", data=text("X.csv", "1,2,3,4\n1,nan,3,4\n")), "first at index (1, 1)"),
    "object array in .npy": (dict(model="good", data=npy("X.npy", np.array([None, 1], dtype=object),
                                                         allow_pickle=True)), "holds Python objects"),
    "object array in .npz": (dict(model="good", data=object_npz), "holds Python objects"),
    "pickle named .npy": (dict(model="good", data=pickled_npy), "a pickle file, not a numpy array"),
    "truncated .npy": (dict(model="good", data=truncated_npy), "truncated or corrupt numpy file"),
    "empty data": (dict(model="good", data=npy("X.npy", np.zeros((0, D)))), "empty (shape (0, 4))"),
    "1-D data": (dict(model="good", data=npy("X.npy", np.zeros(D))), "data must be 2-D"),
    "complex data": (dict(model="good", data=npy("X.npy", np.ones((3, D), dtype=complex))), "not a real number type"),
    "string data": (dict(model="good", data=npy("X.npy", np.array([["a"] * D]))), "not a real number type"),
    "ragged CSV": (dict(model="good", data=text("X.csv", "1,2,3,4\n1,2,3\n")), "row 2 of the numbers has 3 fields"),
    "words in CSV": (dict(model="good", data=text("X.csv", "1,2,3,4\n1,two,3,4\n")), "'two' is not a number"),
    "unknown data format": (dict(model="good", data=text("X.txt", "1 2 3 4\n")), "unknown format '.txt'"),
    "missing data file": (dict(model="good", data=lambda tmp, rng: tmp / "nope.npy"), "no such file"),
    "npz with two arrays": (dict(model="good", data=two_array_npz), "name one as FILE.npz:KEY"),
    "npz key missing": (dict(model="good", data=lambda tmp, rng: f"{two_array_npz(tmp, rng)}:Z"), "no array 'Z'"),
    "targets count": (dict(model="good", targets=npy("Y.npy", np.zeros((7, 2)))), "7 targets for 20 data samples"),
    "targets width": (dict(model="good", targets=npy("Y.npy", np.zeros((20, 3)))), "the model has 2 outputs"),
    "labels out of range": (dict(model="good", targets=npy("Y.npy", np.arange(20))), "class labels 0..1"),
    "NaN in the targets": (dict(model="good", targets=npy("Y.npy", np.full((20, 2), np.nan))), "NaN/Inf"),
    "bad --chunk": (dict(model="good", options=["--chunk", "0"]), "--chunk"),
    "bad --activation": (dict(model="good", options=["--activation", "swish"]), "--activation"),
    "bad --device": (dict(model="good", options=["--device", "tpu"]), "unknown device 'tpu'"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_measure_bad_input_one_line_exit_2(tmp_path, capsys, name):
    case, needle = BAD[name]
    model = write_model(tmp_path, case)
    X = write_data(tmp_path, case)
    options = case.get("options", [])
    argv = ["measure", str(model), "--data", str(X)] + options + ([] if "--device" in options else ["--device", "cpu"])
    if "targets" in case:
        argv += ["--targets", str(case["targets"](tmp_path, np.random.default_rng(0)))]
    code = main(argv)
    out = capsys.readouterr()
    lines = [ln for ln in out.err.splitlines() if ln.strip()]
    assert code == 2, (code, out.err)
    assert len(lines) == 1 and lines[0].startswith("nnclaims: error:"), out.err
    assert "Traceback" not in out.err + out.out
    assert needle in lines[0], lines[0]
    if "data" in case or "targets" in case:  # the line names the file it is about
        named = "Y.npy" if "targets" in case else str(X).split("/")[-1].split(":")[0]
        assert named in lines[0]
    elif "options" not in case:
        assert model.name in lines[0]
    assert not (tmp_path / "unpickled").exists(), "a pickle was loaded"


def test_measure_good_files_pass_the_same_harness(tmp_path, capsys):
    """Negative control for the table above: the good model and data measure cleanly (exit 0, no stderr),
    through the same file writers."""
    model = write_model(tmp_path, dict(model="good"))
    X = write_data(tmp_path, dict(model="good"))
    code = main(["measure", str(model), "--data", str(X), "--device", "cpu"])
    out = capsys.readouterr()
    assert code == 0 and out.err == "" and "nfa_cosine" in out.out


def test_poison_pickle_would_have_been_noticed(tmp_path):
    """The harness's canary works: unpickling the poisoned file does write the marker file."""
    p = write_model(tmp_path, dict(model="pickle"))
    pickle.loads(p.read_bytes())
    assert (tmp_path / "unpickled").exists()


def test_zip_sniffing_sees_torch_save(tmp_path):
    p = write_model(tmp_path, dict(model="torch.save"))
    assert zipfile.is_zipfile(p)
