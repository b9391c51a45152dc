"""The ``nnclaims`` command: thin wrappers over the catalogue, the layers, the verdict and the report.

Errors in what the user typed or handed over (options, files) give one line on stderr, ``nnclaims: error: …``,
and exit status 2; Ctrl-C gives one line saying what was settled and exit status 130; a refuted claim is a
result (exit 0), not an error.  Every output place (``--json``, ``--out``) is checked before any work, and
results that cannot be written at the end are saved to a temporary file whose path is printed.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import List

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nnclaims.backends import backend_options
from nnclaims.inputs import InputError, read_json
from nnclaims.proofs._z3 import MAX_SEED, MAX_TIME_LIMIT
from nnclaims.proofs.catalogue import ClaimRegistrationError, UnknownClaimError, claims, get_claim, load_claims_module

from . import provenance
from .verdict import LAYERS, NumericConfig, verify

MAX_NETWORKS = 4096
"""Networks in the numeric zoo: every check trains and holds all of them at once; the run time grows linearly
(about 1.3 s per network for all checks on the 2-core reference CPU, so 4,096 take about an hour and a half)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnclaims")
    except PackageNotFoundError:
        import nnclaims

        return nnclaims.__version__


@click.group(help="Verify claims about neural networks: symbolic proofs, exact searches, numeric checks.")
@click.version_option(_version(), prog_name="nnclaims", message="%(prog)s %(version)s")
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


class Interrupted(Exception):
    """Ctrl-C: reported as one line saying what was settled, exit status 130."""


class _Seconds(click.ParamType):
    """A time limit: a positive, finite number of seconds up to a week."""

    name = "seconds"

    def convert(self, value, param, ctx):
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not (math.isfinite(v) and 0 < v <= MAX_TIME_LIMIT):
            self.fail(f"{value!r}: give a positive number of seconds up to {MAX_TIME_LIMIT:.0f} (a week)", param, ctx)
        return v


class _Finite(click.ParamType):
    """A finite real number (no nan, no inf)."""

    name = "number"

    def convert(self, value, param, ctx):
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return v


SEED = click.IntRange(0, MAX_SEED)
MAX_POINTS = 64
"""Data points of any search: each point adds its own copy of the network to the encoding."""
MAX_WEIGHT = 10 ** 6
"""Weights, data and denominators of any search: the searches look for small witnesses."""


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


def _load_claims(specs, ctx=None) -> None:
    """Import the ``--claims`` modules (each registers claims); a failure is one line and exit 2.  The specs are
    kept in the command's context (``verify --backend ray`` loads them in its workers too)."""
    if ctx is not None:
        ctx.meta["nnclaims.claims"] = tuple(specs or ())
    for spec in specs or ():
        try:
            load_claims_module(spec)
        except ClaimRegistrationError as e:
            raise UserError(str(e)) from None


def _save(path: Path, payload: dict, option: str) -> None:
    """Write a results file; if that fails at the end, save the results to a temporary file and say where."""
    from .render import save_rescue, write_json

    try:
        write_json(path, payload)
    except OSError as e:
        rescue = save_rescue(payload)
        kept = f"the results are saved in {rescue}" if rescue else "the results could not be saved anywhere"
        raise UserError(f"{option} {path}: writing failed ({e.strerror or e}); {kept}") from None
    err.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)


def _write_json(path, payload) -> None:
    """For commands that write their own JSON (``measure``): atomic, keeps the file's mode, and on failure one
    line naming a temporary file that holds the results.  Check the place first with
    :func:`nnclaims.reports.render.check_file_target`."""
    from .render import save_rescue, write_json

    try:
        write_json(path, payload)
    except OSError as e:
        rescue = save_rescue(payload)
        kept = f"the results are saved in {rescue}" if rescue else "the results could not be saved anywhere"
        raise UserError(f"--json {path}: writing failed ({e.strerror or e}); {kept}") from None


def claims_option(fn):
    """``--claims MODULE`` (repeatable): import a module or .py file that registers its own claims."""
    return click.option("--claims", "claim_modules", multiple=True, metavar="MODULE", expose_value=False,
                        is_eager=True, callback=lambda ctx, param, value: _load_claims(value, ctx),
                        help="a module path or .py file that registers claims (repeatable); installed plug-ins "
                             "(entry points 'nnclaims.claims') load by themselves")(fn)


