r"""Numeric cross-checks of constant initialisation on real training runs (float64, CPU/GPU).

*Unit spread* of a network: with hidden unit :math:`u_j = (W_1[:,j],\ b_1[j],\ W_2[j,:])`,
:math:`\max_j \|u_j - u_0\|_\infty / \max_j \|u_j\|_\infty` — zero exactly when all hidden units are identical.
Training is minibatch SGD (batches of :data:`BATCH` rows in a fixed cycle), optionally with inverted dropout on
the hidden layer.

Every record carries ``as_stated`` (the seed's statement: on the zoo from the seed's initialisation, W1 = c
only, and on float64 replays of the symbolic and search counterexamples) and a ``control`` that must fail.
For a conditional claim ``status`` checks the proved conditional form (the symmetric start S: W1 = c, equal
b1, equal rows of W2); for the false ``init.constant-gradient-all-equal`` it checks what does hold (identical
columns of ∇W1).
"""

from __future__ import annotations

from fractions import Fraction

import torch
from torch.func import grad, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import as_stated_from, identity_result, negative_control, tolerance
from .zoo import ACTIVATIONS, ZooSpec, init_zoo, mse

__all__ = ["check_constant_symmetry", "check_constant_gradient_all_equal", "check_dropout_breaks_symmetry",
           "unit_spread", "column_spread", "entry_spread", "constant_init", "train", "replay_gradient_w1"]

SPEC = ZooSpec()
ACT = ACTIVATIONS[SPEC.activation]
STEPS = 50
BATCH = 8
C = 0.3


def column_spread(W: torch.Tensor) -> torch.Tensor:
    """Relative spread of the columns (hidden units) of stacked ``W`` (N, d, h)."""
    return (W - W[:, :, :1]).abs().flatten(1).amax(1) / W.abs().flatten(1).amax(1).clamp_min(1e-300)


def entry_spread(W: torch.Tensor) -> torch.Tensor:
    """Relative spread of all entries of stacked ``W`` (N, d, h): zero exactly for a constant matrix."""
    return (W - W[:, :1, :1]).abs().flatten(1).amax(1) / W.abs().flatten(1).amax(1).clamp_min(1e-300)


def unit_spread(params: dict) -> torch.Tensor:
    """Per network, the relative spread of the hidden units ``(W1[:, j], b1[j], W2[j, :])``."""
    U = torch.cat([params["W1"].transpose(1, 2), params["b1"].transpose(1, 2), params["W2"]], 2)  # (N, h, ·)
    return (U - U[:, :1]).abs().flatten(1).amax(1) / U.abs().flatten(1).amax(1).clamp_min(1e-300)


def constant_init(networks, device, seed, *, symmetric_out: bool, c=C):
    """The zoo's initialisation with W1 = c and b1 = 0 (the seed's "all parameters of the hidden layer");
    ``symmetric_out`` also makes the rows of W2 equal (the symmetric set S)."""
    params, X, Y = init_zoo(networks, SPEC, seed, device, dtype=torch.float64)
    params["W1"] = torch.full_like(params["W1"], c)
    params["b1"] = torch.zeros_like(params["b1"])
    if symmetric_out:
        params["W2"] = params["W2"][:, :1, :].expand_as(params["W2"]).clone()
    return params, X, Y


def _masks(N, n, h, dtype, device, dropout, seed, shared):
    g = torch.Generator(device="cpu").manual_seed(seed + 17)
    if not dropout:
        return torch.ones(N, n, h, dtype=dtype, device=device)
    shape = (N, n, 1) if shared else (N, n, h)
    keep = (torch.rand(*shape, generator=g, dtype=dtype) >= dropout).to(dtype) / (1 - dropout)
    return keep.expand(N, n, h).to(device)


def train(params, X, Y, steps=STEPS, lr=0.05, *, dropout=0.0, shared_masks=False, seed=0):
    """Minibatch SGD on ½‖O−Y‖²/batch, batches of :data:`BATCH` rows in a fixed cycle; ``dropout`` > 0 applies
    inverted dropout to the hidden layer (independent per unit, or one mask value per sample shared by all
    units when ``shared_masks``)."""
    def loss(p, x, y, mask):
        Hd = ACT(x @ p["W1"] + p["b1"]) * mask
        return 0.5 * ((Hd @ p["W2"] + p["b2"] - y) ** 2).sum() / x.shape[0]

    gl = vmap(grad(loss))
    N, n = X.shape[0], X.shape[1]
    h = params["W1"].shape[2]
    for step in range(steps):
        rows = torch.arange(step * BATCH, (step + 1) * BATCH, device=X.device) % n
        mask = _masks(N, BATCH, h, X.dtype, X.device, dropout, seed + step, shared_masks)
        gr = gl(params, X[:, rows], Y[:, rows], mask)
        params = {k: params[k] - lr * gr[k] for k in params}
    return params


