"""The ``nnclaims`` command: thin wrappers over the catalogue, the layers, the verdict and the report.

Errors in what the user typed give one line on stderr and exit status 2; a refuted claim is a
result (exit 0), not an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List

import click
from rich.console import Console
from rich.table import Table

from nnclaims.proofs.catalogue import ClaimRegistrationError, UnknownClaimError, claims, get_claim, load_claims_module

from . import provenance
from .verdict import LAYERS, NumericConfig, verify

@click.group(help="Verify claims about neural networks: symbolic proofs, exact searches, numeric checks.")
def app():
    pass


out = Console()
err = Console(stderr=True)

VERDICT_STYLE = {
    "true": "green", "false": "red", "conditional": "yellow",
    "supported": "green", "unsupported": "red", "open": "dim",
}


class UserError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def _parse_layers(spec: str) -> tuple[str, ...]:
    layers = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [s for s in layers if s not in LAYERS]
    if bad or not layers:
        raise UserError(f"unknown layer(s) {', '.join(bad) or '(none)'}: choose from {','.join(LAYERS)}")
    return layers


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when available else ``cpu``; ``cuda`` without a GPU is an error."""
    if device not in ("auto", "cpu", "cuda"):
        raise UserError(f"unknown device {device!r}: choose auto, cpu or cuda")
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' asked for, but no CUDA GPU is available (use --device cpu or auto)")
    return device


def _check_ids(ids: List[str]) -> List[str]:
    for i in ids:
        try:
            get_claim(i)
        except UnknownClaimError as e:
            raise UserError(str(e)) from None
    return ids


def _link_name(link) -> str | None:
    """A layer link for display: the ``module:function`` string, or the callable's qualified name."""
    if link is None or isinstance(link, str):
        return link
    return f"{getattr(link, '__module__', '?')}:{getattr(link, '__qualname__', repr(link))}"


def _load_claims(specs) -> None:
    """Import the ``--claims`` modules (each registers claims); a failure is one line and exit 2."""
    for spec in specs or ():
        try:
            load_claims_module(spec)
        except ClaimRegistrationError as e:
            raise UserError(str(e)) from None


