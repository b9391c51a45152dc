r"""The example plug-in's two claims: ReLU units' positive homogeneity (true) and tanh units' (false).

Two claims of a user's own, registered with nnclaims' public API (``nnclaims.register``), exactly as the
built-in claims are.

* ``user.relu-rescaling`` (true): in :math:`f(x) = \sum_j v_j\,\sigma(w_j\cdot x + b_j) + c` with σ = ReLU,
  replacing :math:`(w_j, b_j, v_j)` by :math:`(\alpha_j w_j, \alpha_j b_j, v_j/\alpha_j)` with every
  :math:`\alpha_j > 0` leaves f unchanged, because :math:`\mathrm{relu}(\alpha z) = \alpha\,\mathrm{relu}(z)`.
* ``user.tanh-rescaling`` (false, on purpose): the same for σ = tanh.
"""

from __future__ import annotations

import math
import random

import numpy as np
import sympy as sp

import nnclaims
from nnclaims import Claim, Derivation, Mutation, NumericResult, SearchResult, register

SOURCE = "examples/relu_homogeneity (a user's own claims)"
h, d = sp.symbols("h d", integer=True, positive=True)
j, a = sp.symbols("j a", integer=True)
W, b, v, x, alpha = (sp.IndexedBase(n) for n in ("W", "b", "v", "x", "alpha"))
relu = sp.Function("relu")


def relu_exact(t):
    """ReLU as a SymPy Piecewise (exact)."""
    return sp.Piecewise((t, t > 0), (0, True))


def preact(j_, scale=1):
    return scale * (sp.Sum(W[j_, a] * x[a], (a, 0, d - 1)) + b[j_])


@nnclaims.sound_rewrite("relu(α u) = α relu(u) for α > 0: the lemma proved case by case in the same derivation")
def pull_out_scale(expr):
    """Rewrite every ``relu(α_j · u)`` as ``α_j · relu(u)`` (sound for α_j > 0, by the lemma)."""
    return expr.replace(lambda t: isinstance(t, sp.Function) and t.func == relu and t.args[0].is_Mul
                        and any(isinstance(f, sp.Indexed) and f.base == alpha for f in t.args[0].args),
                        lambda t: sp.Mul(*[f for f in t.args[0].args if isinstance(f, sp.Indexed) and f.base == alpha])
                        * relu(sp.Mul(*[f for f in t.args[0].args if not (isinstance(f, sp.Indexed) and f.base == alpha)])))


SCALE_SIGN = 1  # the lemma is proved for α = SCALE_SIGN · (a positive number); a mutation flips it


def prove_relu_rescaling() -> nnclaims.Proof:
    r""":math:`\sum_j \frac{v_j}{\alpha_j}\mathrm{relu}(\alpha_j z_j) + c = \sum_j v_j\,\mathrm{relu}(z_j) + c`."""
    dv = Derivation("user.relu-rescaling", r"f_{\alpha}(x) = f(x)", ["σ = ReLU", "every α_j > 0"])
    pos, nonneg = sp.Symbol("p", positive=True), sp.Symbol("m", nonnegative=True)
    al = SCALE_SIGN * sp.Symbol("alpha_j", positive=True)
    for case, z in (("z > 0", pos), ("z ≤ 0", -nonneg)):
        dv.chain(relu_exact(al * z)).by(f"lemma, case {case}: evaluate the piecewise ReLU", sp.simplify) \
          .then(al * relu_exact(z), f"lemma, case {case}: = α relu(z)")
    c = sp.Symbol("c")
    rescaled = sp.Sum(v[j] / alpha[j] * relu(preact(j, alpha[j])), (j, 0, h - 1)) + c
    (dv.chain(rescaled)
       .by("pull α_j out of every unit (the lemma, α_j > 0)", pull_out_scale)
       .then(sp.Sum(v[j] * relu(preact(j)), (j, 0, h - 1)) + c, "α_j / α_j = 1: the original network"))
    return dv.close(generality="general sizes (index-level, any d, h)", general=True)


def _outputs(W1, b1, v1, X, act):
    return act(X @ W1.T + b1) @ v1


ACTS = {"relu": lambda t: np.maximum(t, 0), "tanh": np.tanh}


def _rescaling_errors(act: str, networks: int, seed: int, low: float, high: float) -> np.ndarray:
    """Relative output change per random network when every hidden unit is rescaled by α ∈ [low, high]."""
    rng = np.random.default_rng(seed)
    errs = []
    for _ in range(networks):
        W1, b1, v1 = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=6)
        X = rng.normal(size=(32, 3))
        al = rng.uniform(low, high, size=6)
        f, g = _outputs(W1, b1, v1, X, ACTS[act]), _outputs(W1 * al[:, None], b1 * al, v1 / al, X, ACTS[act])
        errs.append(np.abs(f - g).max() / max(np.abs(f).max(), 1e-300))
    return np.array(errs)


TOLERANCE = 8 * 6 * float(np.finfo(np.float64).eps)  # the suite's rule: 8 · (inner size 6) · ε of float64


def _record(claim_id, errs, control, networks, device, finding_holds: bool) -> NumericResult:
    worst = float(errs.max())
    holds = worst <= TOLERANCE
    status = "consistent" if holds else "violated"
    if not control["fails"]:
        status = "error"
    return NumericResult(claim_id, status, "max rel output change over random networks", worst, networks, device,
                         tolerance=TOLERANCE, as_stated="holds" if holds else "violated", control=control,
                         details={"expected finding": "holds" if finding_holds else "violated"})


