r"""Feed-forward networks read from safetensors files, and nothing else: a file is never unpickled.

Two key layouts are read (weights in ``torch.nn.Linear``'s (out, in) layout: :math:`z_l = W_l h_{l-1} + b_l`):

- ``nn.Sequential``: the ``state_dict`` of a ``torch.nn.Sequential`` of ``Linear`` layers with activations
  (and dropout) between them — keys ``0.weight``, ``0.bias``, ``2.weight``, …, every bias optional; the
  module indices give the order;
- ``W1, b1, W2, …``: a plain dict, numbered from 1 without gaps, every bias optional.

Before any tensor is loaded the file's own header is checked: a pickle, a ``torch.save`` zip archive or a
``.npy`` array named ``.safetensors``, a truncated file, a tensor whose byte range does not fit its shape,
and a non-floating dtype are each refused with an :class:`InputFileError` naming the file and the problem;
then shapes must chain from layer to layer and every entry must be finite.

>>> import tempfile, os
>>> from safetensors.torch import save_file
>>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False))
>>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
>>> save_file(net.state_dict(), path)
>>> model = read_model(path)
>>> model.layout, model.architecture, model.parameters, [k for k, _ in model.keys]
('nn.Sequential', '3-4-2', 24, ['0.weight', '2.weight'])
>>> _ = open(path, "wb").write(b"\x80\x04\x95" + bytes(40))  # a pickle under the same name
>>> read_model(path)
Traceback (most recent call last):
...
nnclaims.numeric.models.InputFileError: .../net.safetensors: a pickle file (what torch.save and pickle.dump write), not a safetensors file; pickles are never loaded (save with safetensors.torch.save_file(model.state_dict(), PATH))
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["LAYOUTS", "FeedForward", "InputFileError", "read_model", "read_safetensors_header"]

LAYOUTS = {
    "nn.Sequential": "a torch.nn.Sequential state_dict: 0.weight, 0.bias, 2.weight, ... (Linear layers with "
                     "activations between them; biases optional)",
    "W1, b1, W2, …": "a plain dict W1, b1, W2, b2, ... numbered from 1 (biases optional)",
}

FLOAT_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}
_ITEM_SIZES = {**FLOAT_DTYPES, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1,
               "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "C64": 8, "C128": 16}
_MAX_HEADER = 100 * 2 ** 20  # the safetensors library's own limit on the JSON header
_SEQUENTIAL = re.compile(r"^(\d+)\.(weight|bias)$")
_PLAIN = re.compile(r"^([Wb])(\d+)$")


class InputFileError(ValueError):
    """An input file (model or data) that cannot be used as it is; the message names the file and the problem."""


@dataclass(frozen=True)
class FeedForward:
    """A feed-forward network as read: ``weights[l]`` is ``(n_{l+1}, n_l)``, ``biases[l]`` ``(n_{l+1},)`` or None."""

    path: str
    layout: str
    weights: tuple
    biases: tuple
    keys: tuple  # per layer: (weight key, bias key or None)
    file_dtypes: tuple
    sha256: str

    @property
    def widths(self) -> tuple[int, ...]:
        """``(n_0, n_1, …, n_{L+1})``: input width, hidden widths, output width."""
        return (self.weights[0].shape[1],) + tuple(W.shape[0] for W in self.weights)

    @property
    def architecture(self) -> str:
        return "-".join(map(str, self.widths))

    @property
    def parameters(self) -> int:
        return sum(W.numel() for W in self.weights) + sum(b.numel() for b in self.biases if b is not None)

    def stacked(self, dtype=torch.float64, device="cpu") -> tuple[list, list | None]:
        """Weights ``(1, n_{l+1}, n_l)`` and biases ``(1, n_{l+1})`` (None where absent; the list is None when no
        layer has a bias) in ``dtype`` on ``device``: the leading network axis of :mod:`nnclaims.numeric.agop`."""
        Ws = [W.to(device=device, dtype=dtype)[None] for W in self.weights]
        bs = [b.to(device=device, dtype=dtype)[None] if b is not None else None for b in self.biases]
        return Ws, (bs if any(b is not None for b in bs) else None)


def _fail(path, problem: str):
    raise InputFileError(f"{path}: {problem}")


def _sniff(path, head: bytes) -> None:
    """Refuse files whose first bytes say what they are: pickle, zip (torch.save), npy."""
    hint = "(save with safetensors.torch.save_file(model.state_dict(), PATH))"
    if head[:4] == b"PK\x03\x04":
        _fail(path, f"a zip archive (what torch.save writes), not a safetensors file; it is never unpickled {hint}")
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        _fail(path, f"a pickle file (what torch.save and pickle.dump write), not a safetensors file; pickles are never "
                    f"loaded {hint}")
    if head[:6] == b"\x93NUMPY":
        _fail(path, f"a .npy array, not a safetensors file {hint}")


def read_safetensors_header(path) -> dict:
    """The JSON header of a safetensors file, checked against the file: each tensor's byte range lies inside
    the file and matches its dtype and shape.  Reads the header only.

    Raises:
        InputFileError: unreadable, pickle/zip/npy, too short, truncated, malformed header.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        with p.open("rb") as f:
            head = f.read(8)
            _sniff(path, head)
            if len(head) < 8:
                _fail(path, f"{size} bytes: too short for a safetensors file (truncated?)")
            (n,) = struct.unpack("<Q", head)
            if n > _MAX_HEADER or 8 + n > size:
                _fail(path, f"not a safetensors file, or truncated: its header length ({n} bytes) does not fit in the "
                            f"file ({size} bytes)")
            raw = f.read(n)
    except IsADirectoryError:
        _fail(path, "a folder, not a file")
    except OSError as e:
        _fail(path, f"cannot read ({e.strerror or e})")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        _fail(path, "not a safetensors file: its header is not JSON (truncated or another format)")
    if not isinstance(header, dict):
        _fail(path, "not a safetensors file: its header is not a JSON object")
    header.pop("__metadata__", None)
    data = size - 8 - n
    end = 0
    for key, info in header.items():
        ok = (isinstance(info, dict) and isinstance(info.get("dtype"), str) and isinstance(info.get("shape"), list)
              and all(isinstance(s, int) and s >= 0 for s in info["shape"])
              and isinstance(info.get("data_offsets"), list) and len(info["data_offsets"]) == 2
              and all(isinstance(o, int) for o in info["data_offsets"]))
        if not ok:
            _fail(path, f"not a safetensors file: malformed header entry {key!r}")
        begin, stop = info["data_offsets"]
        item = _ITEM_SIZES.get(info["dtype"])
        if item is not None and not (0 <= begin <= stop and stop - begin == item * math.prod(info["shape"])):
            _fail(path, f"tensor {key!r}: its byte range {begin}..{stop} does not fit its dtype {info['dtype']} and shape "
                        f"{tuple(info['shape'])}")
        end = max(end, stop)
    if end > data:
        _fail(path, f"truncated: the header declares {end} bytes of tensor data, the file holds {data}")
    return header


