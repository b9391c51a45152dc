r"""The DNFA study's runner: trains a profile's conditions, measures per-layer metrics, applies the rule.

The DNFA study: train every condition of a profile of the preregistered design (:mod:`numeric.dnfa_design`) to
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

__all__ = ["METRIC_KEYS", "INIT_KEYS", "train_group", "train_shard", "layer_metrics", "init_metrics",
           "paper_code_replica", "run_study", "run_shard", "plan_shards", "assemble_study", "study_conditions", "Shard",
           "splittable", "shard_label", "summarise", "decide_claim", "condition_decision", "torch_threads", "pearson", "psd_sqrt", "weakest_direction",
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
    record (loss before/after, steps, criterion_met).  (:func:`train_shard` with every network of each.)"""
    parts = [(c, 0, c.replicates) for c in conds]
    return {c.name: r for c, r in zip(conds, train_shard(parts, device, conds[0].seed0, dtype))}


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


def study_conditions(profile: str, replicates: int | None = None, seed: int = 0) -> tuple:
    """The profile's conditions with every network's seed offset by ``seed`` (``seed0 + 1,000,000·seed``)."""
    return tuple(dataclasses.replace(c, seed0=c.seed0 + 1_000_000 * seed) for c in conditions(profile, replicates))


@dataclasses.dataclass(frozen=True)
class Shard:
    """One unit of the study: networks ``[start, stop)`` of each of ``parts``' conditions (one architecture group),
    trained as one stacked zoo with the group's training seed ``train_seed``."""

    index: int
    group: int
    parts: tuple  # ((condition name, start, stop), ...), in the plan's order
    train_seed: int

    @property
    def name(self) -> str:
        return f"shard-{self.index:04d}"

    @property
    def networks(self) -> int:
        return sum(stop - start for _, start, stop in self.parts)


def splittable(spec: DeepSpec) -> bool:
    """Whether a stack of this spec may be cut into slices without changing a number: full-batch training without
    dropout draws no random numbers for the stack as a whole (minibatch orders and dropout masks are drawn for all
    networks at once, so a slice of such a stack would train on other batches)."""
    return not (0 < spec.batch_size < spec.n) and spec.dropout == 0


def plan_shards(conds, shard_networks: int | None = None) -> tuple:
    """The study's units, in order.  Conditions that differ only in their initial scale form one group (in the
    order of their first condition); without ``shard_networks`` a group is one shard (as the study has always
    trained it), with it a splittable group (:func:`splittable`) is cut, in condition-then-network order, into
    slices of at most ``shard_networks`` networks.

    >>> from nnclaims.numeric.dnfa_design import conditions
    >>> cs = conditions("verify", 4)
    >>> [(s.index, s.parts) for s in plan_shards(cs)][1]
    (1, (('base: rank-1 teacher, SGD', 0, 4), ('small init (x0.1), SGD', 0, 4)))
    >>> [s.parts for s in plan_shards(cs, 3) if s.group == 1]
    [(('base: rank-1 teacher, SGD', 0, 3),), (('base: rank-1 teacher, SGD', 3, 4), ('small init (x0.1), SGD', 0, 2)), (('small init (x0.1), SGD', 2, 4),)]
    """
    if shard_networks is not None and shard_networks < 1:
        raise ValueError(f"shard_networks must be at least 1 (got {shard_networks})")
    groups = defaultdict(list)
    for c in conds:
        groups[c.group].append(c)
    shards = []
    for g, members in enumerate(groups.values()):
        seed = members[0].seed0
        if shard_networks is None or not splittable(members[0].spec):
            chunks = [[(c.name, 0, c.replicates) for c in members]]
        else:
            chunks, cur, size = [], [], 0
            for c in members:
                start = 0
                while start < c.replicates:
                    take = min(c.replicates - start, shard_networks - size)
                    cur.append((c.name, start, start + take))
                    start, size = start + take, size + take
                    if size == shard_networks:
                        chunks.append(cur)
                        cur, size = [], 0
            if cur:
                chunks.append(cur)
        for parts in chunks:
            shards.append(Shard(len(shards), g, tuple(parts), seed))
    return tuple(shards)


