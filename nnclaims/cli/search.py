"""The ``search`` command: a named counterexample search (or a zero-match sweep), bounded in time, found / none / unknown."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.markup import escape

from nnclaims.backends import backend_options
from nnclaims.inputs import InputError, read_json
from nnclaims.proofs._z3 import MAX_TIME_LIMIT

from ._common import SEED, Interrupted, UserError, _save, err, out

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


MAX_POINTS = 64
"""Data points of any search: each point adds its own copy of the network to the encoding."""
MAX_WEIGHT = 10 ** 6
"""Weights, data and denominators of any search: the searches look for small witnesses."""


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


@click.command("search", cls=_SearchCommand)
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
@click.option("--no-cover", "cover", is_flag=True, flag_value=False, default=None,
              help="zero-match, split method: skip the first solve on the union of the data sets' tables and solve "
                   "them one by one from the start")
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

    from nnclaims.reports.render import check_file_target

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
    from nnclaims.reports.render import readable, witness_lines

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
