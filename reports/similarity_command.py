"""``nnclaims similarity A.npy B.npy`` and ``nnclaims compare MODEL_A MODEL_B --data X.npy --layer L``: every
representation-similarity measure of :mod:`nnclaims.numeric.similarity` side by side, as a table or JSON.

Activations are (points × neurons) arrays in ``.npy`` files, read with ``allow_pickle=False``; models are
safetensors MLPs (:mod:`nnclaims.numeric.safetensors_mlp`).  Bad input gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np

MEASURE_KEYS = ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "procrustes",
                "max_match_similarity", "simple_match")
CONVENTIONS = {
    "activations": "points × neurons; the same points, in the same order, for both",
    "rbf_cka": "sigma² = median of the n × n squared distances (diagonal included), threshold 1 (Kornblith et al.)",
    "svcca": "top singular directions keeping 99 % of the variance, then mean canonical correlation",
    "pwcca": "weights from the side with fewer non-constant neurons (A on a tie), Morcos et al.",
    "procrustes": "distance sqrt(2 − 2‖ÂᵀB̂‖_*) of centred, Frobenius-normalised activations, in [0, √2]; 0 = same",
    "max_match_similarity": "Wang et al.'s maximum match at --epsilon on the neurons; zero rows: norm ≤ 1e-16",
    "simple_match": "distinct v-minimal matches over the neurons of the maximum match, counted by size",
    "undefined": "null: a constant representation, or fewer than 4 points for the debiased CKA",
}


def _load_npy(path: str, what: str) -> np.ndarray:
    from .cli import UserError

    try:
        with open(path, "rb") as f:
            if f.read(6) != b"\x93NUMPY":
                raise UserError(f"{what} {path}: not a .npy array file")
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{what} {path}: is a directory") from None
    except (ValueError, OSError, EOFError) as e:
        reason = "holds Python objects (pickle is never loaded)" if "pickle" in str(e) else "not a .npy array file"
        raise UserError(f"{what} {path}: {reason}") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise UserError(f"{what} {path}: not a numeric array (dtype {getattr(arr, 'dtype', '?')})")
    if arr.ndim != 2:
        raise UserError(f"{what} {path}: shape {list(arr.shape)}: expected 2-D (points × neurons)")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise UserError(f"{what} {path}: shape {list(arr.shape)}: needs at least 2 points and 1 neuron")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise UserError(f"{what} {path}: contains NaN or infinite values")
    return arr


def _measures(spec: str) -> tuple[str, ...]:
    from .cli import UserError

    if spec.strip() == "all":
        return MEASURE_KEYS
    chosen = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [s for s in chosen if s not in MEASURE_KEYS]
    if bad or not chosen:
        raise UserError(f"unknown measure(s) {', '.join(bad) or '(none)'}: choose from {', '.join(MEASURE_KEYS)} or all")
    return chosen


def _report(A, B, measures, epsilon, simple_limit, json_path, header: dict) -> None:
    from nnclaims.numeric.similarity import similarity_report

    from .cli import UserError, _write_json, out

    if not (math.isfinite(epsilon) and epsilon >= 0):
        raise UserError(f"--epsilon {epsilon}: must be a finite number ≥ 0")
    if A.shape[0] != B.shape[0]:
        raise UserError(f"A has {A.shape[0]} points and B has {B.shape[0]}: the same points are needed")
    values = similarity_report(A, B, measures, epsilon, simple_limit)
    payload = {**header, "points": int(A.shape[0]), "neurons": [int(A.shape[1]), int(B.shape[1])],
               "epsilon": epsilon, "measures": values,
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
@click.argument("a", metavar="A.npy")
@click.argument("b", metavar="B.npy")
@_common
def similarity_cmd(a, b, measures, epsilon, simple_limit, json_path):
    """Every similarity measure between two activation arrays (points × neurons, .npy)."""
    chosen = _measures(measures)
    A, B = _load_npy(a, "A"), _load_npy(b, "B")
    _report(A, B, chosen, epsilon, simple_limit, json_path, {"a": a, "b": b})


@click.command("compare")
@click.argument("model_a", metavar="MODEL_A")
@click.argument("model_b", metavar="MODEL_B")
@click.option("--data", required=True, metavar="X.npy", help="inputs (points × features), the same for both models")
@click.option("--layer", required=True, type=click.IntRange(0), help="0: the data; L: after the L-th linear layer")
@_common
def compare_cmd(model_a, model_b, data, layer, measures, epsilon, simple_limit, json_path):
    """Every similarity measure between one layer of two safetensors MLPs on the same data."""
    from nnclaims.numeric.safetensors_mlp import ModelFormatError, layer_activations, read_model

    from .cli import UserError

    chosen = _measures(measures)
    X = _load_npy(data, "--data")
    try:
        A = layer_activations(read_model(model_a), X, layer)
        B = layer_activations(read_model(model_b), X, layer)
    except ModelFormatError as e:
        raise UserError(str(e)) from None
    _report(A, B, chosen, epsilon, simple_limit, json_path,
            {"model_a": model_a, "model_b": model_b, "data": data, "layer": layer})