def train_shard(parts, device: str, train_seed: int, dtype=torch.float32) -> list:
    """Train networks ``[start, stop)`` of each ``(condition, start, stop)`` as one stacked zoo.  Each slice is cut
    out of its whole condition's initialisation and data, so network k is the same network whatever the slice.
    Returns per part the initial and trained parameters (float64), the data and the training record."""
    spec = dataclasses.replace(parts[0][0].spec, init_scale=1.0)
    inits, data = [], []
    base = None
    for c, start, stop in parts:
        base, p0 = _scaled_init(c.spec, c.replicates, c.seed0, device)
        inits.append({k: v[start:stop] for k, v in p0.items()})
        data.append(tuple(t[start:stop] for t in make_split_data(c.spec, c.replicates, c.seed0)))
    p0 = {k: torch.cat([p[k] for p in inits]).to(dtype) for k in inits[0]}
    X = torch.cat([d[0] for d in data]).to(device, dtype)
    Y = torch.cat([d[1] for d in data]).to(device)
    Y = Y.to(dtype) if Y.is_floating_point() else Y
    t0 = time.perf_counter()
    p1, rec = train_deep_zoo(spec, base, p0, X, Y, seed=train_seed)
    seconds = time.perf_counter() - t0
    out, offset = [], 0
    for (c, start, stop), (Xc, Yc, Xt, Yt) in zip(parts, data):
        sl = slice(offset, offset + stop - start)
        offset += stop - start
        f64 = lambda p: {k: v[sl].to(torch.float64) for k, v in p.items()}  # noqa: E731
        out.append({"p0": f64(p0), "p1": f64(p1), "X": Xc.to(device), "Y": Yc.to(device), "X_test": Xt.to(device),
                    "Y_test": Yt.to(device), "base": base,
                    "record": {k: v[sl].cpu() for k, v in rec.items()}, "seconds": seconds})
    return out


def run_shard(shard: Shard, profile: str, replicates: int | None, seed: int, device: str,
              threads: int | None = None) -> dict:
    """Train one shard and measure its networks: a JSON-ready dict holding, per part, every per-network value the
    study's assembly reads (float64 values round-trip through JSON exactly), and the shard's timings.  A pure
    function of its arguments: it runs the same anywhere (a Ray worker, a resumed run)."""
    by_name = {c.name: c for c in study_conditions(profile, replicates, seed)}
    parts = [(by_name[name], start, stop) for name, start, stop in shard.parts]
    with torch_threads(threads):
        trained = train_shard(parts, device, shard.train_seed)
        out, metric_seconds = [], 0.0
        for (c, start, stop), r in zip(parts, trained):
            t1 = time.perf_counter()
            lm = layer_metrics(c.spec, r["p0"], r["p1"], r["X"])
            metric_seconds += time.perf_counter() - t1
            im = init_metrics(c.spec, r["p0"], r["X"])
            if c.calibration:
                lm["paper_code_replica"] = paper_code_replica(c.spec, r["p0"], r["p1"], r["X"])
            nm = network_metrics(c.spec, r["base"], r["p1"], r["X"], r["Y"], r["X_test"], r["Y_test"], r["record"])
            out.append({"condition": c.name, "start": start, "stop": stop,
                        "layer": {k: v.tolist() for k, v in lm.items()},
                        "init": {k: v.tolist() for k, v in im.items()},
                        "network": {k: v.tolist() for k, v in nm.items()}})
    return {"shard": shard.name, "parts": [list(p) for p in shard.parts], "networks": shard.networks,
            "train_seconds": trained[0]["seconds"], "metric_seconds": metric_seconds, "results": out}


def _condition_tensors(c, pieces: list) -> tuple:
    """One condition's per-network values from its pieces (one per shard that holds some of its networks), in
    network order; the pieces must cover networks 0..R-1 exactly once."""
    pieces = sorted(pieces, key=lambda p: p["start"])
    covered = [(p["start"], p["stop"]) for p in pieces]
    expect = 0
    for a, b in covered:
        if a != expect:
            raise ValueError(f"condition {c.name!r}: networks {expect}..{a - 1} missing or counted twice in the shards")
        expect = b
    if expect != c.replicates:
        raise ValueError(f"condition {c.name!r}: the shards hold {expect} of its {c.replicates} networks")

    def cat(kind, key, dtype):  # (layers, networks) or (networks,), joined along the networks
        return torch.cat([torch.tensor(p[kind][key], dtype=dtype) for p in pieces], -1)

    first = pieces[0]
    lm = {k: cat("layer", k, torch.float64) for k in first["layer"]}
    im = {k: cat("init", k, torch.float64) for k in first["init"]}
    nm = {k: cat("network", k, torch.bool if k == "criterion_met" else torch.float64) for k in first["network"]}
    return lm, nm, im


