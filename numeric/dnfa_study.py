r"""The DNFA study: train every condition of a profile of the preregistered design (:mod:`numeric.dnfa_design`) to
its criterion, measure the per-layer metrics, and apply the preregistered rule.

Conditions that differ only in their initial scale form one *group* and are trained as one stacked zoo
(:func:`numeric.deep.train_deep_zoo`; each network keeps its own seed, data and scale, so grouping changes no
number).  All layers' AGOP and G come from :func:`numeric.deep.all_layer_agop`; the centred AGOP of the paper's
code needs the mean gradient per output, which one reverse pass per output gives.

>>> import torch
>>> from nnclaims.numeric.deep import DeepSpec
>>> s = DeepSpec(d=3, widths=(4, 4), q=2, n=8, steps=5)
>>> m = layer_metrics(s, *_toy(s))
>>> sorted(m) == sorted(METRIC_KEYS) and tuple(m["ansatz_cos"].shape) == (2, 2)
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections import defaultdict
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from .deep import (DeepSpec, _loss_fn, _weights, all_layer_agop, init_deep_zoo, linear_layers, make_split_data,
                   train_deep_zoo, zero_predictor_loss)
from .dnfa import cos
from .dnfa_design import ALPHA, CLAIMS, CORRECTION, METRICS, NEGATIVE_CONTROLS, RULE, THRESHOLD, conditions, min_networks
from .statistics import bootstrap_interval
from .zoo import ACTIVATIONS

__all__ = ["METRIC_KEYS", "INIT_KEYS", "train_group", "layer_metrics", "init_metrics", "paper_code_replica",
           "run_study", "summarise", "decide_claim", "condition_decision", "torch_threads", "pearson", "psd_sqrt", "weakest_direction",
           "top_direction"]

METRIC_KEYS = tuple(METRICS) + tuple(NEGATIVE_CONTROLS)
INIT_KEYS = ("ansatz_cos", "isotropy_cos", "isotropy_cos_on_range")


def pearson(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Centred (Pearson) correlation of the entries of A and B, per network."""
    a = A.flatten(1) - A.flatten(1).mean(1, keepdim=True)
    b = B.flatten(1) - B.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-300)


def psd_sqrt(M: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a PSD matrix (negative rounding eigenvalues clamped to 0)."""
    ev, V = torch.linalg.eigh(M)
    return V @ torch.diag_embed(ev.clamp_min(0).sqrt()) @ V.transpose(1, 2)


def weakest_direction(W: torch.Tensor) -> torch.Tensor:
    """Rank-one ``u uᵀ`` on the right singular vector of W with the smallest singular value (negative control).

    >>> W = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))[None]
    >>> weakest_direction(W)[0].abs().tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    u = torch.linalg.svd(W, full_matrices=False)[2][:, -1, :]
    return u[:, :, None] * u[:, None, :]


def top_direction(G: torch.Tensor) -> torch.Tensor:
    """Rank-one ``u uᵀ`` on G's leading eigenvector: G collapsed onto one direction (negative control)."""
    u = torch.linalg.eigh(G)[1][..., -1]
    return u[:, :, None] * u[:, None, :]


# --- training --------------------------------------------------------------------------------------------------

def _scaled_init(spec: DeepSpec, replicates: int, seed: int, device: str):
    """The condition's initial parameters: PyTorch's default initialisation (network ``k`` from its own seed)
    times the condition's ``init_scale``."""
    base, p0 = init_deep_zoo(dataclasses.replace(spec, init_scale=1.0), replicates, seed, device)
    return base, {k: v * spec.init_scale for k, v in p0.items()}


