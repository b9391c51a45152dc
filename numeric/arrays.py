r"""Numeric arrays read from ``.npy``, ``.npz`` or ``.csv`` files, never unpickling, with one-line errors.

``.npy`` and ``.npz`` go through :func:`numpy.load` with ``allow_pickle=False`` (an object array is refused,
not loaded); an ``.npz`` must hold one array, or be named ``FILE.npz:KEY``.  A ``.csv`` is numbers separated by
commas, one sample per row, with an optional header row.  Every array must be non-empty, real (bool,
integer or float) and finite.  :func:`checksum` is the SHA-256 of the array as measured (float64,
little-endian, C order), so the same numbers give the same checksum whichever format held them.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> _ = open(os.path.join(folder, "x.csv"), "w").write("a,b\n1,2\n3,4.5\n")
>>> read_array(os.path.join(folder, "x.csv")).tolist()
[[1.0, 2.0], [3.0, 4.5]]
>>> np.save(os.path.join(folder, "x.npy"), np.array([[1.0, 2.0], [3.0, 4.5]]))
>>> checksum(read_array(os.path.join(folder, "x.npy"))) == checksum(read_array(os.path.join(folder, "x.csv")))
True
>>> _ = open(os.path.join(folder, "x.csv"), "w").write("1,2\n3,nan\n")
>>> read_array(os.path.join(folder, "x.csv"), option="--data")
Traceback (most recent call last):
...
nnclaims.numeric.models.InputFileError: --data .../x.csv: 1 NaN/Inf entry (of 4), first at index (1, 1)
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from pathlib import Path

import numpy as np

from .models import InputFileError

__all__ = ["FORMATS", "read_array", "data_matrix", "checksum"]

FORMATS = (".npy", ".npz", ".csv")


def _fail(option: str, path, problem: str):
    raise InputFileError(f"{option} {path}: {problem}".lstrip())


def _split_key(path: str) -> tuple[Path, str | None]:
    """``FILE.npz:KEY`` → (FILE.npz, KEY) when FILE.npz exists and the whole string is not a file."""
    p = Path(path)
    if not p.exists() and ".npz:" in str(path):
        name, key = str(path).rsplit(":", 1)
        if Path(name).exists():
            return Path(name), key
    return p, None


def _load_numpy(option, shown, p: Path, key):
    try:
        with p.open("rb") as f:
            head = f.read(6)
        if head[:1] == b"\x80":
            _fail(option, shown, "a pickle file, not a numpy array; pickles are never loaded")
        if head[:4] == b"PK\x03\x04":
            with np.load(p, allow_pickle=False) as z:
                names = list(z.files)
                if key is None and len(names) != 1:
                    _fail(option, shown, f"an .npz with {len(names)} arrays ({', '.join(names) or 'none'}); name one "
                                         f"as FILE.npz:KEY")
                key = names[0] if key is None else key
                if key not in names:
                    _fail(option, shown, f"no array {key!r} in the .npz (it has {', '.join(names)})")
                return z[key]
        if key is not None:
            _fail(option, shown, "FILE:KEY names an array inside an .npz, and this is not one")
        if head != b"\x93NUMPY":
            _fail(option, shown, "not a .npy or .npz file (it does not start with the numpy or zip magic bytes)")
        return np.load(p, allow_pickle=False)
    except InputFileError:
        raise
    except ValueError as e:
        msg = str(e)
        if "allow_pickle" in msg or "pickled" in msg:
            _fail(option, shown, "holds Python objects (an object array); only numeric arrays are read, pickles never")
        _fail(option, shown, f"truncated or corrupt numpy file ({msg.splitlines()[0] if msg else 'ValueError'})")
    except (zipfile.BadZipFile, EOFError, KeyError) as e:
        _fail(option, shown, f"truncated or corrupt numpy file ({type(e).__name__})")
    except OSError as e:
        _fail(option, shown, f"cannot read ({e.strerror or e})")


def _load_csv(option, shown, p: Path) -> np.ndarray:
    try:
        with p.open(newline="") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        _fail(option, shown, "not a text file")
    except OSError as e:
        _fail(option, shown, f"cannot read ({e.strerror or e})")
    except csv.Error as e:
        _fail(option, shown, f"not a CSV file ({e})")

    def numbers(r):
        return [float(c) for c in r]

    if rows:
        try:
            numbers(rows[0])
        except ValueError:
            rows = rows[1:]  # a header row
    out = []
    for i, r in enumerate(rows):
        if len(r) != len(rows[0]):
            _fail(option, shown, f"row {i + 1} of the numbers has {len(r)} fields, the first has {len(rows[0])}")
        try:
            out.append(numbers(r))
        except ValueError:
            bad = next(c for c in r if not _is_number(c))
            _fail(option, shown, f"row {i + 1} of the numbers: {bad.strip()!r} is not a number")
    return np.array(out, dtype=np.float64).reshape(len(out), len(rows[0]) if rows else 0)


def _is_number(c: str) -> bool:
    try:
        float(c)
        return True
    except ValueError:
        return False


def read_array(path, *, option: str = "") -> np.ndarray:
    """A finite, non-empty, real array from ``.npy``, ``.npz`` (``FILE.npz:KEY`` to pick one) or ``.csv``,
    with the dtype it was stored in.

    Raises:
        InputFileError: ``"{option} {path}: {problem}"`` — unreadable, unknown format, pickle or object array,
            truncated, not numeric (complex, strings, records), empty, NaN/Inf.
    """
    p, key = _split_key(str(path))
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        _fail(option, path, f"unknown format {suffix or '(no suffix)'!r}: use {', '.join(FORMATS)}")
    if not p.is_file():
        _fail(option, path, "no such file" if not p.exists() else "not a file")
    A = _load_csv(option, path, p) if suffix == ".csv" else _load_numpy(option, path, p, key)
    if not isinstance(A, np.ndarray) or A.dtype.kind not in "biuf":
        _fail(option, path, f"dtype {getattr(A, 'dtype', type(A).__name__)} is not a real number type "
                            f"(bool, integer or float)")
    if A.size == 0:
        _fail(option, path, f"empty (shape {A.shape})")
    if A.dtype.kind == "f" and not np.isfinite(A).all():
        bad = ~np.isfinite(A)
        count = int(bad.sum())
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        _fail(option, path, f"{count} NaN/Inf entr{'y' if count == 1 else 'ies'} (of {A.size}), first at index "
                            f"{first if len(first) > 1 else first[0]}")
    return A


def data_matrix(A: np.ndarray, path, *, option: str = "--data", width: int | None = None) -> np.ndarray:
    """``A`` as a float64 ``(samples, features)`` matrix, checked against the model's input ``width``.

    Raises:
        InputFileError: not 2-D, or ``features != width``.
    """
    if A.ndim != 2:
        _fail(option, path, f"shape {A.shape}: data must be 2-D, (samples, features)")
    if width is not None and A.shape[1] != width:
        _fail(option, path, f"{A.shape[1]} features per sample, but the model's first layer takes {width}")
    return np.ascontiguousarray(A, dtype=np.float64)


def checksum(A: np.ndarray) -> str:
    """SHA-256 of ``A`` as float64, little-endian, C order (independent of the file format and stored dtype)."""
    return hashlib.sha256(np.ascontiguousarray(A, dtype="<f8").tobytes()).hexdigest()