def run_study(profile: str, *, device: str = "cpu", replicates: int | None = None, threshold: float = THRESHOLD,
              progress: Callable[[str, int], None] | None = None, seed: int = 0, threads: int | None = None,
              shard_networks: int | None = None) -> dict:
    """Run every condition of ``profile`` and return the study as a JSON-ready dict (conditions with their
    factors, training record, per-layer metrics with intervals, decisions; the claims' verdicts).  Here, one shard
    after another (:func:`plan_shards`); ``progress(label, networks)`` after each shard.  The command line's
    ``--backend ray`` and resuming run the same shards elsewhere and assemble them with :func:`assemble_study`."""
    cpu0, load0, t0 = time.process_time(), _load(), time.perf_counter()
    conds = study_conditions(profile, replicates, seed)
    results = {}
    for shard in plan_shards(conds, shard_networks):
        results[shard.index] = run_shard(shard, profile, replicates, seed, device, threads)
        if progress:
            progress(shard_label(shard), shard.networks)
    timing = {"total_seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - cpu0,
              "load_average_start": load0, "threads": _threads(threads)}
    return assemble_study(profile, conds, results, device=device, threshold=threshold, seed=seed, timing=timing)


def shard_label(shard: Shard) -> str:
    """A shard for a progress line: its first condition (and how many more)."""
    names = list(dict.fromkeys(name for name, _, _ in shard.parts))
    return names[0] + (f" (+{len(names) - 1})" if len(names) > 1 else "")


def _threads(threads: int | None) -> int:
    return threads or torch.get_num_threads()


def assemble_study(profile: str, conds, results: dict, *, device: str, threshold: float = THRESHOLD, seed: int = 0,
                   timing: dict | None = None) -> dict:
    """The study from its shards' answers (``{shard index: run_shard(...)}``, in any order): every condition's
    networks in seed order, then the statistics and the preregistered rule, exactly as one local run computes
    them.  ``timing``: the run's wall and CPU seconds (summed with the shards' own training and metric times)."""
    m = len(conds)
    level = 1 - ALPHA / m
    pieces = defaultdict(list)
    train_seconds = metric_seconds = 0.0
    for index in sorted(results):
        r = results[index]
        train_seconds += r["train_seconds"]
        metric_seconds += r["metric_seconds"]
        for p in r["results"]:
            pieces[p["condition"]].append(p)
    out_conditions = []
    for c in conds:
        lm, nm, im = _condition_tensors(c, pieces[c.name])
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
    networks = sum(c.replicates for c in conds)
    timing = dict(timing or {})
    return {"study": "dnfa", "profile": profile, "device": device, "seed": seed, "threshold": threshold,
            "alpha": ALPHA, "correction": CORRECTION, "corrected_level": level, "conditions_in_family": m,
            "rule": RULE, "metrics_defined": METRICS, "networks": networks,
            "conditions": out_conditions, "claims": claims,
            "timing": {"total_seconds": round(timing.pop("total_seconds", train_seconds + metric_seconds), 2),
                       "train_seconds": round(train_seconds, 2),
                       "metric_seconds": round(metric_seconds, 2), "networks_per_second":
                       round(networks / max(train_seconds, 1e-9), 3),
                       "agop_networks_per_second": round(networks / max(metric_seconds, 1e-9), 3),
                       "threads": timing.pop("threads", torch.get_num_threads()),
                       "cpu_seconds": round(timing.pop("cpu_seconds", 0.0), 2),
                       "load_average_start": timing.pop("load_average_start", None), "load_average_end": _load(),
                       "cpus": os.cpu_count(), **timing}}


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

