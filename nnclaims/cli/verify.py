"""The ``verify`` and ``report`` commands: run the layers on the chosen claims, print the verdicts, write the report.

Every output place (``--json``, ``--out``) is checked before any work, and results that cannot be written at the end
are saved to a temporary file whose path is printed (:func:`nnclaims.cli._common._save`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List

import click
from rich.markup import escape
from rich.text import Text

from nnclaims.backends import backend_options
from nnclaims.inputs import read_json
from nnclaims.proofs._z3 import MAX_SEED
from nnclaims.proofs.catalogue import UnknownClaimError, claims, get_claim
from nnclaims.verdict import LAYERS, NumericConfig, verify

from . import provenance
from ._common import SEED, Interrupted, UserError, _print_rows, _save, claims_option, err, out, progress_line, resolve_device

MAX_NETWORKS = 4096
"""Networks in the numeric zoo: every check trains and holds all of them at once; the run time grows linearly
(about 1.3 s per network for all checks on the 2-core reference CPU, so 4,096 take about an hour and a half)."""


VERDICT_STYLE = {
    "true": "green", "false": "red", "conditional": "yellow",
    "supported": "green", "unsupported": "red", "open": "dim",
}


def _parse_layers(spec: str) -> tuple[str, ...]:
    layers = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [s for s in layers if s not in LAYERS]
    if bad or not layers:
        raise UserError(f"unknown layer(s) {', '.join(bad) or '(none)'}: choose from {','.join(LAYERS)}")
    return layers


def _check_ids(ids: List[str]) -> List[str]:
    for i in ids:
        try:
            get_claim(i)
        except UnknownClaimError as e:
            raise UserError(str(e)) from None
    return ids


def run_verify(ids, layers, networks, device, seed, progress=True, backend="local", address=None, claim_specs=(),
               max_in_flight=None, lines=False):
    """Validate the options and run the layers; returns the list of outcomes (used by report too).  ``lines``:
    with ``progress``, also a plain line per claim when stderr is not a terminal (:func:`progress_line`).  With
    ``backend="ray"`` every claim is one task on the Ray cluster at ``address`` (a local one without it), in a
    fresh worker process that loads ``claim_specs`` (the ``--claims`` modules) too; the outcomes come back in the
    claims' order."""
    from nnclaims.backends import check_backend

    check_verify_options(ids, layers, networks, device)
    check_backend(backend, address)
    layer_t = _parse_layers(layers)
    ids = _check_ids(list(ids))
    chosen = [get_claim(i) for i in ids] if ids else list(claims())
    from rich.progress import Progress

    if backend == "ray":
        return _verify_on_ray(chosen, layer_t, networks, device, seed, progress, address, claim_specs, max_in_flight,
                              lines)
    dev = resolve_device(device) if "numeric" in layer_t else (device if device != "auto" else "cpu")
    config = NumericConfig(networks=networks, device=dev, seed=seed)
    outcomes = []
    with Progress(console=err, transient=True, disable=not progress) as bar:
        task = bar.add_task("verifying", total=len(chosen))
        for k, claim in enumerate(chosen, 1):
            bar.update(task, description=claim.id)
            outcomes.append(verify(claim, layer_t, config))
            bar.advance(task)
            if progress and lines:
                o = outcomes[-1]
                progress_line(f"verified {k}/{len(chosen)}: {claim.id}: {o.verdict.value} "
                              f"({sum(o.seconds.values()):.1f} s)")
    return outcomes, config, layer_t