def _load_tensors(path, header: dict) -> dict:
    for key, info in header.items():
        if info["dtype"] not in FLOAT_DTYPES:
            _fail(path, f"tensor {key!r} has dtype {info['dtype']}; weights must be floating point "
                        f"({', '.join(FLOAT_DTYPES)})")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        _fail(path, f"not a readable safetensors file ({str(e).splitlines()[0] if str(e) else type(e).__name__})")


def _layers_sequential(path, tensors: dict) -> tuple[list, list]:
    idx: dict[int, dict] = {}
    for key in tensors:
        i, kind = _SEQUENTIAL.match(key).groups()
        idx.setdefault(int(i), {})[kind] = key
    order = sorted(idx)
    for i in order:
        if "weight" not in idx[i]:
            _fail(path, f"{i}.bias has no {i}.weight")
    return [idx[i]["weight"] for i in order], [idx[i].get("bias") for i in order]


def _check_adjacent(path, wkeys: list[str], activation) -> None:
    """Linear layers at neighbouring indices of an nn.Sequential have no activation between them."""
    if activation in (None, "identity"):
        return
    order = [int(k.split(".")[0]) for k in wkeys]
    for a, b in zip(order, order[1:]):
        if b == a + 1:
            _fail(path, f"{a}.weight and {b}.weight are adjacent modules of the nn.Sequential: no activation between "
                        f"them, but --activation {activation} would put one there (use --activation identity, or "
                        f"merge the two linear maps)")