MIN_TEXT_COLUMN = 40
"""The least width the last (text) column of a table gets; narrower, the rows are printed as blocks instead."""


def table_width(cells: list[tuple]) -> int:
    """The terminal width a table of these rows needs: the ID and the middle columns at their full width, the last
    at least :data:`MIN_TEXT_COLUMN`, and rich's borders and padding (3 per column, 1 more)."""
    widths = [max((len(r[i]) for r in cells), default=2) for i in range(len(cells[0]) - 1)] if cells else [2]
    return sum(widths) + MIN_TEXT_COLUMN + 3 * (len(widths) + 1) + 1


def _print_rows(head: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows with an ID first, never truncated: a table whose ID and middle columns are as wide as their longest
    entries when the terminal leaves the last column at least :data:`MIN_TEXT_COLUMN` (it wraps), else one block
    per row whose lines the terminal wraps (a statement is never squeezed into a narrow column).
    Cells are plain text (never read as markup) or :class:`rich.text.Text`."""
    cells = [tuple(v if isinstance(v, Text) else Text(str(v)) for v in r) for r in rows]
    longest = max((len(r[0]) for r in cells), default=2)
    if out.width >= table_width(cells):
        t = Table()
        t.add_column(head[0], no_wrap=True, min_width=longest)
        for name in head[1:]:
            t.add_column(name, overflow="fold")
        for r in cells:
            t.add_row(*r)
        out.print(t)
        return
    for r in cells:
        out.print(r[0], highlight=False, soft_wrap=True)
        for name, value in zip(head[1:], r[1:]):
            out.print(Text.assemble(f"    {name}: ", value), highlight=False, soft_wrap=True)


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
    _print_rows(("id", "source", "statement"), [(r["id"], r["source"], r["statement"]) for r in rows])


def progress_line(text: str) -> None:
    """One plain progress line on stderr when it is not a terminal (output redirected to a file or a pipe), where
    a progress bar shows nothing; on a terminal the bar shows the progress instead."""
    if not err.is_terminal:
        err.print(text, highlight=False, markup=False, soft_wrap=True)


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
    """:func:`run_verify` on a Ray cluster: one claim per task (:mod:`nnclaims.reports.verify_units`)."""
    from rich.progress import Progress

    from nnclaims.backends import cluster, cluster_device

    from .verify_units import claim_sources, verify_on_cluster

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
    from .render import layer_summary, readable, step_mark, witness_lines

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


@app.command("verify", epilog=f"Limits: --networks up to {MAX_NETWORKS} (every check trains and holds all networks "
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

    from .render import check_file_target, readable_evidence

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


def _hidden_widths(spec: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in spec.split(","))
    except ValueError:
        raise UserError(f"--hidden must be comma-separated widths such as 2 or 3,2 (got {spec[:40]!r})") from None
    if not widths or min(widths) < 1:
        raise UserError(f"--hidden widths must be at least 1 (got {spec!r})")
    return widths


def _load_nets(path) -> dict:
    """Read two networks from JSON (never pickle): top-level or under "witness"; one-line errors naming the
    net, the layer, weight or bias, and the entry."""
    from nnclaims.inputs import refused_in
    from nnclaims.proofs.search_equivalence import validate_network

    if path is None:
        raise UserError("search 'equivalent' needs --nets FILE.json with net_a and net_b")
    what = f"--nets {path}"
    data = read_json(path, what)
    data = data.get("witness", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or "net_a" not in data or "net_b" not in data:
        raise UserError(f"{what}: expected an object with net_a and net_b (or a search result with a witness)")
    for name in ("net_a", "net_b"):
        try:
            validate_network(data[name], name)
        except InputError as e:
            raise UserError(f"{what}: {e}") from None
    oa = data.get("output_activation", "linear")
    if oa not in ("linear", "relu"):
        hit = refused_in({"output_activation": oa})
        raise UserError(f"{what}: output_activation must be linear or relu (got {hit[1].reason if hit else repr(oa)[:30]})")
    return {"net_a": data["net_a"], "net_b": data["net_b"], "output_activation": oa}


def _zero_match_limits() -> str:
    from nnclaims.proofs.search_subspace import LIMITS

    return "\n".join(f"  {name} ≤ {limit:,}: {why}" for name, (limit, why) in LIMITS.items())


SEARCH_EPILOG = (
    "Time: --timeout bounds the whole search (building the encoding, enumerating data sets, solving, re-checking): "
    "the search runs in a child process that is stopped at the limit (plus half a second to hand back its own "
    "answer), and the answer is then 'unknown' with what was settled. With --sweep the limit applies to each "
    "configuration. Ctrl-C stops the search at once, worker processes included, and says what was settled "
    "(exit status 130).\n\n"
    "Zero-match defaults: some output is nonzero and no hidden neuron is zero on every data point (a trivial "
    "witness otherwise has an empty match by definition); --allow-zero-output and --allow-zero-neuron relax "
    "them.\n\n\b\nZero-match limits (each refused before any work, with a message naming it):\n")


class _SearchCommand(click.Command):
    """``search --help`` lists the zero-match limits (read from the search module only when help is asked for)."""

    def format_epilog(self, ctx, formatter):
        self.epilog = SEARCH_EPILOG + _zero_match_limits()
        super().format_epilog(ctx, formatter)


@app.command("search", cls=_SearchCommand)
@click.argument("name")
@click.option("--timeout", default=60.0, type=_Seconds(), show_default=True,
              help="time limit in seconds for the whole search (each configuration with --sweep); past it the "
                   "answer is 'unknown'")
@click.option("--seed", default=0, type=SEED, show_default=True, help="solver seed")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write the result JSON here")
@click.option("--inputs", type=click.IntRange(1), default=None, help="zero-match: input dimension")
@click.option("--hidden", default=None, help="zero-match: hidden widths, e.g. 2 or 3,2")
@click.option("--outputs", type=click.IntRange(1), default=None, help="zero-match: output dimension")
@click.option("--points", type=click.IntRange(1, MAX_POINTS), default=None,
              help=f"number of distinct data points (1 to {MAX_POINTS}; zero-match: at most 8)")
@click.option("--max-weight", type=click.IntRange(1, MAX_WEIGHT), default=None,
              help=f"R: weights and data in [-R, R] (1 to {MAX_WEIGHT:,})")
@click.option("--output-activation", type=click.Choice(["linear", "relu"]), default=None)
@click.option("--hidden-layer", type=click.IntRange(1), default=None,
              help="zero-match: the hidden layer to compare (1-based)")
@click.option("--biases", is_flag=True, default=None, help="zero-match: networks have biases")
@click.option("--isomorphic", is_flag=True, default=None, help="zero-match: hidden spans of equal dimension")
@click.option("--allow-zero-output", is_flag=True, default=False,
              help="zero-match: also accept networks whose outputs are all zero on the data")
@click.option("--allow-zero-neuron", is_flag=True, default=False,
              help="zero-match: also accept a hidden neuron that is zero on every data point")
@click.option("--nonzero-output", is_flag=True, default=False, hidden=True)  # the default now; kept for old commands
@click.option("--no-zero-neuron", is_flag=True, default=False, hidden=True)  # the default now; kept for old commands
@click.option("--denominator", type=click.IntRange(1, MAX_WEIGHT), default=None,
              help=f"orthogonal-relu, basis-change: entries are p/denominator (1 to {MAX_WEIGHT:,})")
@click.option("--method", type=click.Choice(["split", "whole", "naive"]), default=None,
              help="zero-match: one solver per data set (default), one solver for all, or the naive encoding")
@click.option("--jobs", type=click.IntRange(1), default=None,
              help="zero-match: processes for the split method's data sets (at most 64)")
@click.option("--sweep", is_flag=True,
              help="zero-match: walk R, hidden width and points upward, print each configuration as it is settled")
@click.option("--nets", "nets_path", type=click.Path(path_type=Path), default=None,
              help="equivalent: JSON with net_a and net_b (e.g. a zero-match result file)")
@click.option("--box", type=_Finite(), default=None, help="equivalent: inputs in [-box, box]^d")
@click.option("--gap", type=_Finite(), default=None, help="equivalent: report outputs differing by more than this")
@backend_options
def search_cmd(name, timeout, seed, json_path, sweep, nets_path, allow_zero_output, allow_zero_neuron,
               nonzero_output, no_zero_neuron, backend, address, **options):
    """Run a named counterexample search; prints found / none / unknown.

    Names: zero-match, equivalent, orthogonal-relu, basis-change, svd-form, residual-at-optimum."""
    import inspect

    from nnclaims.proofs.searches import SEARCHES

    from .render import check_file_target

    if name not in SEARCHES:
        raise UserError(f"unknown search {name!r}: choose from {', '.join(sorted(SEARCHES))}")
    fn = SEARCHES[name]
    kwargs = {k: v for k, v in options.items() if v is not None}
    if name == "zero-match":
        if (allow_zero_output and nonzero_output) or (allow_zero_neuron and no_zero_neuron):
            raise UserError("--allow-zero-output/--allow-zero-neuron contradict --nonzero-output/--no-zero-neuron")
        kwargs.update(nonzero_output=not allow_zero_output, no_zero_neuron=not allow_zero_neuron)
    elif allow_zero_output or allow_zero_neuron or nonzero_output or no_zero_neuron:
        raise UserError(f"search {name!r} does not take the zero-match options --allow-zero-output/--allow-zero-neuron")
    if name == "equivalent":
        kwargs.update(_load_nets(nets_path))
    elif nets_path is not None:
        raise UserError(f"search {name!r} does not take --nets")
    if "hidden" in kwargs:
        kwargs["hidden"] = _hidden_widths(kwargs["hidden"])
    accepted = set(inspect.signature(fn).parameters) - {"progress", "timeout", "seed"}
    extra = sorted(set(kwargs) - accepted)
    if extra:
        raise UserError(f"search {name!r} does not take --{', --'.join(e.replace('_', '-') for e in extra)}")
    if sweep and name != "zero-match":
        raise UserError("--sweep applies to the zero-match search only")
    if name == "zero-match":
        _check_zero_match(fn, kwargs, sweep)
    _check_search_backend(name, kwargs, backend, address)
    if json_path is not None:
        check_file_target(json_path, "--json")
    if backend == "ray":
        results = _search_on_ray(name, fn, kwargs, timeout, seed, sweep, address)
    else:
        results = _run_sweep(fn, kwargs, timeout, seed) if sweep else [_run_search(name, fn, kwargs, timeout, seed)]
    if not sweep:
        _print_result(results[0], witness=True)
    if json_path:
        payload = {"results": [r.to_json() for r in results]} if sweep else results[0].to_json()
        _save(json_path, payload, "--json")


def _check_search_backend(name, kwargs, backend, address) -> None:
    """``--backend ray`` runs the split method's data sets as tasks: the zero-match search only, split method."""
    from nnclaims.backends import check_backend

    check_backend(backend, address)
    if backend != "ray":
        return
    if name != "zero-match":
        raise UserError(f"--backend ray runs the zero-match search's data sets on a cluster; search {name!r} is one "
                        "solver (use --backend local)")
    if kwargs.get("method", "split") != "split":
        raise UserError(f"--backend ray runs the split method's data sets on a cluster; --method {kwargs['method']} "
                        "is one solver (use --backend local)")


def _search_on_ray(name, fn, kwargs, timeout, seed, sweep, address):
    """The zero-match search (or sweep) with its data sets on a Ray cluster; ``--jobs``: data sets at once."""
    from nnclaims.backends import RayRunner, cluster

    jobs = kwargs.pop("jobs", None)
    with cluster(address):
        runner = RayRunner(max_in_flight=jobs)
        if sweep:
            return _run_sweep(fn, kwargs, timeout, seed, runner=runner)
        return [_run_search(name, fn, kwargs, timeout, seed, runner=runner)]


def _check_zero_match(fn, kwargs, sweep) -> None:
    """The zero-match limits, checked here before a process starts (each configuration of a sweep)."""
    import inspect

    from nnclaims.proofs.search_subspace import check_bounds, sweep_configurations

    defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
    full = {**defaults, **({"points": 3, "max_weight": 2} if sweep else {}), **kwargs}  # a sweep's own defaults
    names = ("inputs", "hidden", "outputs", "points", "max_weight", "hidden_layer", "biases", "method", "jobs")
    try:
        configs = (sweep_configurations(max_points=full["points"], max_weight=full["max_weight"], hidden=full["hidden"],
                                        inputs=full["inputs"]) if sweep else [{}])
        for config in configs:
            bounds = {k: full[k] for k in names} | config
            bounds["hidden"] = (bounds["hidden"],) if isinstance(bounds["hidden"], int) else tuple(bounds["hidden"])
            check_bounds(**bounds)
    except ValueError as e:
        raise UserError(str(e)) from None


def _print_result(result, witness: bool = False) -> None:
    from .render import readable, witness_lines

    out.print(f"{escape(result.name)}: [bold]{result.status}[/] ({result.seconds}s) bounds: {escape(readable(result.bounds))}"
              + (f"; re-checked exactly: {readable(result.rechecked)}" if result.status == "found" else ""),
              highlight=False, soft_wrap=True)
    if result.note:
        out.print(f"  {result.note}", highlight=False, markup=False, soft_wrap=True)
    if witness and result.witness:
        for line in witness_lines(result.witness):
            out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


def _run_search(name, fn, kwargs, timeout, seed, runner=None):
    """One search in a bounded child process (:func:`nnclaims.proofs.bounded.run_bounded`), or with ``runner`` its
    data sets on a Ray cluster (:func:`nnclaims.proofs.bounded.run_on_cluster`, a progress bar as they settle)."""
    from nnclaims.proofs.bounded import Interrupted as SearchInterrupted
    from nnclaims.proofs.bounded import SearchDied, run_bounded, run_on_cluster

    try:
        if runner is not None:
            from rich.progress import Progress

            with Progress(console=err, transient=True) as bar:
                task = bar.add_task(f"{name}: data sets settled on Ray", total=None)
                return run_on_cluster(fn, dict(kwargs, seed=seed), timeout=timeout, runner=runner,
                                      on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        return run_bounded(fn, dict(kwargs, seed=seed), timeout=timeout, name=name)
    except SearchInterrupted as e:
        raise Interrupted(f"search {name} stopped: {e}") from None
    except (ValueError, SearchDied) as e:  # impossible sizes, limits, malformed networks; a dead child
        raise UserError(str(e)) from None


def _run_sweep(fn, kwargs, timeout, seed, runner=None):
    """The configurations of a zero-match sweep, each printed as soon as it is settled."""
    from nnclaims.proofs.search_subspace import sweep_configurations

    base = {k: v for k, v in kwargs.items() if k not in ("points", "max_weight", "hidden")}
    configs = sweep_configurations(max_points=kwargs.get("points", 3), max_weight=kwargs.get("max_weight", 2),
                                   hidden=kwargs.get("hidden", (2,)), inputs=kwargs.get("inputs", 2))
    out.print(f"sweep: {len(configs)} configurations in the order (R, hidden width, points), each under a "
              f"{timeout:g} s limit", highlight=False, soft_wrap=True)
    key = lambda r: escape(f"R={r.bounds['max_weight']} hidden={r.bounds['hidden']} points={r.bounds['points']}")  # noqa: E731
    results = []
    try:
        for config in configs:
            r = _run_search("zero-match", fn, {**base, **config}, timeout, seed, runner=runner)
            results.append(r)
            out.print(f"  {key(r)}: [bold]{r.status}[/] ({r.seconds}s)"
                      + (f", re-checked exactly: {'yes' if r.rechecked else 'NO'}" if r.status == "found" else "")
                      + (f" — {escape(r.note)}" if r.status == "unknown" and r.note else ""), highlight=False,
                      soft_wrap=True)
    except Interrupted as e:
        raise Interrupted(f"{e}; {len(results)} of {len(configs)} configurations settled before it") from None
    found = [r for r in results if r.status == "found"]
    out.print(f"smallest found: {key(found[0]) if found else 'none within the sweep'}; "
              f"proved none: {len([r for r in results if r.status == 'none'])} configurations; "
              f"unknown: {[key(r) for r in results if r.status == 'unknown'] or 'none'}", highlight=False, soft_wrap=True)
    if found:
        _print_result(found[0], witness=True)
    return results


@app.command("report")
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
    from .render import check_report_target, save_rescue, validate_results, write_report

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
    for p in paths:
        err.print(f"wrote {p}", highlight=False, markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns user errors into one line on stderr and exit 2 (Ctrl-C: 130)."""
    try:
        rv = app.main(args=argv, standalone_mode=False, prog_name="nnclaims")
    except (UserError, ClaimRegistrationError, UnknownClaimError, InputError) as e:
        err.print(f"nnclaims: error: {e}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except Interrupted as e:
        err.print(f"nnclaims: interrupted: {e}", highlight=False, markup=False, soft_wrap=True)
        return 130
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
