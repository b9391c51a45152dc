r"""Safetensors models for ``nnclaims compare``: a small reader that never unpickles or runs code, and the
activations of the multilayer perceptron its tensors describe.

The format: 8 bytes (little-endian unsigned) giving the header length N, N bytes of UTF-8 JSON
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}``, then the tensor bytes
(offsets relative to the end of the header, little-endian, C order).  Every offset, size and dtype is checked
before a byte is read as data; a malformed file raises :class:`ModelFormatError` with one line saying why.

The network: each pair ``<prefix>.weight`` (2-D, out × in, PyTorch's ``nn.Linear`` convention) and optional
``<prefix>.bias`` is a linear layer, ordered by its prefix with numbers compared as numbers (the order of an
``nn.Sequential`` state dict); consecutive shapes must chain.  ``__metadata__["activation"]`` (``relu`` by
default; ``tanh``, ``gelu``, ``sigmoid``, ``linear``) follows every layer but the last, and
``__metadata__["output_activation"]`` (``linear`` by default) the last.  Layer ``L`` is the data for 0 and the
output of the L-th linear layer after its activation otherwise.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
>>> write_safetensors(path, {"0.weight": np.eye(2), "0.bias": np.zeros(2), "2.weight": np.ones((1, 2))})
>>> layer_activations(read_model(path), np.array([[1.0, -2.0]]), 1).tolist()  # relu([1, -2])
[[1.0, 0.0]]
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ModelFormatError", "Model", "read_safetensors", "write_safetensors", "read_model", "layer_activations",
           "ACTIVATIONS", "MAX_HEADER"]

MAX_HEADER = 100 * 2 ** 20
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U8": "u1", "BF16": "<u2", "BOOL": "?"}
ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "gelu": lambda z: 0.5 * z * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0))),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}


class ModelFormatError(ValueError):
    """A model file that is not a safetensors MLP this reader accepts (the message says why, in one line)."""


def read_safetensors(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Tensors (as float64 arrays) and metadata of a safetensors file, every field checked."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ModelFormatError(f"{path}: cannot read ({e.strerror or type(e).__name__})") from None
    if len(raw) < 8:
        raise ModelFormatError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (size,) = struct.unpack("<Q", raw[:8])
    if size > MAX_HEADER or 8 + size > len(raw):
        raise ModelFormatError(f"{path}: not a safetensors file (header length {size} does not fit the file)")
    try:
        header = json.loads(raw[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFormatError(f"{path}: not a safetensors file (the header is not JSON)") from None
    if not isinstance(header, dict):
        raise ModelFormatError(f"{path}: not a safetensors file (the header is not a JSON object)")
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ModelFormatError(f"{path}: __metadata__ must map strings to strings")
    data = memoryview(raw)[8 + size:]
    tensors, spans = {}, []
    for name, info in header.items():
        if not (isinstance(info, dict) and {"dtype", "shape", "data_offsets"} <= set(info)):
            raise ModelFormatError(f"{path}: tensor {name!r} lacks dtype, shape or data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise ModelFormatError(f"{path}: tensor {name!r} has unsupported dtype {dtype!r}")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise ModelFormatError(f"{path}: tensor {name!r} has a malformed shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= len(data)):
            raise ModelFormatError(f"{path}: tensor {name!r} has data offsets {offsets!r} outside the file")
        itemsize = np.dtype(DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != math.prod(shape) * itemsize:
            raise ModelFormatError(f"{path}: tensor {name!r}: {offsets[1] - offsets[0]} bytes for shape {shape} "
                                   f"of {dtype}")
        spans.append((offsets[0], offsets[1], name))
        arr = np.frombuffer(data[offsets[0]:offsets[1]], dtype=DTYPES[dtype]).reshape(shape)
        if dtype == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = arr.astype(np.float64)
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ModelFormatError(f"{path}: tensors {n0!r} and {n1!r} overlap")
    return tensors, meta


def write_safetensors(path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """Write float64 tensors (F64) in the safetensors format (for tests and examples)."""
    header, chunks, offset = {}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(np.shape(arr)), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = dict(metadata)
    h = json.dumps(header).encode("utf-8")
    h += b" " * (-len(h) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(chunks))


@dataclass(frozen=True)
class Model:
    """An MLP read from a safetensors file: ``layers[i] = (W (out × in), b (out,))``."""

    path: str
    layers: tuple
    activation: str
    output_activation: str


def _natural(key: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", key)]


def read_model(path) -> Model:
    """The MLP in a safetensors file (see the module docstring for the conventions)."""
    tensors, meta = read_safetensors(path)
    prefixes = sorted({k[:-len(".weight")] for k in tensors if k.endswith(".weight")}, key=_natural)
    if not prefixes:
        raise ModelFormatError(f"{path}: no '<name>.weight' tensors: not an MLP this command reads")
    extra = set(tensors) - {f"{p}.weight" for p in prefixes} - {f"{p}.bias" for p in prefixes}
    if extra:
        raise ModelFormatError(f"{path}: tensors that are no linear layer's weight or bias: {', '.join(sorted(extra))}")
    layers, width = [], None
    for p in prefixes:
        W = tensors[f"{p}.weight"]
        b = tensors.get(f"{p}.bias", np.zeros(W.shape[0] if W.ndim == 2 else 0))
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ModelFormatError(f"{path}: layer {p!r}: weight {list(W.shape)} and bias {list(b.shape)} are not "
                                   "out × in and out")
        if width is not None and W.shape[1] != width:
            raise ModelFormatError(f"{path}: layer {p!r} takes {W.shape[1]} inputs but the layer before gives {width}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ModelFormatError(f"{path}: layer {p!r} has non-finite weights")
        layers.append((W, b))
        width = W.shape[0]
    act, out_act = meta.get("activation", "relu"), meta.get("output_activation", "linear")
    for key, value in (("activation", act), ("output_activation", out_act)):
        if value not in ACTIVATIONS:
            raise ModelFormatError(f"{path}: __metadata__ {key} {value!r}: choose from {', '.join(ACTIVATIONS)}")
    return Model(str(path), tuple(layers), act, out_act)


def layer_activations(model: Model, X: np.ndarray, layer: int) -> np.ndarray:
    """Activations (points × neurons) of ``layer`` (0: the data) on the data ``X`` (points × inputs)."""
    if not 0 <= layer <= len(model.layers):
        raise ModelFormatError(f"{model.path}: layer {layer} does not exist (0 … {len(model.layers)})")
    if X.shape[1] != model.layers[0][0].shape[1]:
        raise ModelFormatError(f"{model.path}: takes {model.layers[0][0].shape[1]} inputs, the data has {X.shape[1]}")
    H = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(model.layers[:layer]):
        last = i == len(model.layers) - 1
        H = ACTIVATIONS[model.output_activation if last else model.activation](H @ W.T + b)
    return H
