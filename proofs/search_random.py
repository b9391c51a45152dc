r"""Random counterexample searches (Hypothesis) whose witnesses are re-checked exactly.

Random counterexample searches (Hypothesis) for claims whose bare form the symbolic layer refutes or
qualifies.  A search draws small integer instances, tests the bare statement in float64 (numpy), and hands
the first (shrunk) violation to an *independent exact* re-check (SymPy differentiation, or Z3 equivalence on
a box).  Finding nothing proves nothing: the status is then ``unknown``, never ``none``.
"""

from __future__ import annotations

import random
import time

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from ._z3 import GUARD_NOTE
from .record import SearchResult

__all__ = ["search_constant_init_breaks", "search_constant_gradient_entries", "search_input_rows_unchanged",
           "search_naive_chain_rule", "recheck_unit_gradients_differ", "recheck_gradient_entries_differ",
           "recheck_rows_unchanged", "recheck_naive_chain_rule", "screen_units_differ", "screen_entries_differ",
           "screen_rows_unchanged", "equal_outgoing_rows", "equal_features", "ROWS_CHANGE"]

MAX_EXAMPLES = 2000


def ints(lo=-2, hi=2):
    return st.integers(lo, hi)


def matrices(rows, cols, *, lo=-2, hi=2):
    return st.lists(st.lists(ints(lo, hi), min_size=cols, max_size=cols), min_size=rows, max_size=rows)


class _OutOfTime(Exception):
    pass


def _run(name, strategy, violates, recheck, bounds, seed, timeout, control=None):
    """Draw up to MAX_EXAMPLES instances (a count, with Hypothesis seeded: the same draws under any load; the
    ``timeout`` in seconds is only an outer guard, reported as such); shrink the first violation; re-check it.
    ``resources`` in the record: the instances tested (draws and shrinking steps).

    ``control`` (optional) maps the witness to a planted non-witness — the witness changed just enough that the
    property fails — which the re-check must *reject*: a re-check that accepts it accepts anything, and the
    witness is then reported as not re-checked (``rechecked=False``)."""
    s = settings(max_examples=MAX_EXAMPLES, database=None, deadline=None, phases=[Phase.generate, Phase.shrink],
                 suppress_health_check=list(HealthCheck))
    t0 = time.perf_counter()
    draws = 0

    def timed(w):  # the draws (a count) decide; the time limit is only the outer guard
        nonlocal draws
        if time.perf_counter() - t0 > timeout:
            raise _OutOfTime
        draws += 1
        return violates(w)

    try:
        w = find(strategy, timed, settings=s, random=random.Random(seed))
    except (NoSuchExample, _OutOfTime) as e:
        why = (f"{GUARD_NOTE}: the time limit of {timeout:g} s passed after {draws} draws (depends on the load)"
               if isinstance(e, _OutOfTime) else f"no violation in {MAX_EXAMPLES} random draws")
        return SearchResult(name, "unknown", bounds, seconds=round(time.perf_counter() - t0, 4),
                            note=f"{why} (a random search proves nothing)", resources=draws)
    ok, note = bool(recheck(w)), ""
    if control is not None:
        planted = control(w)
        rejects = not recheck(planted)
        note = (f"re-check control: the planted non-witness {planted} is "
                f"{'rejected, as it must be' if rejects else 'ACCEPTED: the re-check accepts anything'}")
        ok = ok and rejects
    return SearchResult(name, "found", bounds, w, ok, round(time.perf_counter() - t0, 4), note, resources=draws)


def _mlp_grad_w1(X, Y, W1, W2):
    """float64 gradient of ½‖relu(XW1)W2 − Y‖² w.r.t. W1 (row convention, no biases)."""
    X, Y, W1, W2 = (np.asarray(a, dtype=float) for a in (X, Y, W1, W2))
    Z = X @ W1
    delta = (np.maximum(Z, 0) @ W2 - Y) @ W2.T * (Z > 0)
    return X.T @ delta


def _exact_grad_w1(w):
    from .initialisation import RELU, explicit_gradients

    M = lambda a: sp.Matrix(a)
    W1 = M(w["W1"])
    return explicit_gradients(M(w["X"]), M(w["Y"]), W1, sp.zeros(1, W1.shape[1]), M(w["W2"]),
                              sp.zeros(1, len(w["W2"][0])), RELU)["W1"]


def _constant_w1(w) -> bool:
    """Exact: W1 is a constant matrix with at least two hidden units (the seed's W1 = c)."""
    W1 = sp.Matrix(w["W1"])
    return W1.shape[1] >= 2 and len(set(W1)) == 1