def replay_gradient_w1(w: dict, act_name="relu", mask=None) -> torch.Tensor:
    """float64 autograd gradient of ½‖σ(XW1 + b1)·mask W2 + b2 − Y‖² w.r.t. W1 for an exact witness
    ``{"X", "Y", "W1", "W2", optional "b1", "b2"}`` (an independent replay of a SymPy counterexample)."""
    t = lambda a: torch.tensor([[float(Fraction(str(x))) for x in row] for row in a], dtype=torch.float64)  # noqa: E731
    X, Y, W1, W2 = t(w["X"]), t(w["Y"]), t(w["W1"]), t(w["W2"])
    b1 = t(w["b1"]) if "b1" in w else torch.zeros(1, W1.shape[1], dtype=torch.float64)
    b2 = t(w["b2"]) if "b2" in w else torch.zeros(1, W2.shape[1], dtype=torch.float64)
    m = t(mask) if mask is not None else torch.ones_like(b1)
    act = ACTIVATIONS[act_name]
    return grad(lambda W: 0.5 * (((act(X @ W + b1) * m) @ W2 + b2 - Y) ** 2).sum())(W1)


def _search_witness(search, seed):
    r = search(seed=seed)
    return (r.witness if r.status == "found" else None), r.status


def _bare_replays(seed) -> dict:
    """Unit spread of ∇W1 (columns) for the symbolic counterexample and the search witness of the bare form
    (W1 = c only): a positive spread means one SGD step separates the units."""
    from nnclaims.proofs.initialisation import ASYMMETRIC
    from nnclaims.proofs.search_random import search_constant_init_breaks

    out = {"symbolic counterexample": float(column_spread(replay_gradient_w1(ASYMMETRIC)[None])[0])}
    w, status = _search_witness(search_constant_init_breaks, seed)
    if w is not None:
        out["search witness"] = float(column_spread(replay_gradient_w1(w)[None])[0])
    out["search"] = status
    return out


def _spreads(replays: dict) -> torch.Tensor:
    return torch.tensor([v for k, v in replays.items() if k != "search"], dtype=torch.float64)


