"""The ``nnclaims similarity`` and ``nnclaims compare`` commands.

``nnclaims similarity A B`` and ``nnclaims compare MODEL_A MODEL_B --data X --layer L``: every
representation-similarity measure of :mod:`nnclaims.numeric.similarity` side by side, as a table or JSON.

Files are read by the project's one set of readers, as ``nnclaims measure`` reads them: activations and data
(points × neurons / features) by :func:`nnclaims.numeric.arrays.read_array` (``.npy``/``.npz`` with
``allow_pickle=False``, ``.csv``), models by :func:`nnclaims.numeric.models.read_model` (safetensors, never a
pickle), and a model's layers computed by :func:`nnclaims.numeric.agop.forward_layers`.  Bad input gives one
line on stderr and exit status 2.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np

from .model_options import ACTIVATION_NAMES, LAYOUTS_HELP

MEASURE_KEYS = ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "pwcca_authors_code",
                "procrustes", "max_match_similarity", "simple_match")
CONVENTIONS = {
    "activations": "points × neurons; the same points, in the same order, for both",
    "rbf_cka": "sigma² = median of the n × n squared distances (diagonal included), threshold 1 (Kornblith et al.)",
    "cca_mean": "mean canonical correlation over min(rank A, rank B); the references divide by min(p1, p2)",
    "svcca": "top singular directions keeping 99 % of the variance, then mean canonical correlation",
    "pwcca": "the paper's formula (Morcos et al.; = Ding et al.'s sim_metric): canonical variates, centred neurons, "
             "weights from the side with fewer non-constant neurons (A on a tie)",
    "pwcca_authors_code": "as google/svcca's pwcca.py computes it (directions without Σxx^-½, weights from uncentred "
                          "activations): not the paper's formula",
    "procrustes": "distance sqrt(2 − 2‖ÂᵀB̂‖_*) of centred, Frobenius-normalised activations, in [0, √2]; 0 = same",
    "max_match_similarity": "Wang et al.'s maximum match at --epsilon on the neurons; zero rows: norm ≤ 1e-16",
    "simple_match": "distinct v-minimal matches over the neurons of the maximum match, counted by size",
    "undefined": "null: a constant representation, fewer than 4 points for the debiased CKA, or for the CCA measures "
                 "a side with at least points − 1 neurons (see warnings)",
}


def _points(A: np.ndarray, what: str, path) -> np.ndarray:
    """``A`` (read by :func:`nnclaims.numeric.arrays.read_array`) as float64 points × neurons, at least 2 points."""
    from ._common import UserError

    if A.ndim != 2:
        raise UserError(f"{what} {path}: shape {list(A.shape)}: expected 2-D (points × neurons)")
    if A.shape[0] < 2:
        raise UserError(f"{what} {path}: shape {list(A.shape)}: needs at least 2 points")
    return np.ascontiguousarray(A, dtype=np.float64)


def _read_points(path: str, what: str) -> np.ndarray:
    """Activations (``A``, ``B``) or data (``--data``), read as ``nnclaims measure`` reads ``--data``."""
    from nnclaims.numeric.arrays import data_matrix, read_array
    from nnclaims.numeric.models import InputFileError

    from ._common import UserError

    try:
        arr = read_array(path, option=what)
        if what == "--data":
            arr = data_matrix(arr, path)
    except InputFileError as e:
        raise UserError(str(e)) from None
    return _points(arr, what, path)


def layer_activations(net, X: np.ndarray, layer: int, activation: str, data: str) -> np.ndarray:
    """Layer ``layer`` of the network ``net`` (a :class:`nnclaims.numeric.models.FeedForward`) on the data
    ``X`` (points × features, float64), computed in float64: 0 is the data, ``L`` the output of the L-th linear
    layer with ``activation`` applied, except the last layer's output, which is linear."""
    import torch

    from nnclaims.numeric.agop import forward_layers

    from ._common import UserError

    depth = len(net.weights)
    if layer > depth:
        raise UserError(f"{net.path}: layer {layer} does not exist: its layers are 0 (the data) to {depth} (the output)")
    if X.shape[1] != net.widths[0]:
        raise UserError(f"{net.path}: its first layer takes {net.widths[0]} inputs, but --data {data} has "
                        f"{X.shape[1]} features per sample")
    if layer == 0:
        return X
    weights, biases = net.stacked(torch.float64)
    outs = forward_layers(weights, torch.from_numpy(X)[None], activation, biases=biases)
    return outs[layer - 1][0].numpy()


def _measures(spec: str) -> tuple[str, ...]:
    from ._common import UserError

    if spec.strip() == "all":
        return MEASURE_KEYS
    chosen = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [s for s in chosen if s not in MEASURE_KEYS]
    if bad or not chosen:
        raise UserError(f"unknown measure(s) {', '.join(bad) or '(none)'}: choose from {', '.join(MEASURE_KEYS)} or all")
    return chosen