def _layers_plain(path, tensors: dict) -> tuple[list, list]:
    W, b = {}, {}
    for key in tensors:
        letter, num = _PLAIN.match(key).groups()
        (W if letter == "W" else b)[int(num)] = key
    if not W:
        _fail(path, "no weight tensors (W1, W2, …)")
    nums = sorted(W)
    if nums[0] != 1:
        _fail(path, f"layer numbering starts at W1 (found W{nums[0]} first)")
    missing = sorted(set(range(1, nums[-1] + 1)) - set(nums))
    if missing:
        _fail(path, f"gap in the layer numbering: W{nums[-1]} but no {', '.join(f'W{m}' for m in missing)}")
    orphans = sorted(set(b) - set(W))
    if orphans:
        _fail(path, f"{', '.join(f'b{m}' for m in orphans)} without a weight of the same number")
    return [W[i] for i in nums], [b.get(i) for i in nums]


def _layout(path, keys: list[str]) -> str:
    if not keys:
        _fail(path, "no tensors in the file")
    seq = [k for k in keys if _SEQUENTIAL.match(k)]
    plain = [k for k in keys if _PLAIN.match(k)]
    if len(seq) == len(keys):
        return "nn.Sequential"
    if len(plain) == len(keys):
        return "W1, b1, W2, …"
    other = [k for k in keys if k not in (seq if len(seq) >= len(plain) else plain)]
    shown = ", ".join(repr(k) for k in sorted(other)[:4]) + (", …" if len(other) > 4 else "")
    _fail(path, f"unexpected key(s) {shown}: the layouts read are an nn.Sequential state_dict (0.weight, 0.bias, 2.weight, …) or "
                f"W1, b1, W2, … (not both)")


def read_model(path, *, activation: str | None = None) -> FeedForward:
    """Read a feed-forward network from a safetensors file (layouts: :data:`LAYOUTS`), never unpickling.

    Args:
        path: the ``.safetensors`` file.
        activation: when given and not ``"identity"``, two ``Linear`` layers at adjacent indices of an
            ``nn.Sequential`` are refused (its state_dict shows no activation between them).

    Raises:
        InputFileError: one line naming the file and the problem (see the module docstring).
    """
    header = read_safetensors_header(path)
    layout = _layout(path, list(header))
    tensors = _load_tensors(path, header)
    if layout == "nn.Sequential":
        wkeys, bkeys = _layers_sequential(path, tensors)
    else:
        wkeys, bkeys = _layers_plain(path, tensors)
    weights, biases = [], []
    for l, (wk, bk) in enumerate(zip(wkeys, bkeys)):
        W = tensors[wk]
        if W.dim() != 2 or W.numel() == 0:
            _fail(path, f"{wk} has shape {tuple(W.shape)}: a Linear weight is a non-empty (out, in) matrix "
                        f"(normalisation and other layers are not read)")
        if l and W.shape[1] != weights[-1].shape[0]:
            prev = wkeys[l - 1]
            transposed = all(tensors[a].dim() == 2 and tensors[b_].dim() == 2 and tensors[b_].shape[0] == tensors[a].shape[1]
                             for a, b_ in zip(wkeys, wkeys[1:]))
            _fail(path, f"mismatched shapes: {wk} is {tuple(W.shape)} (out, in) but {prev} gives {weights[-1].shape[0]} "
                        f"outputs" + ("; the weights look transposed (they are read as (out, in), as torch.nn.Linear "
                                      "stores them)" if transposed else ""))
        b = None
        if bk is not None:
            b = tensors[bk]
            if tuple(b.shape) not in ((W.shape[0],), (1, W.shape[0])):
                _fail(path, f"mismatched shapes: {bk} is {tuple(b.shape)} but {wk} gives {W.shape[0]} outputs")
            b = b.reshape(-1)
        for key, t in ((wk, W), (bk, b)):
            if t is not None and not bool(torch.isfinite(t).all()):
                bad = int((~torch.isfinite(t)).sum())
                _fail(path, f"{key} has {bad} NaN/Inf entr{'y' if bad == 1 else 'ies'} (of {t.numel()})")
        weights.append(W)
        biases.append(b)
    if layout == "nn.Sequential":
        _check_adjacent(path, wkeys, activation)
    with open(path, "rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
    dtypes = tuple(sorted({header[k]["dtype"] for k in header}))
    return FeedForward(str(path), layout, tuple(weights), tuple(biases), tuple(zip(wkeys, bkeys)), dtypes, sha)