def train_group(conds, device: str, dtype=torch.float32) -> dict:
    """Train every network of a group of conditions (same spec but the initial scale) as one stacked zoo; returns
    per condition the initial and trained parameters (float64), the training and test data, and the training
    record (loss before/after, steps, criterion_met)."""
    spec = dataclasses.replace(conds[0].spec, init_scale=1.0)
    inits, data = [], []
    base = None
    for c in conds:
        base, p0 = _scaled_init(c.spec, c.replicates, c.seed0, device)
        inits.append(p0)
        data.append(make_split_data(c.spec, c.replicates, c.seed0))
    p0 = {k: torch.cat([p[k] for p in inits]).to(dtype) for k in inits[0]}
    X = torch.cat([d[0] for d in data]).to(device, dtype)
    Y = torch.cat([d[1] for d in data]).to(device)
    Y = Y.to(dtype) if Y.is_floating_point() else Y
    t0 = time.perf_counter()
    p1, rec = train_deep_zoo(spec, base, p0, X, Y, seed=conds[0].seed0)
    seconds = time.perf_counter() - t0
    out, start = {}, 0
    for c, (Xc, Yc, Xt, Yt) in zip(conds, data):
        sl = slice(start, start + c.replicates)
        start += c.replicates
        f64 = lambda p: {k: v[sl].to(torch.float64) for k, v in p.items()}  # noqa: E731
        out[c.name] = {"p0": f64(p0), "p1": f64(p1), "X": Xc.to(device), "Y": Yc.to(device), "X_test": Xt.to(device),
                       "Y_test": Yt.to(device), "base": base,
                       "record": {k: v[sl].cpu() for k, v in rec.items()}, "seconds": seconds}
    return out


# --- metrics ---------------------------------------------------------------------------------------------------

def _mean_gradients(spec: DeepSpec, params: dict, X: torch.Tensor) -> list[torch.Tensor]:
    r"""Per hidden layer ``l``: the mean over samples of :math:`\partial f_c / \partial h_{l-1}` for every output c,
    shape (networks, q, n_{l-1}) — one reverse pass per output through the layers' inputs."""
    act = ACTIVATIONS[spec.activation]
    Ws, bs = _weights(spec, params)
    L = len(spec.widths)
    h = X.detach()
    inputs = []
    for i in range(L + 1):
        h = h.detach().requires_grad_(True) if i == 0 else h
        h.retain_grad()
        inputs.append(h)
        z = h @ Ws[i].transpose(1, 2) + (bs[i][:, None, :] if bs[i] is not None else 0)
        h = act(z) if i < L else z
    means = []
    for c in range(spec.q):
        grads = torch.autograd.grad(h[..., c].sum(), inputs[:L], retain_graph=c < spec.q - 1)
        means.append([gr.mean(1) for gr in grads])
    return [torch.stack([means[c][i] for c in range(spec.q)], 1) for i in range(L)]


def layer_metrics(spec: DeepSpec, p0: dict, p1: dict, X: torch.Tensor) -> dict:
    """Every metric of :data:`numeric.dnfa_design.METRICS`, shape (layers, networks), float64."""
    names = linear_layers(spec)[:-1]
    pc = all_layer_agop(spec, p1, X)
    means = _mean_gradients(spec, p1, X)
    rows = defaultdict(list)
    for i, name in enumerate(names):
        W, W0 = p1[f"{name}.weight"], p0[f"{name}.weight"]
        A, G = pc["AGOP"][i], pc["G"][i]
        dW = W - W0
        WtW, dWtdW = W.transpose(1, 2) @ W, dW.transpose(1, 2) @ dW
        A_centred = A - means[i].transpose(1, 2) @ means[i]
        eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
        Pr = W @ torch.linalg.pinv(W)
        rows["ansatz_cos"].append(cos(WtW, A))
        rows["paper_metric"].append(cos(dWtdW, A))
        rows["paper_metric_centred"].append(cos(dWtdW, A_centred))
        rows["ansatz_pearson"].append(pearson(WtW, A))
        rows["ansatz_cos_sqrt_agop"].append(cos(WtW, psd_sqrt(A)))
        rows["isotropy_cos"].append(cos(G, eye))
        rows["isotropy_cos_on_range"].append(cos(Pr @ G @ Pr, Pr))
        rows["feature_movement"].append(dW.flatten(1).norm(dim=1) / W0.flatten(1).norm(dim=1).clamp_min(1e-300))
        rows["control_ansatz"].append(cos(WtW, weakest_direction(W)))
        rows["control_isotropy"].append(cos(top_direction(G), eye))
    return {k: torch.stack(v).cpu() for k, v in rows.items()}


