"""The ``nnclaims`` command: the click group, ``list``, and :func:`main`, which turns errors into one line and an exit status.

The commands are thin wrappers over the catalogue, the layers, the verdict and the report, one module per command
group (:mod:`.verify`, :mod:`.search`, :mod:`.measure`, :mod:`.similarity`, :mod:`.study`) sharing :mod:`._common`.
Errors in what the user typed or handed over (options, files) give one line on stderr, ``nnclaims: error: …``,
and exit status 2; Ctrl-C gives one line saying what was settled and exit status 130; a refuted claim is a
result (exit 0), not an error.  Every output place (``--json``, ``--out``) is checked before any work, and
results that cannot be written at the end are saved to a temporary file whose path is printed.
"""

from __future__ import annotations

import json
import sys

import click

from nnclaims.inputs import InputError
from nnclaims.proofs.catalogue import ClaimRegistrationError, UnknownClaimError, claims

from ._common import Interrupted, UserError, _print_rows, claims_option, err
from .measure import measure_cmd
from .search import search_cmd
from .similarity import compare_cmd, similarity_cmd
from .study import study_cmd
from .verify import report_cmd, verify_cmd

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


def _link_name(link) -> str | None:
    """A layer link for display: the ``module:function`` string, or the callable's qualified name."""
    if link is None or isinstance(link, str):
        return link
    return f"{getattr(link, '__module__', '?')}:{getattr(link, '__qualname__', repr(link))}"


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


for _command in (verify_cmd, search_cmd, report_cmd, measure_cmd, similarity_cmd, compare_cmd, study_cmd):
    app.add_command(_command)
