"""``nnclaims measure``: the seeds' per-layer quantities on the user's own model and data.

A thin wrapper: :func:`nnclaims.numeric.models.read_model` and :func:`nnclaims.numeric.arrays.read_array` read
and check the files (one-line errors, exit 2), :func:`nnclaims.numeric.measure.measure` computes, this module
prints a table and writes JSON.  The shared CLI helpers are :mod:`nnclaims.cli._common`'s; :mod:`nnclaims.cli.app`
registers this command.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from .model_options import ACTIVATION_NAMES, LAYOUTS_HELP

__all__ = ["measure_cmd", "OPTIONAL_SECTIONS"]

# Optional measurements, one ``--NAME`` flag each: NAME -> ("package.module:function", help).  The function is
# called as fn(weights, biases, X, Y, activation) on the stacked float64 tensors (see ``sections`` in
# nnclaims.numeric.measure.measure) and its dict lands under NAME in the output.
OPTIONAL_SECTIONS: dict[str, tuple[str, str]] = {
    "hessian": ("nnclaims.numeric.curvature_summary:hessian_section",
                "add the loss Hessian's rank, Gauss–Newton rank, top eigenvalues, trace and residual-term norm, "
                "printed and in the JSON (of the mean loss: squared error ½(f − y)² for value targets, softmax "
                "cross-entropy for class labels, averaged over the samples; float64; needs --targets; within a 2 GiB "
                "budget: H dense below P ≈ 11,500, the Gauss–Newton rank exact while the n·q × n·q Gram matrix "
                "fits; the JSON names the method of each number)"),
}
NEEDS_TARGETS = ("hessian",)

HELP = """Measure the seeds' per-layer quantities on your own network and data.

MODEL is a safetensors file (never a pickle) of a feed-forward network, """ + LAYOUTS_HELP + """
The activation is not stored in a state_dict: give it with --activation (the output layer has none).
--data and --targets: .npy or .npz (read with allow_pickle=False; FILE.npz:KEY picks an array) or .csv
(comma-separated, optional header row). Targets are (samples, outputs) values or class labels 0..q-1.