def init_metrics(spec: DeepSpec, p0: dict, X: torch.Tensor) -> dict:
    """:data:`INIT_KEYS` at initialisation (for comparison with the trained values), shape (layers, networks)."""
    names = linear_layers(spec)[:-1]
    pc = all_layer_agop(spec, p0, X)
    rows = defaultdict(list)
    for i, name in enumerate(names):
        W, A, G = p0[f"{name}.weight"], pc["AGOP"][i], pc["G"][i]
        eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
        Pr = W @ torch.linalg.pinv(W)
        rows["ansatz_cos"].append(cos(W.transpose(1, 2) @ W, A))
        rows["isotropy_cos"].append(cos(G, eye))
        rows["isotropy_cos_on_range"].append(cos(Pr @ G @ Pr, Pr))
    return {k: torch.stack(v).cpu() for k, v in rows.items()}


def paper_code_replica(spec: DeepSpec, p0: dict, p1: dict, X: torch.Tensor) -> torch.Tensor:
    """The official ``verify_deep_NFA.py`` computation, literally (no biases, as its networks): for layer index
    ``l``, the network with ``W_l`` replaced by ``W_l − W_l⁰`` (its ``load_nn`` subtracts in place through a numpy
    view), the sub-network from layer ``l`` on, evaluated at ``get_layer_output``'s features — ``x`` (l = 0),
    ``σ(W_0 x)`` (l = 1), and for l ≥ 2 the inputs of layer ``l + 1`` computed through the modified layer; then
    the uncentred cosine of :math:`(W_l - W_l^0)^\\top(W_l - W_l^0)` with that AGOP.  Shape (layers, networks)."""
    if spec.bias:
        raise ValueError("the official code's networks have no biases")
    act = ACTIVATIONS[spec.activation]
    Ws0, _ = _weights(spec, p0)
    Ws, _ = _weights(spec, p1)
    L = len(spec.widths)
    out = []
    for idx in range(L):
        mod = [W if i != idx else W - Ws0[idx] for i, W in enumerate(Ws)]
        h = X
        if idx >= 1:
            h = act(h @ mod[0].transpose(1, 2))
        for i in range(1, idx + 1 if idx >= 2 else 1):  # layers 1..idx: the helper stops one layer late
            h = act(h @ mod[i].transpose(1, 2))

        def tail(Wl, hx, idx=idx):
            z = hx
            for i in range(idx, L + 1):
                z = Wl[i] @ z
                z = act(z) if i < L else z
            return z

        def agop(Wl, H):
            J = vmap(jacrev(lambda hx: tail(Wl, hx)))(H)
            return torch.einsum("nqa,nqb->ab", J, J) / H.shape[0]

        A = vmap(agop)(mod, h)
        dW = mod[idx]
        out.append(cos(dW.transpose(1, 2) @ dW, A))
    return torch.stack(out).cpu()


def network_metrics(spec: DeepSpec, base: nn.Module, p1: dict, X, Y, Xt, Yt, record: dict) -> dict:
    """Per network: the test metric, the relative training loss and the steps to the criterion."""
    with torch.no_grad():
        train = vmap(_loss_fn(spec, base))(p1, X, Y).cpu()
        if spec.data == "teacher":
            test = (vmap(_loss_fn(spec, base))(p1, Xt, Yt).cpu() / zero_predictor_loss(spec, Yt)).double()
        else:
            out = vmap(lambda p, x: functional_call(base, p, (x,)))(p1, Xt)
            labels = Yt if Yt.dim() == 2 else Yt.argmax(-1)
            test = (out.argmax(-1) == labels).double().mean(-1).cpu()
    steps = record.get("steps", torch.full_like(train, -1, dtype=torch.long))
    return {"test": test, "train_relative_loss": (train / zero_predictor_loss(spec, Y)).double(),
            "steps": torch.where(steps >= 0, steps, torch.full_like(steps, spec.steps)).double(),
            "criterion_met": record.get("criterion_met", torch.ones_like(train, dtype=torch.bool))}


