r"""Readers of the files a user hands the command line, refusing oversized, malformed or huge numbers early.

Reading the files a user hands the command line: size limit, UTF-8, JSON, and numbers that are refused
*before* they are built.

A JSON number is parsed from its text only when the text is small: an integer of more than
:data:`MAX_DIGITS` digits or a decimal whose exponent exceeds :data:`MAX_EXPONENT` in magnitude is kept as a
:class:`Refused` marker (never ``int("9" * 10_000)``, never ``Fraction("1e999999999")``, which would build a
number with a billion digits), and so are ``NaN`` and ``Infinity``.  The validators of each file format
report a marker with the name of the field that holds it (:func:`refused_in` finds any marker with its path).

>>> data = loads('{"w": [1, 2.5, NaN, 1e999999999, ' + "9" * 50 + ']}', "demo")
>>> [type(v).__name__ for v in data["w"]]
['int', 'float', 'Refused', 'Refused', 'Refused']
>>> data["w"][3]
Refused("'1e999999999', not a finite number")
>>> refused_in(data)
('w[2]', Refused('NaN, not a finite number'))
>>> number("3/5", "x"), number("-0.25", "x"), number(7, "x")
(Fraction(3, 5), Fraction(-1, 4), Fraction(7, 1))
>>> number("1e999999999", "net_a layer 1 weight [0][1]")
Traceback (most recent call last):
...
nnclaims.inputs.InputError: net_a layer 1 weight [0][1]: '1e999999999' has an exponent beyond ±40
"""

from __future__ import annotations

import json
import math
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["InputError", "folder_entries", "Refused", "loads", "read_json", "refused_in", "number", "MAX_DIGITS", "MAX_EXPONENT",
           "MAX_FILE_BYTES"]

MAX_DIGITS = 40
"""Digits allowed in an integer (or in the numerator/denominator/mantissa of a number written as a string):
every weight the searches produce or read has a handful; forty is far beyond any meaningful network file."""

MAX_EXPONENT = 40
"""Largest decimal exponent written in a number's text (``1e40``); a larger one would make the exact rational
(``Fraction``) a number with that many digits."""

MAX_LITERAL = 400
"""Characters in one JSON number literal (a float is built from at most this many)."""

MAX_FILE_BYTES = 64 * 2 ** 20
"""An input file larger than this (64 MiB) is refused before it is read: the committed reference results are
0.3 MB."""


class InputError(ValueError):
    """A file or value from the user that is not what it should be: reported as one line, exit status 2."""


