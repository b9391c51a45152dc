"""What the commands share: the two consoles, the user-error and interrupt exceptions, devices, --claims, writing JSON.

Errors in what the user typed or handed over (options, files) are :class:`UserError`: one line on stderr,
``nnclaims: error: …``, and exit status 2 (:func:`nnclaims.cli.app.main`); Ctrl-C is :class:`Interrupted`: one
line saying what was settled and exit status 130.  This module imports no command module (each command module
imports it), so the command line has no import circle.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nnclaims.proofs._z3 import MAX_SEED
from nnclaims.proofs.catalogue import ClaimRegistrationError, load_claims_module

out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


class Interrupted(Exception):
    """Ctrl-C: reported as one line saying what was settled, exit status 130."""


SEED = click.IntRange(0, MAX_SEED)


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
    """Write a results file (:func:`_write_json`) and say so on stderr."""
    _write_json(path, payload, option)
    err.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)


def _write_json(path, payload, option: str = "--json") -> None:
    """Write a results file: atomic, keeps the file's mode, and if that fails at the end, one line naming a
    temporary file that holds the results.  Check the place first with
    :func:`nnclaims.reports.render.check_file_target`."""
    from nnclaims.reports.render import save_rescue, write_json

    try:
        write_json(path, payload)
    except OSError as e:
        rescue = save_rescue(payload)
        kept = f"the results are saved in {rescue}" if rescue else "the results could not be saved anywhere"
        raise UserError(f"{option} {path}: writing failed ({e.strerror or e}); {kept}") from None


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


def progress_line(text: str) -> None:
    """One plain progress line on stderr when it is not a terminal (output redirected to a file or a pipe), where
    a progress bar shows nothing; on a terminal the bar shows the progress instead."""
    if not err.is_terminal:
        err.print(text, highlight=False, markup=False, soft_wrap=True)