# --- statistics and the rule -----------------------------------------------------------------------------------

def _interval(values: np.ndarray, level: float, seed: int) -> list:
    if values.size == 0:
        return [float("nan"), float("nan")]
    lo, hi = bootstrap_interval(values, seed=seed, level=level)
    return [lo, hi]


def summarise(values: torch.Tensor, met: torch.Tensor, level: float, seed: int = 0) -> list[dict]:
    """Per layer (rows of ``values``, over the networks that met the criterion): median, 95 % bootstrap interval
    ``ci`` and the interval at the corrected ``level`` (``ci_corrected``)."""
    rows = []
    for v in values:
        x = v[met].double().numpy()
        x = x[np.isfinite(x)]
        rows.append({"median": float(np.median(x)) if x.size else float("nan"), "n": int(x.size),
                     "ci": _interval(x, 1 - ALPHA, seed), "ci_corrected": _interval(x, level, seed)})
    return rows


def condition_decision(per_layer: list[dict], n_met: int, replicates: int, threshold: float) -> dict:
    """The preregistered per-condition decision for one claim's primary metric."""
    if n_met < min_networks(replicates):
        return {"status": "excluded", "reason": f"{n_met} of {replicates} networks met the criterion"}
    lows = [p["ci_corrected"][0] for p in per_layer]
    highs = [p["ci_corrected"][1] for p in per_layer]
    return {"status": "supported" if min(lows) >= threshold else "unsupported",
            "value": min(p["median"] for p in per_layer), "interval": [min(lows), min(highs)]}


def decide_claim(decisions: dict) -> dict:
    """The claim's verdict from the per-condition decisions (``supported`` / ``conditional`` / ``unsupported``)."""
    counted = {k: d for k, d in decisions.items() if d["status"] != "excluded"}
    holds = [k for k, d in counted.items() if d["status"] == "supported"]
    verdict = ("supported" if counted and len(holds) == len(counted) else "conditional" if holds else "unsupported")
    return {"verdict": verdict, "supported_in": holds, "conditions_counted": len(counted),
            "excluded": [k for k, d in decisions.items() if d["status"] == "excluded"]}