def _at_kink(w) -> bool:
    """Exact: some pre-activation XW1 is 0, where ReLU has no derivative (SymPy would take Heaviside(0) = 1/2,
    PyTorch 0): such a witness shows nothing."""
    return any(z == 0 for z in sp.Matrix(w["X"]) * sp.Matrix(w["W1"]))


def recheck_unit_gradients_differ(w) -> bool:
    """Exact: W1 is constant (W1 = c, b1 = 0), no pre-activation at the kink, and the two hidden units' columns
    of ∇W1 differ (SymPy differentiation), so one SGD step separates them."""
    if not _constant_w1(w) or _at_kink(w):
        return False
    G = _exact_grad_w1(w)
    return G[:, 0] != G[:, 1]


def recheck_gradient_entries_differ(w) -> bool:
    """Exact: the start is fully symmetric (W1 constant, W2 rows equal, b1 = 0), no pre-activation at the kink,
    and ∇W1 has at least two different entries."""
    if not _constant_w1(w) or len({tuple(r) for r in w["W2"]}) != 1 or _at_kink(w):
        return False
    return len(set(_exact_grad_w1(w))) > 1


def recheck_naive_chain_rule(w) -> bool:
    """Exact: ∇_h vᵀrelu(Wh) ≠ Wᵀv at h, with no pre-activation at the kink."""
    hs = sp.symbols("h0 h1")
    W = sp.Matrix(w["W"])
    p = W * sp.Matrix(hs)
    f = sum(vi * sp.Max(0, pj) for vi, pj in zip(w["v"], p))
    at = dict(zip(hs, w["h"]))
    if any(pj.subs(at) == 0 for pj in p):
        return False
    grad = sp.Matrix([sp.diff(f, x).subs(at) for x in hs])
    return grad != W.T * sp.Matrix(w["v"])


@st.composite
def _constant_w1_nets(draw, symmetric_out=False, d=1):
    c = draw(st.integers(1, 2))
    x = draw(matrices(1, d).filter(lambda m: any(m[0])))
    v = draw(matrices(2, 1))
    if symmetric_out:
        v = [v[0], v[0]]
    return {"X": x, "Y": draw(matrices(1, 1)), "W1": [[c, c] for _ in range(d)], "W2": v}


def screen_units_differ(w) -> bool:
    """float64 screen: the two hidden units' columns of ∇W1 differ."""
    G = _mlp_grad_w1(w["X"], w["Y"], w["W1"], w["W2"])
    return not np.allclose(G[:, 0], G[:, 1], rtol=0, atol=1e-9)


def screen_entries_differ(w) -> bool:
    """float64 screen: the entries of ∇W1 are not all equal."""
    return float(np.ptp(_mlp_grad_w1(w["X"], w["Y"], w["W1"], w["W2"]))) > 1e-9


def equal_outgoing_rows(w) -> dict:
    """The witness with W2's rows made equal (the symmetric start): the units' gradients then agree."""
    return dict(w, W2=[list(w["W2"][0]) for _ in w["W2"]])


def equal_features(w) -> dict:
    """The witness with every input feature equal to the first: the rows of ∇W1 then agree."""
    return dict(w, X=[[row[0]] * len(row) for row in w["X"]])