def _verify_on_ray(chosen, layer_t, networks, device, seed, progress, address, claim_specs, max_in_flight,
                   lines=False):
    """:func:`run_verify` on a Ray cluster: one claim per task (:mod:`nnclaims.verify_units`)."""
    from rich.progress import Progress

    from nnclaims.backends import cluster, cluster_device

    from nnclaims.verify_units import claim_sources, verify_on_cluster

    sources = claim_sources(claim_specs)
    with cluster(address) as cl:
        dev = cluster_device(device, cl) if "numeric" in layer_t else (device if device != "auto" else "cpu")
        config = NumericConfig(networks=networks, device=dev, seed=seed)
        arrived = []

        def done(cid):
            bar.update(task, advance=1, description=cid)
            arrived.append(cid)
            if progress and lines:
                progress_line(f"verified {len(arrived)}/{len(chosen)}: {cid}")

        with Progress(console=err, transient=True, disable=not progress) as bar:
            task = bar.add_task(f"verifying on Ray ({cl.cpus} CPUs, {cl.gpus} GPUs)", total=len(chosen))
            outcomes = verify_on_cluster(chosen, layer_t, config, sources, num_gpus=1 if dev == "cuda" else 0,
                                         on_done=done, max_in_flight=max_in_flight)
    return outcomes, config, layer_t


def check_verify_options(ids, layers, networks, device) -> None:
    """Every check of ``verify``/``report``'s options that needs no work, so that a mistake fails at once."""
    if networks < 1:
        raise UserError(f"--networks must be at least 1 (got {networks})")
    if networks > MAX_NETWORKS:
        raise UserError(f"--networks {networks} is above the limit {MAX_NETWORKS} (every check trains and holds "
                        "all networks at once; see nnclaims verify --help)")
    layer_t = _parse_layers(layers)
    if "numeric" in layer_t:
        resolve_device(device)
    elif device not in ("auto", "cpu", "cuda"):
        raise UserError(f"unknown device {device!r}: choose auto, cpu or cuda")
    _check_ids(list(ids))


def results_payload(outcomes, config, layers) -> dict:
    """The results as ``results.json`` holds them: plain JSON values only (an exact SymPy number a record carries
    becomes its string), so the report rendered now and one rendered later ``--from`` the file are the same."""
    payload = {
        "claims": [o.to_json() for o in outcomes],
        "counts": {v: sum(o.verdict.value == v for o in outcomes) for v in VERDICT_STYLE},
        "provenance": {**provenance.collect(config=config, layers=layers, argv=sys.argv),
                       "wall_seconds": {layer: round(sum(o.seconds.get(layer, 0.0) for o in outcomes), 3)
                                        for layer in layers}},
    }
    return json.loads(json.dumps(payload, default=str))


def _print_details(o) -> None:
    """Every derivation step (with its role) and the search and numeric records, as readable text."""
    from nnclaims.reports.render import layer_summary, readable, step_mark, witness_lines

    rec = o.records.get("symbolic")
    for n, step in enumerate(getattr(rec, "steps", ()), 1):
        mark = step_mark({"holds": step.holds, "role": getattr(step, "role", "derives")})[0]
        out.print(f"{o.claim.id} [{n}] {mark} {step.description}", highlight=False, markup=False, soft_wrap=True)
    if getattr(rec, "counterexample", None):
        for line in witness_lines(rec.counterexample):
            out.print(f"{o.claim.id} [counterexample] {line}", highlight=False, markup=False, soft_wrap=True)
    for layer in ("search", "numeric"):
        r = o.records.get(layer)
        if r is None or isinstance(r, dict):
            continue
        summary = r.to_json()
        status, details = layer_summary(layer, summary, getattr(o.verdict, "value", o.verdict))
        out.print(f"{o.claim.id} [{layer}] {status}{details}", highlight=False, markup=False, soft_wrap=True)
        for line in witness_lines(summary["witness"]) if summary.get("witness") else ():
            out.print(f"{o.claim.id} [{layer} witness] {line}", highlight=False, markup=False, soft_wrap=True)
        if layer == "numeric" and summary.get("details", {}).get("error"):
            out.print(f"{o.claim.id} [numeric] {readable(summary['details']['error'])}", highlight=False, markup=False,
                      soft_wrap=True)


@click.command("verify", epilog=f"Limits: --networks up to {MAX_NETWORKS} (every check trains and holds all networks "
                              "at once, and the run time grows linearly: about 1.3 s per network on a 2-core CPU); "
                              f"--seed from 0 to {MAX_SEED} (Z3's seed is 32 bits).")
