"""Argument order from the command line (issue 25, item 8): for every measure whose value changes when its two
inputs are swapped, ``nnclaims similarity A B`` and ``nnclaims compare MODEL_A MODEL_B`` report the library's value
for ``(A, B)``, and a control shows that ``(B, A)`` gives a different value on the same inputs — so a command that
swapped its inputs would fail here.

The asymmetric results (the rest are symmetric by definition, and the control below checks which differ):

* ``pwcca`` takes its weights from the side with fewer non-constant neurons, A on a tie — asymmetric on a tie;
* ``simple_match``: the maximum match's sizes ``[|X|, |Y|]`` and each match ``[X, Y]`` are listed A first;
* the ``neurons`` field ``[p_A, p_B]``;
* ``nnclaims search equivalent --nets``: ``output_a`` is ``net_a``'s output.
"""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from nnclaims.numeric.models import read_model
from nnclaims.numeric.similarity import pwcca, similarity_report
from nnclaims.cli.app import main
from nnclaims.cli.similarity import layer_activations

EPSILON = 0.25
TOL = 1e-12  # the CLI and the library run the same float64 code: only the JSON round trip (exact for floats)


def _inputs():
    """Two pairs on 40 points: (A1, B1) with three non-constant neurons each (a pwcca tie) and unrelated spans;
    (A2, B2) where B2's first and last neurons span A2's three, and B2's middle neuron is unrelated."""
    rng = np.random.default_rng(5)
    u, v, w, z = rng.standard_normal((4, 40))
    return (np.stack([u, v, u + v], 1), np.stack([u + 2 * v, w, z], 1),
            np.stack([u, v, u + v], 1), np.stack([u + 2 * v, w, 2 * u + v], 1))


@pytest.fixture
def files(tmp_path):
    for name, arr in zip(("A1", "B1", "A2", "B2"), _inputs()):
        np.save(tmp_path / f"{name}.npy", arr)
    return tmp_path


def _cli(*argv, out):
    assert main([str(a) for a in argv] + ["--epsilon", str(EPSILON), "--json", str(out)]) == 0
    return json.loads(out.read_text())


def _differs(x, y) -> bool:
    if isinstance(x, dict) or isinstance(y, dict):
        return x != y
    return abs(x - y) > 1e3 * TOL


def test_the_controls_are_asymmetric():
    """The chosen inputs make each asymmetric result differ when A and B are swapped (else the tests below could
    not see a swap)."""
    A1, B1, A2, B2 = _inputs()
    assert abs(pwcca(A1, B1) - pwcca(B1, A1)) > 0.01
    ab, ba = similarity_report(A2, B2, epsilon=EPSILON), similarity_report(B2, A2, epsilon=EPSILON)
    assert ab["simple_match"]["maximum_match"] == [3, 2] and ba["simple_match"]["maximum_match"] == [2, 3]
    assert ab["simple_match"]["matches"] != ba["simple_match"]["matches"]


@pytest.mark.parametrize("pair", [("A1", "B1"), ("B1", "A1"), ("A2", "B2"), ("B2", "A2")])
def test_similarity_cli_reports_the_library_value_for_A_B(files, pair):
    """``nnclaims similarity A B``: every measure equals ``similarity_report(A, B)``, and for each that differs
    under a swap the CLI's value is not the swapped one."""
    _check_similarity(files, pair)


@pytest.mark.parametrize("pair", [("A1", "B1"), ("A2", "B2")])
def test_a_command_that_swaps_its_inputs_is_caught(files, pair, monkeypatch):
    """Negative control: with the library call inside the command swapped, the check above fails."""
    import nnclaims.numeric.similarity as sim

    original = sim.similarity_report
    monkeypatch.setattr(sim, "similarity_report", lambda A, B, *args, **kw: original(B, A, *args, **kw))
    with pytest.raises(AssertionError):
        _check_similarity(files, pair)