def search_constant_init_breaks(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """init.constant-symmetry (bare form): W1 = c·1 but W2 random; find data where one SGD gradient already
    differs between the two hidden units.  Re-check: exact SymPy gradient (and W1 constant); the re-check must
    reject the witness with equal outgoing rows (:func:`equal_outgoing_rows`)."""
    return _run("constant-init-breaks", _constant_w1_nets(), screen_units_differ, recheck_unit_gradients_differ,
                {"d": 1, "h": 2, "q": 1, "weights": "[-2, 2]", "draws": MAX_EXAMPLES}, seed, timeout,
                control=equal_outgoing_rows)


def search_constant_gradient_entries(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """init.constant-gradient-all-equal: fully symmetric init (W1 = c·1, equal W2 rows), d = 2; find data
    where the entries of ∇W1 are not all equal.  Re-check: exact SymPy gradient (and the symmetric start); the
    re-check must reject the witness with equal input features (:func:`equal_features`)."""
    return _run("constant-gradient-entries", _constant_w1_nets(symmetric_out=True, d=2), screen_entries_differ,
                recheck_gradient_entries_differ,
                {"d": 2, "h": 2, "q": 1, "weights": "[-2, 2]", "draws": MAX_EXAMPLES}, seed, timeout,
                control=equal_features)


@st.composite
def _row_permuted_nets(draw):
    W1 = draw(matrices(2, 2))
    W2 = draw(matrices(2, 1).filter(lambda m: any(r[0] for r in m)))
    return {"W1": W1, "W2": W2, "Q": [[0, 1], [1, 0]]}


GRID = np.array([[a, b] for a in (-2, -1, -0.5, 0, 0.5, 1, 2) for b in (-2, -1.5, -1, 0, 1, 1.5, 2)], dtype=float)


def _relu_net(W1, W2, X):
    return np.maximum(X @ np.asarray(W1, float), 0) @ np.asarray(W2, float)


def screen_rows_unchanged(w) -> bool:
    """float64 screen on a grid: W1 has distinct rows, the network is not constant, and swapping the rows of
    W1 leaves the outputs unchanged."""
    base = _relu_net(w["W1"], w["W2"], GRID)
    if w["W1"][0] == w["W1"][1] or np.ptp(base) == 0:
        return False
    return np.allclose(_relu_net([w["W1"][1], w["W1"][0]], w["W2"], GRID), base, rtol=0, atol=1e-12)


def recheck_rows_unchanged(w) -> bool:
    """Exact: the witness's Q is the swap of the two rows (the permutation this re-check applies), the rows of W1
    are distinct, the network is not constant on the box [-4, 4]², and Z3 proves the row-swapped network equal to
    it on the whole box."""
    from .search_equivalence import search_equivalent

    if sp.Matrix(w["Q"]) != sp.Matrix([[0, 1], [1, 0]]) or w["W1"][0] == w["W1"][1]:
        return False
    col = lambda W1: [list(r) for r in zip(*W1)]  # noqa: E731  row convention → (out × in)
    a = {"weights": [col(w["W1"]), col(w["W2"])], "biases": None}
    corners = [sp.Matrix([[x, y]]) for x in (-4, 4) for y in (-4, 4)] + [sp.zeros(1, 2)]
    f = lambda X: ((X * sp.Matrix(w["W1"])).applyfunc(lambda t: sp.Max(0, t)) * sp.Matrix(w["W2"]))[0]  # noqa: E731
    if len({f(X) for X in corners}) == 1:
        return False
    b = {"weights": [col([w["W1"][1], w["W1"][0]]), col(w["W2"])], "biases": None}
    return search_equivalent(a, b, box=4).status == "none"


ROWS_CHANGE = {"W1": [[1, 0], [0, 0]], "W2": [[1], [0]], "Q": [[0, 1], [1, 0]]}
"""A planted non-witness for :func:`recheck_rows_unchanged`: swapping the distinct rows changes the function."""


def search_input_rows_unchanged(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """perm.input-rows-break-symmetry (bare form "it changes the function"): find W1 with distinct rows and a
    nonzero W2, computing a non-constant function, such that swapping the rows of W1 leaves the function
    unchanged.  Screened on a grid in float64; re-check: Z3 proves the two networks equal on the whole box
    [-4, 4]²; the re-check must reject the planted :data:`ROWS_CHANGE`."""
    return _run("input-rows-unchanged", _row_permuted_nets(), screen_rows_unchanged, recheck_rows_unchanged,
                {"d": 2, "h": 2, "q": 1, "weights": "[-2, 2]", "box": 4, "draws": MAX_EXAMPLES}, seed, timeout,
                control=lambda w: dict(ROWS_CHANGE))


@st.composite
def _relu_layers(draw):
    return {"W": draw(matrices(2, 2)), "h": draw(st.lists(ints(), min_size=2, max_size=2)),
            "v": draw(st.lists(ints(), min_size=2, max_size=2))}


def search_naive_chain_rule(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """dnfa.chain-rule-naive: f_i(h) = vᵀ relu(W h); find (W, h, v) with no pre-activation at the kink where
    ∇f_i ≠ Wᵀ v (the naive, activation-free form).  Re-check: SymPy derivative of the exact expression."""
    def violates(w):
        W, h, v = (np.asarray(w[k], float) for k in ("W", "h", "v"))
        p = W @ h
        return bool(np.all(p != 0)) and not np.allclose(W.T @ ((p > 0) * v), W.T @ v)

    return _run("naive-chain-rule", _relu_layers(), violates, recheck_naive_chain_rule,
                {"k": 2, "k'": 2, "entries": "[-2, 2]", "draws": MAX_EXAMPLES}, seed, timeout)
