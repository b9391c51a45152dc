r"""``equivalent``: do two ReLU networks compute the same function on a box?  (Z3, linear real arithmetic.)

Networks use the witness format of :mod:`proofs.search_subspace`: ``{"weights": [W1, …], "biases": [b1, …] or
null}`` with each W of shape (out × in), ``h = relu(W h_prev + b)``, the last layer ``output_activation``.
Z3 either finds an input in ``[-box, box]^d`` where the outputs differ by more than ``gap`` (``found``,
re-checked exactly with SymPy rationals), proves that none exists (``none``: the networks agree on the whole
box), or times out (``unknown``).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import z3

from nnclaims.inputs import InputError, number

from ._z3 import RLIMIT, check_rlimit, check_seed, check_time_limit, resources, unknown_note
from .record import SearchResult
from .subspace import forward_relu

__all__ = ["search_equivalent", "recheck_equivalent", "validate_network", "NetworkFormatError", "MAX_LAYERS", "MAX_WIDTH", "MAX_BOX"]


class NetworkFormatError(InputError):
    """A network description that is not what it says (one line naming the net, the layer and the entry)."""


MAX_LAYERS = 16
"""Layers per network: the encoding has one ReLU case split per hidden unit; deeper nets never finish."""

MAX_WIDTH = 256
"""Units per layer and input dimension: every output is a sum over the previous layer, built as Z3 terms."""

MAX_BOX = 1e12
"""Largest box half-width and gap: the input box is exact rationals; beyond this the question is not about a
box any more."""


def validate_network(net, name: str = "network") -> int:
    """Check shapes, sizes and every number (finite, not too large, see :mod:`nnclaims.inputs`); return the
    input dimension.  Raises :class:`NetworkFormatError` naming the net, the layer, weight or bias, and the
    index (``net_a layer 2 weight [0][1]: NaN, not a finite number``).

    >>> validate_network({"weights": [[[1, 0], [0, 1]], [["3/5", -1]]], "biases": None}, "net_a")
    2
    >>> validate_network({"weights": [[[1, float("inf")]]]}, "net_b")
    Traceback (most recent call last):
    ...
    nnclaims.proofs.search_equivalence.NetworkFormatError: net_b layer 1 weight [0][1]: inf, not a finite number
    """
    if not isinstance(net, dict) or not isinstance(net.get("weights"), list) or not net["weights"]:
        raise NetworkFormatError(f"{name}: expected an object with a non-empty 'weights' list")
    if len(net["weights"]) > MAX_LAYERS:
        raise NetworkFormatError(f"{name}: {len(net['weights'])} layers, more than the {MAX_LAYERS} allowed")
    prev = None
    for i, W in enumerate(net["weights"]):
        layer = f"{name} layer {i + 1} weight"
        if not isinstance(W, list) or not W or not all(isinstance(r, list) and r for r in W):
            raise NetworkFormatError(f"{layer}: not a non-empty matrix (a list of rows)")
        cols = {len(r) for r in W}
        if len(cols) != 1:
            raise NetworkFormatError(f"{layer}: rows of different lengths")
        if max(len(W), len(W[0])) > MAX_WIDTH:
            raise NetworkFormatError(f"{layer}: {len(W)}×{len(W[0])}, wider than the {MAX_WIDTH} units allowed")
        for r, row in enumerate(W):
            for c, v in enumerate(row):
                _entry(v, f"{layer} [{r}][{c}]")
        if prev is not None and cols.pop() != prev:
            raise NetworkFormatError(f"{layer}: takes {len(W[0])} inputs, so it does not take the {prev} outputs of layer {i}")
        prev = len(W)
    biases = net.get("biases")
    if biases is not None:
        if not isinstance(biases, list) or len(biases) != len(net["weights"]):
            raise NetworkFormatError(f"{name}: 'biases' must be null or one vector per layer")
        for i, (b, W) in enumerate(zip(biases, net["weights"])):
            if not isinstance(b, list) or len(b) != len(W):
                raise NetworkFormatError(f"{name} layer {i + 1} bias: must have {len(W)} entries (one per unit)")
            for r, v in enumerate(b):
                _entry(v, f"{name} layer {i + 1} bias [{r}]")
    return len(net["weights"][0][0])


def _entry(v, where: str) -> None:
    try:
        number(v, where)
    except InputError as e:
        raise NetworkFormatError(str(e)) from None


def _z3_forward(net, x, output_activation):
    h = x
    L = len(net["weights"])
    for i, W in enumerate(net["weights"]):
        b = net["biases"][i] if net.get("biases") else [0] * len(W)
        z = [z3.Sum([z3.RealVal(str(Fraction(w))) * hj for w, hj in zip(row, h)]) + z3.RealVal(str(Fraction(bi)))
             for row, bi in zip(W, b)]
        h = z if (i == L - 1 and output_activation == "linear") else [z3.If(t > 0, t, 0) for t in z]
    return h


def recheck_equivalent(net_a: dict, net_b: dict, w: dict, *, output_activation: str = "linear", box: float = 1.0,
                       gap: float = 0.0) -> bool:
    """Independent exact re-check of a witness ``{"x", "output_a", "output_b"}`` (SymPy rationals): ``x`` has the
    input dimension and lies in ``[-box, box]^d``, the recorded outputs are the networks' outputs at ``x``, and
    some output differs by more than ``gap``."""
    xs = w["x"]
    if len(xs) != len(net_a["weights"][0][0]) or not all(abs(Fraction(v)) <= Fraction(box) for v in xs):
        return False
    ya = forward_relu(net_a["weights"], net_a.get("biases"), xs, output_activation)[-1]
    yb = forward_relu(net_b["weights"], net_b.get("biases"), xs, output_activation)[-1]
    recorded = [[Fraction(str(v)) for v in w[k]] for k in ("output_a", "output_b")]
    if recorded != [[Fraction(str(v)) for v in y] for y in (ya, yb)]:
        return False
    return bool(max(abs(p - q) for p, q in zip(ya, yb)) > Fraction(gap))


def search_equivalent(net_a: dict, net_b: dict, *, output_activation: str = "linear", box: float = 1.0,
                      gap: float = 0.0, seed: int = 0, timeout: float = 60.0, rlimit: int = RLIMIT) -> SearchResult:
    """Find x in ``[-box, box]^d`` with ``|f_a(x) − f_b(x)| > gap`` in some output, or prove there is none."""
    da, db = validate_network(net_a, "net_a"), validate_network(net_b, "net_b")
    if da != db or len(net_a["weights"][-1]) != len(net_b["weights"][-1]):
        raise NetworkFormatError("net_a and net_b must have the same input and output dimensions")
    if not (math.isfinite(box) and 0 < box <= MAX_BOX) or not (math.isfinite(gap) and 0 <= gap <= MAX_BOX):
        raise ValueError(f"box must be in (0, {MAX_BOX:g}] and gap in [0, {MAX_BOX:g}] (got box {box}, gap {gap})")
    if output_activation not in ("linear", "relu"):
        raise ValueError(f"output_activation must be linear or relu (got {output_activation!r})")
    bounds = {"box": box, "gap": gap, "input_dim": da, "output_activation": output_activation, "rlimit": rlimit}
    x = [z3.Real(f"x{i}") for i in range(da)]
    check_seed(seed)
    check_time_limit(timeout)
    check_rlimit(rlimit)
    s = z3.Solver()
    s.set("timeout", max(1, int(timeout * 1000)))  # the wall-clock guard; the resource limit decides
    s.set("rlimit", rlimit)
    s.set("random_seed", seed)
    B = z3.RealVal(str(Fraction(box)))
    s.add([z3.And(v >= -B, v <= B) for v in x])
    oa, ob = _z3_forward(net_a, x, output_activation), _z3_forward(net_b, x, output_activation)
    G = z3.RealVal(str(Fraction(gap)))
    s.add(z3.Or([z3.Or(p - q > G, q - p > G) for p, q in zip(oa, ob)]))
    t0 = time.perf_counter()
    res = s.check()
    secs = round(time.perf_counter() - t0, 4)
    used = resources(s)
    if res == z3.sat:
        m = s.model()
        point = [m.eval(v, model_completion=True) for v in x]
        xs = [str(Fraction(p.numerator_as_long(), p.denominator_as_long())) for p in point]
        ya = forward_relu(net_a["weights"], net_a.get("biases"), xs, output_activation)[-1]
        yb = forward_relu(net_b["weights"], net_b.get("biases"), xs, output_activation)[-1]
        w = {"x": xs, "output_a": [str(v) for v in ya], "output_b": [str(v) for v in yb]}
        rechecked = recheck_equivalent(net_a, net_b, w, output_activation=output_activation, box=box, gap=gap)
        return SearchResult("equivalent", "found", bounds, w, rechecked, secs, resources=used)
    if res == z3.unsat:
        return SearchResult("equivalent", "none", bounds, seconds=secs,
                            note="the networks agree (within gap) on the whole box", resources=used)
    return SearchResult("equivalent", "unknown", bounds, seconds=secs,
                        note=unknown_note(s.reason_unknown(), rlimit, timeout), resources=used)