def _check_similarity(files, pair):
    a, b = pair
    A, B = (np.load(files / f"{x}.npy") for x in pair)
    got = _cli("similarity", files / f"{a}.npy", files / f"{b}.npy", out=files / "s.json")
    want, swapped = similarity_report(A, B, epsilon=EPSILON), similarity_report(B, A, epsilon=EPSILON)
    assert got["neurons"] == [A.shape[1], B.shape[1]] and got["a"].endswith(f"{a}.npy")
    asymmetric = 0
    for key, value in want.items():
        if isinstance(value, dict):
            assert got["measures"][key] == value, key
        else:
            assert got["measures"][key] == pytest.approx(value, abs=TOL), key
        if _differs(value, swapped[key]):
            asymmetric += 1
            assert _differs(got["measures"][key], swapped[key]), f"{key}: the CLI gives the (B, A) value"
    assert asymmetric >= 1, "no measure tells A, B from B, A on these inputs: the test could not see a swap"


def test_similarity_cli_pwcca_is_the_single_measure_function_with_A_first(files):
    got = _cli("similarity", files / "A1.npy", files / "B1.npy", "--measures", "pwcca", out=files / "p.json")
    A1, B1 = np.load(files / "A1.npy"), np.load(files / "B1.npy")
    assert got["measures"]["pwcca"] == pytest.approx(pwcca(A1, B1), abs=1e-12)
    assert got["measures"]["pwcca"] != pytest.approx(pwcca(B1, A1), abs=0.01)


# ---- compare: two different networks, a hidden layer with the same number of live neurons (a pwcca tie) ---------

def _net(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4))


@pytest.fixture
def models(tmp_path):
    save_file(_net(1).state_dict(), tmp_path / "a.safetensors")  # seeds 1 and 2: 5 live hidden neurons each
    save_file(_net(2).state_dict(), tmp_path / "b.safetensors")
    np.save(tmp_path / "X.npy", np.random.default_rng(2).standard_normal((50, 3)))
    return tmp_path


@pytest.mark.parametrize("first, second", [("a", "b"), ("b", "a")])
@pytest.mark.parametrize("layer", [1, 2])
def test_compare_cli_reports_the_library_value_for_model_a_model_b(models, first, second, layer):
    X = np.load(models / "X.npy")
    acts = {m: layer_activations(read_model(str(models / f"{m}.safetensors"), activation="relu"), X, layer, "relu",
                                 str(models / "X.npy")) for m in (first, second)}
    got = _cli("compare", models / f"{first}.safetensors", models / f"{second}.safetensors", "--data",
               models / "X.npy", "--layer", layer, out=models / "c.json")
    want = similarity_report(acts[first], acts[second], epsilon=EPSILON)
    swapped = similarity_report(acts[second], acts[first], epsilon=EPSILON)
    assert got["model_a"].endswith(f"{first}.safetensors")
    for key, value in want.items():
        if isinstance(value, dict):
            assert got["measures"][key] == value, key
        else:
            assert got["measures"][key] == pytest.approx(value, abs=TOL), key
    assert _differs(want["pwcca"], swapped["pwcca"]), "control: pwcca must tell the models' order apart here"
    assert _differs(got["measures"]["pwcca"], swapped["pwcca"]), "compare gives the (MODEL_B, MODEL_A) value"


# ---- search equivalent --nets: output_a is net_a's ---------------------------------------------------------------

A_NET = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": None}
B_NET = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": [[0, 0], [1]]}  # A_NET + 1


@pytest.mark.parametrize("net_a, net_b, offset", [(A_NET, B_NET, 1), (B_NET, A_NET, -1)])
def test_search_equivalent_keeps_net_a_first(tmp_path, net_a, net_b, offset):
    from fractions import Fraction

    (tmp_path / "nets.json").write_text(json.dumps({"net_a": net_a, "net_b": net_b}))
    assert main(["search", "equivalent", "--nets", str(tmp_path / "nets.json"), "--box", "3", "--json",
                 str(tmp_path / "r.json")]) == 0
    w = json.loads((tmp_path / "r.json").read_text())["witness"]
    assert Fraction(w["output_b"][0]) - Fraction(w["output_a"][0]) == offset