def _report(A, B, measures, epsilon, simple_limit, json_path, header: dict) -> None:
    from nnclaims.numeric.similarity import similarity_report, similarity_warnings

    from ._common import UserError, _write_json, err, out

    if not (math.isfinite(epsilon) and epsilon >= 0):
        raise UserError(f"--epsilon {epsilon}: must be a finite number ≥ 0")
    if A.shape[0] != B.shape[0]:
        raise UserError(f"A has {A.shape[0]} points and B has {B.shape[0]}: the same points are needed")
    values = similarity_report(A, B, measures, epsilon, simple_limit)
    warnings = similarity_warnings(A.shape[0], A.shape[1], B.shape[1], measures)
    for w in warnings:
        err.print(f"nnclaims: warning: {w}", markup=False, highlight=False, soft_wrap=True)
    payload = {**header, "points": int(A.shape[0]), "neurons": [int(A.shape[1]), int(B.shape[1])],
               "epsilon": epsilon, "measures": values, "warnings": warnings,
               "conventions": {k: v for k, v in CONVENTIONS.items() if k in measures or k in ("activations", "undefined")}}
    if json_path:
        _write_json(Path(json_path), payload)
    from rich.table import Table

    t = Table("measure", "value", title=f"{A.shape[0]} points, {A.shape[1]} vs {B.shape[1]} neurons, ε = {epsilon}")
    for name, v in values.items():
        if name == "simple_match":
            text = (f"{v['count']} simple matches ({v['one_to_one']} one-to-one), sizes {v['sizes']}" if v["computed"]
                    else f"not computed: {v['reason']}")
        else:
            text = "undefined" if v is None else f"{v:.6g}"
        t.add_row(name, text)
    out.print(t)


def _common(fn):
    fn = click.option("--json", "json_path", type=click.Path(dir_okay=False), help="write the results as JSON")(fn)
    fn = click.option("--simple-limit", type=click.IntRange(0), default=64, show_default=True,
                      help="compute simple matches only when the maximum match has at most this many neurons")(fn)
    fn = click.option("--epsilon", type=float, default=0.25, show_default=True,
                      help="ε of the maximum match and the simple matches")(fn)
    fn = click.option("--measures", default="all", show_default=True,
                      help=f"comma-separated, from: {', '.join(MEASURE_KEYS)}")(fn)
    return fn


@click.command("similarity")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@_common
def similarity_cmd(a, b, measures, epsilon, simple_limit, json_path):
    """Every similarity measure between two activation arrays A and B (points × neurons, the same points in the
    same order): .npy or .npz (read with allow_pickle=False; FILE.npz:KEY picks an array) or .csv."""
    chosen = _measures(measures)
    A, B = _read_points(a, "A"), _read_points(b, "B")
    _report(A, B, chosen, epsilon, simple_limit, json_path, {"a": a, "b": b})


COMPARE_HELP = """Every similarity measure between one layer of two feed-forward networks on the same data.

MODEL_A and MODEL_B are safetensors files (never pickles) of feed-forward networks, """ + LAYOUTS_HELP + """
The activation is not stored in a state_dict: give it with --activation (relu by default, the same for both
models). It is applied after every linear layer but the last, whose output is linear. --layer 0 is the data,
--layer L the output of the L-th linear layer (its activation applied; the last layer's output as it is).

--data: (points × features), .npy or .npz (read with allow_pickle=False; FILE.npz:KEY picks an array) or .csv
(comma-separated, optional header row), read as nnclaims measure reads it. Computed in float64.
"""


@click.command("compare", help=COMPARE_HELP)
@click.argument("model_a", metavar="MODEL_A")
@click.argument("model_b", metavar="MODEL_B")
@click.option("--data", required=True, metavar="FILE",
              help="inputs (points × features), the same for both models: .npy, .npz or .csv")
@click.option("--layer", required=True, type=click.IntRange(0),
              help="0: the data; L: the output of the L-th linear layer (activation applied, except after the last)")
@click.option("--activation", type=click.Choice(ACTIVATION_NAMES), default="relu", show_default=True,
              help="applied after every linear layer but the last (which is linear), in both models")
@_common
def compare_cmd(model_a, model_b, data, layer, activation, measures, epsilon, simple_limit, json_path):
    from nnclaims.numeric.models import InputFileError, read_model

    from ._common import UserError

    chosen = _measures(measures)
    try:
        nets = [read_model(path, activation=activation) for path in (model_a, model_b)]
    except InputFileError as e:
        raise UserError(str(e)) from None
    X = _read_points(data, "--data")
    A, B = (layer_activations(net, X, layer, activation, data) for net in nets)
    _report(A, B, chosen, epsilon, simple_limit, json_path,
            {"model_a": model_a, "model_b": model_b, "data": data, "layer": layer, "activation": activation})