# --- the run ---------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run with ``n`` intra-op threads (``None``: unchanged), restoring the previous number afterwards.  The study's
    matrices are small: on a CPU one thread is about as fast as two when the machine is idle and several times
    faster when it is shared (OpenMP threads then wait on each other)."""
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def run_study(profile: str, *, device: str = "cpu", replicates: int | None = None, threshold: float = THRESHOLD,
              progress: Callable[[str, int], None] | None = None, seed: int = 0, threads: int | None = None) -> dict:
    """Run every condition of ``profile`` and return the study as a JSON-ready dict (conditions with their
    factors, training record, per-layer metrics with intervals, decisions; the claims' verdicts)."""
    with torch_threads(threads):
        return _run(profile, device, replicates, threshold, progress, seed)


def _run(profile, device, replicates, threshold, progress, seed) -> dict:
    cpu0, load0 = time.process_time(), _load()
    conds = [dataclasses.replace(c, seed0=c.seed0 + 1_000_000 * seed) for c in conditions(profile, replicates)]
    m = len(conds)
    level = 1 - ALPHA / m
    groups = defaultdict(list)
    for c in conds:
        groups[c.group].append(c)
    t0 = time.perf_counter()
    results, train_seconds, agop_seconds, agops = {}, 0.0, 0.0, 0
    for members in groups.values():
        trained = train_group(members, device)
        train_seconds += next(iter(trained.values()))["seconds"]
        for c in members:
            r = trained[c.name]
            t1 = time.perf_counter()
            lm = layer_metrics(c.spec, r["p0"], r["p1"], r["X"])
            agop_seconds += time.perf_counter() - t1
            im = init_metrics(c.spec, r["p0"], r["X"])
            agops += c.replicates
            if c.calibration:
                lm["paper_code_replica"] = paper_code_replica(c.spec, r["p0"], r["p1"], r["X"])
            nm = network_metrics(c.spec, r["base"], r["p1"], r["X"], r["Y"], r["X_test"], r["Y_test"], r["record"])
            results[c.name] = (c, lm, nm, im)
            if progress:
                progress(c.name, c.replicates)
    out_conditions = []
    for c in conds:
        c_, lm, nm, im = results[c.name]
        met = nm["criterion_met"]
        n_met = int(met.sum())
        metrics = {k: summarise(v, met, level) for k, v in lm.items()}
        decisions = {claim: condition_decision(metrics[key], n_met, c.replicates, threshold)
                     for claim, (key, _) in CLAIMS.items()}
        out_conditions.append({
            "name": c.name, "preregistered": c.preregistered, "calibration": c.calibration, "factors": c.factors,
            "spec": dataclasses.asdict(c.spec), "networks": c.replicates, "criterion_met": n_met,
            "criterion_not_met": c.replicates - n_met, "seed0": c.seed0,
            "metrics": metrics,
            "at_initialisation": {k: summarise(v, torch.ones_like(met), 1 - ALPHA) for k, v in im.items()},
            "network_metrics": {k: {"median": float(v[met].double().median()) if n_met else float("nan"),
                                    "ci": _interval(v[met].double().numpy(), 1 - ALPHA, 0)}
                                for k, v in nm.items() if k != "criterion_met"},
            "decisions": decisions,
            "per_network": {"criterion_met": met.tolist(), **{k: v.tolist() for k, v in lm.items()},
                            **{f"{k}_init": v.tolist() for k, v in im.items()},
                            **{k: v.tolist() for k, v in nm.items() if k != "criterion_met"}},
        })
    claims = {}
    for claim in CLAIMS:
        claims[claim] = decide_claim({c["name"]: c["decisions"][claim] for c in out_conditions})
    ansatz_in = set(claims["dnfa.ansatz-holds-trained"]["supported_in"])
    iso_in = set(claims["dnfa.isotropy-holds-trained"]["supported_in"])
    claims["isotropy_explains_ansatz"] = {"answer": bool(ansatz_in) and ansatz_in <= iso_in,
                                          "ansatz_without_isotropy": sorted(ansatz_in - iso_in)}
    total = time.perf_counter() - t0
    return {"study": "dnfa", "profile": profile, "device": device, "seed": seed, "threshold": threshold,
            "alpha": ALPHA, "correction": CORRECTION, "corrected_level": level, "conditions_in_family": m,
            "rule": RULE, "metrics_defined": METRICS, "networks": sum(c.replicates for c in conds),
            "conditions": out_conditions, "claims": claims,
            "timing": {"total_seconds": round(total, 2), "train_seconds": round(train_seconds, 2),
                       "metric_seconds": round(agop_seconds, 2), "networks_per_second":
                       round(sum(c.replicates for c in conds) / max(train_seconds, 1e-9), 3),
                       "agop_networks_per_second": round(agops / max(agop_seconds, 1e-9), 3),
                       "threads": torch.get_num_threads(), "cpu_seconds": round(time.process_time() - cpu0, 2),
                       "load_average_start": load0, "load_average_end": _load(), "cpus": os.cpu_count()}}


def _load():
    """The machine's 1-minute load average (None where the platform has none): a timing taken under load says so."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _toy(spec: DeepSpec):
    """Two tiny networks (doctest helper): initial and slightly trained parameters and data."""
    base, p0 = init_deep_zoo(spec, 2, 0, "cpu", dtype=torch.float64)
    X, Y = make_split_data(spec, 2, 0)[:2]
    p1, _ = train_deep_zoo(spec, base, p0, X, Y)
    return p0, p1, X