@click.argument("ids", nargs=-1)
@click.option("--layers", default=",".join(LAYERS), show_default=True, help="comma-separated: symbolic,search,numeric")
@click.option("--networks", default=16, type=int, show_default=True,
              help=f"networks in the numeric zoo (1 to {MAX_NETWORKS})")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--seed", default=0, type=SEED, show_default=True, help="seed for every random choice")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write results JSON here")
@backend_options
@claims_option
def verify_cmd(ids, layers, networks, device, seed, json_path, backend, address):
    """Run the chosen layers on the chosen claims and print their verdicts (with --backend ray: the claims in
    parallel, one task each)."""
    from nnclaims.backends import check_backend

    from nnclaims.reports.render import check_file_target, readable_evidence

    check_verify_options(ids or [], layers, networks, device)
    check_backend(backend, address)
    if json_path is not None:
        check_file_target(json_path, "--json")
    specs = click.get_current_context().meta.get("nnclaims.claims", ())
    try:
        outcomes, config, layer_t = run_verify(ids or [], layers, networks, device, seed, backend=backend,
                                               address=address, claim_specs=specs)
    except KeyboardInterrupt:
        if backend == "local":
            raise  # as before: click's abort
        raise Interrupted("verify stopped: the claims' tasks were cancelled; nothing was written") from None
    _print_rows(("id", "verdict", "evidence"),
                [(o.claim.id, Text(o.verdict.value, style=VERDICT_STYLE[o.verdict.value]), readable_evidence(o.evidence))
                 for o in outcomes])
    if len(outcomes) <= 3:  # a few claims: show what was computed, step by step
        for o in outcomes:
            _print_details(o)
    for o in outcomes:
        if o.disagreement:
            err.print(f"[bold red]DISAGREEMENT[/] {escape(o.claim.id)}: {escape(o.disagreement)}", soft_wrap=True)
        for layer, rec in o.records.items():
            if isinstance(rec, dict) and rec.get("status") == "error":
                err.print(f"[red]layer error[/] {escape(o.claim.id)} \\[{layer}]: {escape(str(rec['error']))}",
                          soft_wrap=True)
    if json_path:
        _save(json_path, results_payload(outcomes, config, layer_t), "--json")


@click.command("report")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports/latest"), show_default=True,
              help="folder for the report: a new or empty folder, or one that holds an earlier nnclaims report "
                   "(only that report's own files are replaced; nothing else in the folder is touched)")
@click.option("--networks", default=16, type=int, show_default=True,
              help=f"networks in the numeric zoo (1 to {MAX_NETWORKS})")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--seed", default=0, type=SEED, show_default=True, help="seed for every random choice")
@click.option("--from", "from_json", type=click.Path(path_type=Path), default=None,
              help="render from a results.json instead of running")
@claims_option
def report_cmd(out_dir, networks, device, seed, from_json):
    """Run every claim (or read --from) and write results.json, report.md and index.html."""
    from nnclaims.reports.render import check_report_target, save_rescue, validate_results, write_report

    check_report_target(out_dir)
    if from_json is not None:
        payload = validate_results(read_json(from_json, f"--from {from_json}", nonfinite=True), f"--from {from_json}")
    else:
        check_verify_options([], ",".join(LAYERS), networks, device)
        outcomes, config, layer_t = run_verify([], ",".join(LAYERS), networks, device, seed, lines=True)
        payload = results_payload(outcomes, config, layer_t)
    try:
        paths = write_report(payload, out_dir)
    except OSError as e:
        rescue = save_rescue(payload) if from_json is None else None
        kept = (f"; the computed results are saved in {rescue}" if rescue else
                "" if from_json is not None else "; the results could not be saved anywhere")
        raise UserError(f"--out {out_dir}: writing the report failed ({e.strerror or e}){kept}") from None
    except Exception:  # a rendering defect: the minutes of computation are kept before the error propagates
        rescue = save_rescue(payload) if from_json is None else None
        if rescue:
            err.print(f"nnclaims: rendering the report failed; the computed results are saved in {rescue} "
                      f"(render them with: nnclaims report --from {rescue} --out {out_dir})", highlight=False,
                      markup=False, soft_wrap=True)
        raise
    for p in paths:
        err.print(f"wrote {p}", highlight=False, markup=False, soft_wrap=True)