def check_relu_rescaling(networks=16, device="cpu", seed=0) -> NumericResult:
    """Random ReLU networks, every α_j in SCALE_SIGN·[1/4, 3]: outputs agree to the float64 tolerance.
    Negative control: α_j drawn from [−3, 3] (some negative) must change the outputs."""
    lo, hi = sorted((SCALE_SIGN * 0.25, SCALE_SIGN * 3.0))
    errs = _rescaling_errors("relu", networks, seed, lo, hi)
    wrong = _rescaling_errors("relu", networks, seed + 1, -3.0, 3.0)
    control = {"description": "α drawn from [−3, 3] (some negative)", "value": float(wrong.min()),
               "fails": bool((wrong > TOLERANCE).all())}
    return _record("user.relu-rescaling", errs, control, networks, device, True)


def check_tanh_rescaling(networks=16, device="cpu", seed=0) -> NumericResult:
    """Random tanh networks, α_j in [1/4, 3]: the outputs change (the claim as stated is violated).
    Control: α_j = 1 (nothing rescaled) must leave them unchanged."""
    errs = _rescaling_errors("tanh", networks, seed, 0.25, 3.0)
    same = _rescaling_errors("tanh", networks, seed, 1.0, 1.0)
    control = {"description": "α = 1 (nothing rescaled)", "value": float(same.max()),
               "fails": bool((same <= TOLERANCE).all())}
    return _record("user.tanh-rescaling", errs, control, networks, device, False)


def recheck_tanh(w: dict) -> bool:
    """Exact re-check: f_α(x) ≠ f(x) for the witness, certified by 50-digit evaluation of the exact difference."""
    X = sp.Matrix([[sp.Rational(t) for t in w["x"]]])
    Wm, bm, vm = sp.Matrix(w["W"]), sp.Matrix(w["b"]), sp.Matrix(w["v"])
    al = [sp.Rational(t) for t in w["alpha"]]
    z = Wm * X.T + bm
    f = sum(vm[i] * sp.tanh(z[i]) for i in range(len(al)))
    g = sum(vm[i] / al[i] * sp.tanh(al[i] * z[i]) for i in range(len(al)))
    diff = sp.N(f - g, 50)
    return bool(abs(diff) > sp.Float(10) ** -40)


def search_tanh_rescaling(*, seed: int = 0, timeout: float = 60.0) -> SearchResult:
    """Hypothesis draws small integer tanh units and positive integer α (``nnclaims.strategies``); the first
    output change in float64 is shrunk and re-checked exactly."""
    import time

    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    from nnclaims import strategies as ns

    @st.composite
    def cases(draw):
        W1 = draw(ns.integer_matrices(1, 2, bound=2))
        return {"W": W1, "b": [[draw(ns.integers_in(bound=2))]], "v": [[draw(st.integers(1, 2))]],
                "alpha": [draw(st.integers(2, 3))], "x": draw(ns.datasets(2, min_points=1, max_points=1))[0]}

    def violates(w):
        z = np.array(w["W"], float) @ np.array(w["x"], float) + np.array(w["b"], float)[:, 0]
        al, vv = np.array(w["alpha"], float), np.array(w["v"], float)[:, 0]
        return abs(float(vv @ np.tanh(z) - (vv / al) @ np.tanh(al * z))) > 1e-9

    t0 = time.perf_counter()
    bounds = {"units": 1, "inputs": 2, "weights": "[-2, 2]", "alpha": "{2, 3}"}
    try:
        w = find(cases(), violates, settings=settings(max_examples=500, database=None, deadline=None,
                                                      suppress_health_check=list(HealthCheck)),
                 random=random.Random(seed))
    except NoSuchExample:
        return SearchResult("tanh-rescaling", "unknown", bounds, seconds=round(time.perf_counter() - t0, 3),
                            note="no violation in 500 random draws (a random search proves nothing)")
    return SearchResult("tanh-rescaling", "found", bounds, w, recheck_tanh(w), round(time.perf_counter() - t0, 3))


register(Claim(
    "user.relu-rescaling",
    "ReLU is positively homogeneous, so rescaling a unit by α > 0 and its outgoing weight by 1/α changes nothing",
    "For a one-hidden-layer ReLU network, (w_j, b_j, v_j) → (α_j w_j, α_j b_j, v_j/α_j) with α_j > 0 leaves f unchanged.",
    source=SOURCE,
    proof=prove_relu_rescaling,
    numeric=check_relu_rescaling,
    mutations=(
        Mutation("the lemma applied with α < 0", "relu_homogeneity.claims:SCALE_SIGN", lambda sign: -sign,
                 layers=("symbolic", "numeric")),
        Mutation("numeric tolerance at +∞", "relu_homogeneity.claims:TOLERANCE", lambda tol: math.inf,
                 layers=("numeric",)),
    ),
    established="true",
))

register(Claim(
    "user.tanh-rescaling",
    "the same rescaling works for tanh units",
    "For a one-hidden-layer tanh network, (w_j, b_j, v_j) → (α_j w_j, α_j b_j, v_j/α_j) with α_j > 0 leaves f unchanged.",
    source=SOURCE,
    search=search_tanh_rescaling,
    numeric=check_tanh_rescaling,
    mutations=(
        Mutation("re-check accepts nothing", "relu_homogeneity.claims:recheck_tanh", lambda f: lambda w: False,
                 layers=("search",)),
        Mutation("numeric tolerance at +∞", "relu_homogeneity.claims:TOLERANCE", lambda tol: math.inf,
                 layers=("numeric",)),
    ),
    established="false",
))

__all__ = ["prove_relu_rescaling", "check_relu_rescaling", "check_tanh_rescaling", "search_tanh_rescaling"]