class Refused:
    """A JSON number that was not built, with the reason (see the module docstring)."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Refused({self.reason!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Refused) and other.reason == self.reason


_DECIMAL = re.compile(r"^[+-]?(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?$")
_RATIO = re.compile(r"^[+-]?(?P<num>\d+)/(?P<den>\d+)$")


def _int_text(text: str):
    digits = len(text.lstrip("+-"))
    return int(text) if digits <= MAX_DIGITS else Refused(f"a {digits}-digit integer (at most {MAX_DIGITS} digits)")


def _float_text(text: str):
    """A JSON number literal with a fraction or exponent: a float (cheap to build whatever the exponent), kept
    only when finite and of a sensible length."""
    if len(text) > MAX_LITERAL:
        return Refused(f"a number literal of {len(text)} characters (at most {MAX_LITERAL})")
    value = float(text)
    return value if math.isfinite(value) else Refused(f"{text[:20]!r}, not a finite number")


def _decimal_string(text: str):
    """A number written as a string, checked before ``Fraction(text)`` would build it exactly: an exponent
    beyond :data:`MAX_EXPONENT` or a mantissa of more than ``4·MAX_DIGITS`` digits is refused."""
    m = _DECIMAL.match(text)
    if m is None or not (m.group("int") or m.group("frac")):
        return Refused(f"{text[:30]!r} is not a number")
    exp = m.group("exp") or "0"
    if len(exp.lstrip("+-")) > 4 or abs(int(exp)) > MAX_EXPONENT:
        return Refused(f"{text[:20]!r} has an exponent beyond ±{MAX_EXPONENT}")
    if len(m.group("int") or "") + len(m.group("frac") or "") > 4 * MAX_DIGITS:
        return Refused(f"a number of {len(text)} characters (at most {4 * MAX_DIGITS} digits)")
    return Fraction(text)


def _float_or_inf(text: str):
    """As :func:`_float_text`, but a literal that overflows to ±inf is kept (as JSON writes Python's inf)."""
    v = _float_text(text)
    return float(text) if isinstance(v, Refused) and len(text) <= MAX_LITERAL else v


def _constant(text: str):
    return Refused(f"{text}, not a finite number")


def loads(text: str, what: str, *, nonfinite: bool = False) -> Any:
    """Parse JSON text; large numbers become :class:`Refused` markers, and so do ``NaN`` and ``±Infinity``
    unless ``nonfinite`` (a results file may record a statistic that came out NaN).  ``what`` names the input
    in the error."""
    try:
        return json.loads(text, parse_int=_int_text, parse_float=_float_text if not nonfinite else _float_or_inf,
                          parse_constant=float if nonfinite else _constant)
    except json.JSONDecodeError as e:
        raise InputError(f"{what}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise InputError(f"{what}: JSON nested too deeply") from None


def read_json(path, what: str, *, nonfinite: bool = False) -> Any:
    """Read a JSON file the user named (``what`` is the option, e.g. ``--nets FILE``), with one-line errors;
    ``nonfinite`` as in :func:`loads`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InputError(f"{what}: is a folder, not a JSON file")
        if size > MAX_FILE_BYTES:
            raise InputError(f"{what}: {size} bytes, larger than the {MAX_FILE_BYTES // 2 ** 20} MiB limit for input files")
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{what}: cannot read ({e.strerror or type(e).__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{what}: not UTF-8 text (byte {e.start}), so not a JSON file") from None
    return loads(text, what, nonfinite=nonfinite)


def refused_in(obj: Any, path: str = "") -> tuple[str, Refused] | None:
    """The first :class:`Refused` marker in a parsed document, with its path (``a.b[2]``), or ``None``."""
    if isinstance(obj, Refused):
        return path, obj
    if isinstance(obj, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in obj.items())
    elif isinstance(obj, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for p, v in items:
        hit = refused_in(v, p)
        if hit is not None:
            return hit
    return None


def number(v: Any, where: str) -> Fraction:
    """An exact rational from a JSON value (int, float, or a string such as ``"3/5"`` or ``"-0.25"``), or
    :class:`InputError` naming ``where``.  Strings are checked before anything is built."""
    if isinstance(v, Refused):
        raise InputError(f"{where}: {v.reason}")
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise InputError(f"{where}: {str(v)[:30]!r} is not a number")
    if isinstance(v, int):
        if v.bit_length() > MAX_DIGITS * 10 // 3:
            raise InputError(f"{where}: an integer with more than {MAX_DIGITS} digits")
        return Fraction(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise InputError(f"{where}: {v}, not a finite number")
        return Fraction(v)
    text = v.strip()
    ratio = _RATIO.match(text)
    if ratio is not None:
        if max(len(ratio.group("num")), len(ratio.group("den"))) > MAX_DIGITS:
            raise InputError(f"{where}: {text[:20]!r}… has more than {MAX_DIGITS} digits")
        if int(ratio.group("den")) == 0:
            raise InputError(f"{where}: {text!r} divides by zero")
        return Fraction(text)
    parsed = _decimal_string(text)
    if isinstance(parsed, Refused):
        raise InputError(f"{where}: {parsed.reason}")
    return parsed


def folder_entries(out, where: str, error: type[InputError], what: str) -> list | None:
    """The entries of the output folder ``out`` (``None`` where nothing is there yet), or ``error`` (one line,
    prefixed by ``where``) where ``out`` is an existing file or a folder that cannot be read: a ``what`` (report,
    study) is never written over a file."""
    if os.path.lexists(out) and not os.path.isdir(out):
        raise error(f"{where}: is an existing file, not a folder; a {what} is never written over a file")
    if not os.path.isdir(out):
        return None
    try:
        return list(Path(out).iterdir())
    except OSError as e:
        raise error(f"{where}: cannot read the folder ({e.strerror})") from None