Per weight layer: nfa_cosine = cos(WᵀW, AGOP) with AGOP the mean of JᵀJ, J the Jacobian of the output
with respect to the layer's input; nfa_pearson; sqrt_agop_cosine; isotropy_cosine = cos(G, I) for
AGOP = WᵀGW, and restricted to range(W); rank and effective rank of W and AGOP; feature rank of the
layer's outputs on the data. Float64 by default; definitions are written into the JSON.
"""


def _section_flags(fn):
    for name, (_, text) in reversed(list(OPTIONAL_SECTIONS.items())):
        fn = click.option(f"--{name}", f"section_{name}", is_flag=True, help=text)(fn)
    return fn


def _resolve(link: str):
    module, _, name = link.partition(":")
    return getattr(importlib.import_module(module), name)


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _print_table(result: dict) -> None:
    from rich.table import Table

    from ._common import out

    m, d, t = result["model"], result["data"], result["targets"]
    out.print(f"model {m['path']}: {m['layout']} {m['architecture']}, {m['activation']}, {m['parameters']} parameters "
              f"({m['file_dtype']}), computed in {m['dtype']} on {m['device']}", highlight=False, markup=False,
              soft_wrap=True)
    out.print(f"data: {d['shape'][0]} × {d['shape'][1]}, rank {d['rank']}, sha256 {d['sha256'][:16]}…", highlight=False,
              soft_wrap=True)
    if t is not None:
        fit = ", ".join(f"{k} {_fmt(v)}" for k, v in t.items() if k in ("mse", "cross_entropy", "accuracy"))
        out.print(f"targets: {' × '.join(map(str, t['shape']))} ({t['kind']}): {fit}", highlight=False, soft_wrap=True)
    keys = ("shape", "nfa_cosine", "nfa_pearson", "sqrt_agop_cosine", "isotropy_cosine", "isotropy_cosine_on_range",
            "rank_W", "effective_rank_W", "rank_AGOP", "effective_rank_AGOP", "feature_rank")
    per_table = max(1, (out.width - 29) // 14)  # layers side by side that fit the terminal; more go in further tables
    for start in range(0, len(result["layers"]), per_table):
        layers = result["layers"][start:start + per_table]
        table = Table("quantity", *(f"layer {r['layer']}" + (" (output)" if r["output_layer"] else "") for r in layers))
        for k in keys:
            table.add_row(k if k != "shape" else "W (out × in)",
                          *("×".join(map(str, r[k])) if k == "shape" else _fmt(r[k]) for r in layers))
        out.print(table)
    out.print("output layer: J = I, so AGOP = WᵀW and its cosines are 1 by construction; effective rank: Roy & "
              "Vetterli; ranks: numpy's tolerance (definitions in the JSON)", highlight=False, style="dim")
    if result.get("hessian"):
        for line in _hessian_lines(result["hessian"]):
            out.print(line, highlight=False, markup=False, soft_wrap=True)


def _hessian_lines(h: dict) -> list[str]:
    """The ``--hessian`` section as terminal lines: every number with the method that gave it."""
    loss = {"mse": "½|f − y|²", "xent": "softmax cross-entropy"}[h["loss"]]
    rank = (f"{h['rank']:,}" if h["rank"] is not None
            else f"in [{h['rank_interval'][0]:,}, {h['rank_interval'][1]:,}]")
    gn = "not computed" if h["gauss_newton_rank"] is None else f"{h['gauss_newton_rank']:,}"
    trace = f"{h['trace']:.6g}" + (f" ± {h['trace_stderr']:.2g}" if "trace_stderr" in h else "")
    return [f"Hessian of the {h['loss_reduction']} loss ({loss}, {h['loss_reduction']} over {h['samples']} samples "
            f"= {h['loss_value']:.6g}), P = {h['parameters']:,}, float64:",
            f"  rank {rank} ({h['rank_method']})",
            f"  Gauss–Newton rank {gn} ({h['gauss_newton_rank_method']})",
            f"  top eigenvalues {', '.join(f'{v:.6g}' for v in h['top_eigenvalues'])} ({h['eigenvalues_method']})",
            f"  trace {trace} ({h['trace_method']})",
            f"  residual term ‖H − G‖₂ {h['residual_norm']:.6g} ({h['residual_norm_method']})"]


def _provenance() -> dict:
    import platform
    from importlib import metadata

    def version(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {"python": platform.python_version(), "argv": list(sys.argv),
            "versions": {p: version(p) for p in ("nnclaims", "torch", "numpy", "safetensors")}}


@click.command("measure", help=HELP)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--data", "data_path", required=True, metavar="FILE", help="inputs, (samples, features): .npy, .npz or .csv")
@click.option("--targets", "targets_path", default=None, metavar="FILE",
              help="optional targets: (samples, outputs) values or class labels 0..q-1 (.npy, .npz or .csv)")
@click.option("--activation", type=click.Choice(ACTIVATION_NAMES), default="relu", show_default=True,
              help="the hidden layers' activation")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write the results JSON here")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
              help="precision of every computation")
@click.option("--chunk", type=click.IntRange(min=1), default=None,
              help="samples per chunk of the AGOP sweep (default: sized to ~32 MiB per Jacobian block)")
@_section_flags
def measure_cmd(model, data_path, targets_path, activation, json_path, device, dtype, chunk, **section_flags):
    import torch

    from nnclaims.numeric.arrays import data_matrix, read_array
    from nnclaims.numeric.measure import measure, target_kind
    from nnclaims.numeric.models import InputFileError, read_model

    from ._common import UserError, _write_json, err, resolve_device
    from nnclaims.reports.render import check_file_target

    if json_path:
        check_file_target(json_path, "--json")  # refused before any work, as the other commands do
    dev = resolve_device(device)
    try:
        net = read_model(model, activation=activation)
        X = data_matrix(read_array(data_path, option="--data"), data_path, width=net.widths[0])
        Y = read_array(targets_path, option="--targets") if targets_path is not None else None
    except InputFileError as e:
        raise UserError(str(e)) from None
    if Y is not None:
        try:
            target_kind(Y, X.shape[0], net.widths[-1])
        except ValueError as e:
            raise UserError(f"--targets {targets_path}: {e}") from None
    sections = {name: _resolve(OPTIONAL_SECTIONS[name][0]) for name in OPTIONAL_SECTIONS
                if section_flags.get(f"section_{name}")}
    for name in sections:
        if name in NEEDS_TARGETS and Y is None:
            raise UserError(f"--{name} needs --targets (the loss and its curvature depend on the targets)")
    try:
        result = measure(net, X, Y, activation=activation, dtype=getattr(torch, dtype), device=dev, chunk_size=chunk,
                         sections=sections)
    except torch.OutOfMemoryError:
        raise UserError(f"out of memory on {dev}: try a smaller --chunk (or --device cpu)") from None
    result["data"]["path"] = str(data_path)
    if result["targets"] is not None:
        result["targets"]["path"] = str(targets_path)
    result["provenance"] = _provenance()
    _print_table(result)
    if json_path:
        _write_json(json_path, result)
        err.print(f"wrote {json_path}")