def _one_unit_error(params, X) -> torch.Tensor:
    """Per network ``rel |O − (h σ(z) v + b2)|``: on S the layer computes one unit with outgoing weight h·v."""
    from .tolerance import rel_err

    O = ACT(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    one = ACT(X @ params["W1"][:, :, :1] + params["b1"][:, :, :1]) @ (SPEC.h * params["W2"][:, :1, :]) + params["b2"]
    return rel_err(O, one)


def check_constant_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""init.constant-symmetry is conditional.  *As stated* (W1 = c, b1 = 0, W2 from the zoo's random
    initialisation; minibatch SGD): the unit spread after :data:`STEPS` steps, plus float64 replays of the
    symbolic counterexample and the search witness (spread of the first gradient's columns) — violated when
    any is above the tolerance.  *Status*, the proved conditional form: from S the units stay identical
    (spread ≤ tol) and the layer acts as one unit (O = hσ(z)v + b2).  Control: S with one unit's bias moved by
    0.1, which must separate."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * STEPS)
    bare = unit_spread(train(*constant_init(networks, device, seed, symmetric_out=False), seed=seed))
    replays = _bare_replays(seed)
    params, X, Y = constant_init(networks, device, seed, symmetric_out=True)
    trained = train(params, X, Y, seed=seed)
    errs = torch.maximum(unit_spread(trained), _one_unit_error(trained, X))
    moved = dict(params, b1=params["b1"] + 0.1 * (torch.arange(SPEC.h, device=params["b1"].device) == 1))
    control = negative_control("S with one hidden bias moved by 0.1 (outside S): the units separate",
                               unit_spread(train(moved, X, Y, seed=seed)), tol)
    return identity_result("init.constant-symmetry", errs, tol, networks, device,
                           f"from S: max unit spread and one-unit error after {STEPS} minibatch SGD steps",
                           as_stated=as_stated_from(torch.cat([bare.cpu(), _spreads(replays)]), tol), control=control,
                           bare_min_spread=float(bare.min()), replays=replays)


def check_constant_gradient_all_equal(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""init.constant-gradient-all-equal is false.  *As stated* (∇W1 = c′·1 and every update leaves W1
    constant), at the most favourable start S: the entry spread of ∇W1 and of W1 after one SGD step, plus float64
    replays of the symbolic counterexample and the search witness — violated.  *Status*, what does hold: the
    columns of ∇W1 are identical (column spread ≤ tol).  Control: the column spread from the bare start (W1 = c
    only), which must be positive."""
    from nnclaims.proofs.initialisation import GRADIENT_CASE
    from nnclaims.proofs.search_random import search_constant_gradient_entries

    tol = tolerance(torch.float64, SPEC.n * SPEC.h)
    gW1 = lambda p, X, Y: vmap(grad(lambda p_, x, y: mse(p_, x, y, ACT)))(p, X, Y)["W1"]  # noqa: E731
    params, X, Y = constant_init(networks, device, seed, symmetric_out=True)
    G = gW1(params, X, Y)
    stepped = params["W1"] - 0.05 * G
    replays = {"symbolic counterexample": float(entry_spread(replay_gradient_w1(GRADIENT_CASE)[None])[0])}
    w, replays["search"] = _search_witness(search_constant_gradient_entries, seed)
    if w is not None:
        replays["search witness"] = float(entry_spread(replay_gradient_w1(w)[None])[0])
    bare_stated = torch.cat([entry_spread(G).cpu(), entry_spread(stepped).cpu(), _spreads(replays)])
    bare = constant_init(networks, device, seed, symmetric_out=False)
    control = negative_control("column spread of ∇W1 from W1 = c with random W2 (outside S)",
                               column_spread(gW1(*bare)), tol)
    return identity_result("init.constant-gradient-all-equal", column_spread(G), tol, networks, device,
                           "max rel spread of the columns of ∇W1 at the symmetric start",
                           as_stated=as_stated_from(bare_stated, tol), control=control,
                           entry_spread_min=float(entry_spread(G).min()),
                           after_step_entry_spread_min=float(entry_spread(stepped).min()), replays=replays)


def check_dropout_breaks_symmetry(networks=16, device="cpu", seed=0) -> NumericResult:
    r"""init.dropout-breaks-symmetry is conditional.  *As stated* ("minibatch SGD would not break this
    symmetry"; the seed's start W1 = c only): plain SGD separates the units on the zoo and on the replays
    of the symbolic counterexample and the search witness — violated.  *Status*, the proved conditional form,
    per network from S: plain minibatch SGD keeps the units identical **and** SGD with dropout (p = 0.5,
    independent masks) separates them; the statistic is the indicator that either fails (0 for every
    network).  Control: dropout whose mask is shared by all units of a sample, which cannot separate them —
    the indicator must be 1 for every network."""
    tol = tolerance(torch.float64, SPEC.n * SPEC.h * STEPS)
    bare = unit_spread(train(*constant_init(networks, device, seed, symmetric_out=False), seed=seed))
    replays = _bare_replays(seed)
    init = constant_init(networks, device, seed, symmetric_out=True)
    plain = unit_spread(train(*init, seed=seed))
    drop = unit_spread(train(*init, dropout=0.5, seed=seed))
    shared = unit_spread(train(*init, dropout=0.5, shared_masks=True, seed=seed))
    fails = ((plain > tol) | (drop <= tol)).double()
    control = negative_control("dropout with one mask value per sample shared by all units: it must not "
                               "separate them (indicator 1)", ((plain > tol) | (shared <= tol)).double(), 0.0)
    return identity_result("init.dropout-breaks-symmetry", fails, 0.0, networks, device,
                           "from S: networks where plain SGD separates the units or dropout does not (0/1 each)",
                           as_stated=as_stated_from(torch.cat([bare.cpu(), _spreads(replays)]), tol), control=control,
                           spread_tolerance=tol, plain_max_spread=float(plain.max()),
                           dropout_min_spread=float(drop.min()), shared_mask_max_spread=float(shared.max()),
                           bare_min_spread=float(bare.min()), replays=replays)