def _write_json(path: Path, payload: dict) -> None:
    """Write atomically: a crash never leaves a half-written file that looks whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    tmp.replace(path)


def claims_option(fn):
    """``--claims MODULE`` (repeatable): import a module or .py file that registers its own claims."""
    return click.option("--claims", "claim_modules", multiple=True, metavar="MODULE", expose_value=False,
                        is_eager=True, callback=lambda ctx, param, value: _load_claims(value),
                        help="a module path or .py file that registers claims (repeatable); installed plug-ins "
                             "(entry points 'nnclaims.claims') load by themselves")(fn)


@app.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@claims_option
def list_claims(as_json: bool):
    """List every claim: id, source, statement."""
    rows = [{"id": c.id, "source": c.source, "kind": c.kind, "statement": c.statement,
             "quote": c.quote, **{k: _link_name(v) for k, v in c.layers().items()}} for c in claims()]
    if as_json:
        click.echo(json.dumps({"claims": rows}, indent=2))
        return
    t = Table("id", "source", "statement", show_lines=False)
    for r in rows:
        t.add_row(r["id"], r["source"], r["statement"])
    out.print(t)


def run_verify(ids, layers, networks, device, seed, progress=True):
    """Validate the options and run the layers; returns the list of outcomes (used by report too)."""
    if networks < 1:
        raise UserError(f"--networks must be at least 1 (got {networks})")
    layer_t = _parse_layers(layers)
    dev = resolve_device(device) if "numeric" in layer_t else (device if device != "auto" else "cpu")
    ids = _check_ids(list(ids))
    config = NumericConfig(networks=networks, device=dev, seed=seed)
    chosen = [get_claim(i) for i in ids] if ids else list(claims())
    outcomes = []
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=not progress) as bar:
        task = bar.add_task("verifying", total=len(chosen))
        for claim in chosen:
            bar.update(task, description=claim.id)
            outcomes.append(verify(claim, layer_t, config))
            bar.advance(task)
    return outcomes, config, layer_t


def results_payload(outcomes, config, layers) -> dict:
    return {
        "claims": [o.to_json() for o in outcomes],
        "counts": {v: sum(o.verdict.value == v for o in outcomes) for v in VERDICT_STYLE},
        "provenance": {**provenance.collect(config=config, layers=layers, argv=sys.argv),
                       "wall_seconds": {layer: round(sum(o.seconds.get(layer, 0.0) for o in outcomes), 3)
                                        for layer in layers}},
    }


@app.command("verify")
@click.argument("ids", nargs=-1)
@click.option("--layers", default=",".join(LAYERS), show_default=True, help="comma-separated: symbolic,search,numeric")
@click.option("--networks", default=16, type=int, show_default=True, help="networks in the numeric zoo")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--seed", default=0, type=int, show_default=True, help="seed for every random choice")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write results JSON here")
@claims_option
def verify_cmd(ids, layers, networks, device, seed, json_path):
    """Run the chosen layers on the chosen claims and print their verdicts."""
    outcomes, config, layer_t = run_verify(ids or [], layers, networks, device, seed)
    t = Table("id", "verdict", "evidence")
    for o in outcomes:
        style = VERDICT_STYLE[o.verdict.value]
        t.add_row(o.claim.id, f"[{style}]{o.verdict.value}[/{style}]", o.evidence)
    out.print(t)
    if len(outcomes) <= 3:  # a few claims: show what was computed, step by step
        for o in outcomes:
            rec = o.records.get("symbolic")
            for n, step in enumerate(getattr(rec, "steps", ()), 1):
                mark = "✓" if step.holds else "✗"
                out.print(f"{o.claim.id} [{n}] {mark} {step.description}", highlight=False, markup=False)
            for layer in ("search", "numeric"):
                r = o.records.get(layer)
                if r is not None and not isinstance(r, dict):
                    summary = r.to_json()
                    keep = {k: summary.get(k) for k in ("status", "statistic", "value", "tolerance", "threshold",
                                                        "bounds", "witness", "rechecked") if summary.get(k) is not None}
                    out.print(f"{o.claim.id} [{layer}] {json.dumps(keep, default=str, ensure_ascii=False)}", highlight=False,
                              markup=False, soft_wrap=True)
    for o in outcomes:
        if o.disagreement:
            err.print(f"[bold red]DISAGREEMENT[/] {o.claim.id}: {o.disagreement}")
        for layer, rec in o.records.items():
            if isinstance(rec, dict) and rec.get("status") == "error":
                err.print(f"[red]layer error[/] {o.claim.id} [{layer}]: {rec['error']}")
    if json_path:
        _write_json(json_path, results_payload(outcomes, config, layer_t))
        err.print(f"wrote {json_path}")


def _hidden_widths(spec: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in spec.split(","))
    except ValueError:
        raise UserError(f"--hidden must be comma-separated widths such as 2 or 3,2 (got {spec!r})") from None
    if not widths or min(widths) < 1:
        raise UserError(f"--hidden widths must be at least 1 (got {spec!r})")
    return widths


def _load_nets(path) -> dict:
    """Read two networks from JSON (never pickle): top-level or under "witness"; one-line errors."""
    if path is None:
        raise UserError("search 'equivalent' needs --nets FILE.json with net_a and net_b")
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise UserError(f"--nets {path}: cannot read ({e.strerror})") from None
    except ValueError:
        raise UserError(f"--nets {path}: not a JSON file") from None
    data = data.get("witness", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or "net_a" not in data or "net_b" not in data:
        raise UserError(f"--nets {path}: expected an object with net_a and net_b (or a search result with a witness)")
    out = {"net_a": data["net_a"], "net_b": data["net_b"]}
    if data.get("output_activation") in ("linear", "relu"):
        out["output_activation"] = data["output_activation"]
    return out


@app.command("search")
@click.argument("name")
@click.option("--timeout", default=60.0, type=float, show_default=True,
              help="solver time limit in seconds; past it the answer is 'unknown'")
@click.option("--seed", default=0, type=int, show_default=True, help="solver seed")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write the result JSON here")
@click.option("--inputs", type=int, default=None, help="zero-match: input dimension")
@click.option("--hidden", default=None, help="zero-match: hidden widths, e.g. 2 or 3,2")
@click.option("--outputs", type=int, default=None, help="zero-match: output dimension")
@click.option("--points", type=int, default=None, help="zero-match: number of distinct data points")
@click.option("--max-weight", type=int, default=None, help="R: weights and data in [-R, R]")
@click.option("--output-activation", type=click.Choice(["linear", "relu"]), default=None)
@click.option("--hidden-layer", type=int, default=None, help="zero-match: the hidden layer to compare (1-based)")
@click.option("--biases", is_flag=True, default=None, help="zero-match: networks have biases")
@click.option("--isomorphic", is_flag=True, default=None, help="zero-match: hidden spans of equal dimension")
@click.option("--nonzero-output", is_flag=True, default=None, help="zero-match: some output nonzero")
@click.option("--no-zero-neuron", is_flag=True, default=None, help="zero-match: no all-zero hidden neuron")
@click.option("--denominator", type=int, default=None, help="orthogonal-relu: entries of Q are p/denominator")
@click.option("--method", type=click.Choice(["split", "whole", "naive"]), default=None,
              help="zero-match: one solver per data set (default), one solver for all, or the naive encoding")
@click.option("--jobs", type=int, default=None, help="zero-match: processes for the split method's data sets")
@click.option("--sweep", is_flag=True, help="zero-match: walk R, hidden width and points upward, report each configuration")
@click.option("--nets", "nets_path", type=click.Path(path_type=Path), default=None,
              help="equivalent: JSON with net_a and net_b (e.g. a zero-match result file)")
@click.option("--box", type=float, default=None, help="equivalent: inputs in [-box, box]^d")
@click.option("--gap", type=float, default=None, help="equivalent: report outputs differing by more than this")
def search_cmd(name, timeout, seed, json_path, sweep, nets_path, **options):
    """Run a named counterexample search; prints found / none / unknown.

    Names: zero-match, equivalent, orthogonal-relu, basis-change, svd-form, residual-at-optimum."""
    import inspect

    from nnclaims.proofs.searches import SEARCHES
    from nnclaims.proofs.search_subspace import sweep_zero_match

    if name not in SEARCHES:
        raise UserError(f"unknown search {name!r}: choose from {', '.join(sorted(SEARCHES))}")
    if timeout <= 0:
        raise UserError(f"--timeout must be positive (got {timeout})")
    fn = SEARCHES[name]
    kwargs = {k: v for k, v in options.items() if v is not None}
    if name == "equivalent":
        kwargs.update(_load_nets(nets_path))
    elif nets_path is not None:
        raise UserError(f"search {name!r} does not take --nets")
    if "hidden" in kwargs:
        kwargs["hidden"] = _hidden_widths(kwargs["hidden"])
    accepted = set(inspect.signature(fn).parameters)
    extra = sorted(set(kwargs) - accepted)
    if extra:
        raise UserError(f"search {name!r} does not take --{', --'.join(e.replace('_', '-') for e in extra)}")
    if sweep and name != "zero-match":
        raise UserError("--sweep applies to the zero-match search only")
    try:
        if sweep:
            sweep_kw = {k: v for k, v in kwargs.items() if k not in ("points", "max_weight")}
            results = sweep_zero_match(max_points=kwargs.get("points", 3), max_weight=kwargs.get("max_weight", 2),
                                       timeout=timeout, seed=seed, **sweep_kw)
        else:
            results = [fn(seed=seed, timeout=timeout, **kwargs)]
    except ValueError as e:  # impossible sizes, malformed networks
        raise UserError(str(e)) from None
    for result in results:
        out.print(f"{result.name}: [bold]{result.status}[/] ({result.seconds}s) bounds={result.bounds}"
                  + (f" rechecked={result.rechecked}" if result.status == "found" else ""), highlight=False)
        if result.note:
            out.print(f"  {result.note}", highlight=False)
    if not sweep and results[0].witness:
        out.print(json.dumps(results[0].witness, default=str), highlight=False, soft_wrap=True)
    if sweep:
        found = [r for r in results if r.status == "found"]
        key = lambda r: f"R={r.bounds['max_weight']} hidden={r.bounds['hidden']} points={r.bounds['points']}"  # noqa: E731
        out.print(f"smallest found: {key(found[0]) if found else 'none within the sweep'}; "
                  f"proved none: {[key(r) for r in results if r.status == 'none']}; "
                  f"unknown: {[key(r) for r in results if r.status == 'unknown']}", highlight=False)
    if json_path:
        payload = {"results": [r.to_json() for r in results]} if sweep else results[0].to_json()
        _write_json(json_path, payload)


@app.command("report")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports/latest"), show_default=True,
              help="folder for the report")
@click.option("--networks", default=16, type=int, show_default=True, help="networks in the numeric zoo")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--seed", default=0, type=int, show_default=True, help="seed for every random choice")
@click.option("--from", "from_json", type=click.Path(path_type=Path), default=None,
              help="render from a results.json instead of running")
@claims_option
def report_cmd(out_dir, networks, device, seed, from_json):
    """Run every claim (or read --from) and write results.json, report.md and index.html."""
    from .render import write_report

    if from_json is not None:
        try:
            payload = json.loads(Path(from_json).read_text())
            payload["claims"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UserError(f"--from {from_json}: not a results file ({type(e).__name__})") from None
    else:
        outcomes, config, layer_t = run_verify([], ",".join(LAYERS), networks, device, seed)
        payload = results_payload(outcomes, config, layer_t)
    paths = write_report(payload, out_dir)
    for p in paths:
        err.print(f"wrote {p}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns user errors into one line on stderr and exit 2."""
    try:
        rv = app.main(args=argv, standalone_mode=False, prog_name="nnclaims")
    except (UserError, ClaimRegistrationError, UnknownClaimError) as e:
        err.print(f"nnclaims: error: {e}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        err.print(f"nnclaims: error: {e.format_message()}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except click.exceptions.Abort:
        err.print("nnclaims: aborted", highlight=False)
        return 130
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())


# commands defined in modules of their own
from .measure_command import measure_cmd  # noqa: E402
from .similarity_command import compare_cmd, similarity_cmd  # noqa: E402
from .study_command import study_cmd  # noqa: E402

for _command in (measure_cmd, similarity_cmd, compare_cmd, study_cmd):
    app.add_command(_command)
