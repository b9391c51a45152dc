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
from .dnfa_design import (CLAIMS, CORRECTION, INIT_KEYS, LEARNED_BELOW, METRICS, PRIMARY_WHY, RULE, SAMPLE_SIZE_RULE,
                          SEEN_BEFORE, EXPLORATORY_SEEDS, THRESHOLD, conditions, family, seed_range)
from .statistics import NOT_EVIDENCE, median_interval, one_rule
from .zoo import ACTIVATIONS

__all__ = ["METRIC_KEYS", "INIT_KEYS", "CONTROL_KEYS", "train_group", "train_shard", "layer_metrics", "init_metrics",
           "paper_code_replica", "run_study", "run_shard", "plan_shards", "assemble_study", "study_conditions", "Shard",
           "splittable", "shard_label", "summarise", "decide_claim", "condition_decision", "learned_decision",
           "control_decision", "CONTROLS", "isotropic_gram",
           "torch_threads", "pearson", "psd_sqrt", "haar_orthogonal", "spectrum_null", "rank_bound", "other_network",
           "network_seeds"]

#: negative controls (the effect absent) and positive controls (the effect present, drawn, so either can fail)
CONTROL_KEYS = ("control_ansatz_other", "control_isotropy_agop", "positive_ansatz", "positive_ansatz_beyond_null",
                "positive_isotropy")
METRIC_KEYS = tuple(METRICS) + CONTROL_KEYS


def pearson(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Centred (Pearson) correlation of the entries of A and B, per network."""
    a = A.flatten(1) - A.flatten(1).mean(1, keepdim=True)
    b = B.flatten(1) - B.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-300)


def psd_sqrt(M: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a PSD matrix (negative rounding eigenvalues clamped to 0)."""
    ev, V = torch.linalg.eigh(M)
    return V @ torch.diag_embed(ev.clamp_min(0).sqrt()) @ V.transpose(1, 2)


def haar_orthogonal(k: int, generator: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """A k×k orthogonal matrix drawn from the Haar measure: Q of the QR decomposition of a Gaussian matrix with
    the signs of R's diagonal moved into Q (Mezzadri 2007), from ``generator`` (so seeded draws repeat).

    >>> Q = haar_orthogonal(4, torch.Generator().manual_seed(0))
    >>> bool(torch.allclose(Q @ Q.T, torch.eye(4, dtype=torch.float64), atol=1e-12))
    True
    """
    Z = torch.randn(k, k, generator=generator, dtype=torch.float64)
    Q, R = torch.linalg.qr(Z)
    return (Q * torch.sign(torch.diagonal(R))).to(dtype)


def network_seeds(seed0: int, start: int, stop: int) -> list[int]:
    """The seeds of networks ``[start, stop)`` of a condition whose first network seed is ``seed0``."""
    return [seed0 + k for k in range(start, stop)]


def spectrum_null(M: torch.Tensor, A: torch.Tensor, seeds, layer: int) -> torch.Tensor:
    r"""The spectrum-matched null of :math:`\cos(M, A)` per network: :math:`\cos(M, Q\Lambda Q^\top)` with
    :math:`\Lambda` the eigenvalues of A and Q Haar-random (network ``j``'s Q from the seed
    ``16·seeds[j] + layer``): what the two spectra alone give, A's eigenvectors forgotten."""
    ev = torch.linalg.eigvalsh(A)
    k = A.shape[-1]
    Qs = torch.stack([haar_orthogonal(k, torch.Generator().manual_seed(16 * int(s) + layer)) for s in seeds])
    Qs = Qs.to(A.device, A.dtype)
    return cos(M, Qs @ torch.diag_embed(ev) @ Qs.transpose(1, 2))


def rank_bound(G: torch.Tensor) -> torch.Tensor:
    r""":math:`\sqrt{\mathrm{rank}(G)/k}` per network: the largest :math:`\cos(G, I)` the rank allows
    (:math:`\cos(G, I) = \mathrm{tr}\,G / (\|G\|_F\sqrt k) \le \sqrt{\mathrm{rank}\,G / k}` by Cauchy–Schwarz on
    the nonzero eigenvalues); numerical rank: eigenvalues above :math:`k\,\varepsilon\,\lambda_{\max}`.

    >>> round(float(rank_bound(torch.diag(torch.tensor([1.0, 1.0, 0, 0], dtype=torch.float64))[None])[0]), 6)
    0.707107
    """
    ev = torch.linalg.eigvalsh(G)
    k = G.shape[-1]
    tol = k * torch.finfo(G.dtype).eps * ev[..., -1:].abs()
    return ((ev > tol).sum(-1).to(G.dtype) / k).sqrt()


def isotropic_gram(k: int, samples: int, seeds, layer: int, dtype=torch.float64) -> torch.Tensor:
    """Per network, :math:`\\tilde G = \\Gamma\\Gamma^\\top / N` of ``samples`` = N standard Gaussian gradient
    vectors in :math:`\\mathbb R^k` (network ``j``'s from the seed ``16·seeds[j] + 8 + layer``): what G would be
    if the gradients were isotropic, at the layer's own number of gradient vectors (n samples × q outputs).  Its
    cos with I is about :math:`1/\\sqrt{1 + (k+1)/N}` — above 0.9 only when N is large enough, so a positive control
    built on it can fail."""
    out = []
    for s in seeds:
        g = torch.Generator().manual_seed(16 * int(s) + 8 + layer)
        Z = torch.randn(k, samples, generator=g, dtype=torch.float64)
        out.append(Z @ Z.T / samples)
    return torch.stack(out).to(dtype)


def other_network(A: torch.Tensor) -> torch.Tensor:
    """Network ``j``'s partner's matrix: that of network ``j + 1`` (cyclically) of the same stack; NaN for a stack
    of one network (it has no other)."""
    if A.shape[0] < 2:
        return torch.full_like(A, float("nan"))
    return torch.roll(A, -1, dims=0)


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


def layer_metrics(spec: DeepSpec, p0: dict, p1: dict, X: torch.Tensor, seeds=None) -> dict:
    """Every metric of :data:`numeric.dnfa_design.METRICS` and the controls (:data:`CONTROL_KEYS`), shape (layers,
    networks), float64.  ``seeds``: the networks' seeds (the null's rotations are drawn from them; default
    ``0..N-1``)."""
    names = linear_layers(spec)[:-1]
    pc = all_layer_agop(spec, p1, X)
    means = _mean_gradients(spec, p1, X)
    seeds = list(range(X.shape[0])) if seeds is None else list(seeds)
    rows = defaultdict(list)
    for i, name in enumerate(names):
        W, W0 = p1[f"{name}.weight"], p0[f"{name}.weight"]
        A, G = pc["AGOP"][i], pc["G"][i]
        dW = W - W0
        WtW, dWtdW = W.transpose(1, 2) @ W, dW.transpose(1, 2) @ dW
        A_centred = A - means[i].transpose(1, 2) @ means[i]
        eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
        eye_in = torch.eye(A.shape[-1], dtype=W.dtype, device=W.device).expand_as(A)
        Pr = W @ torch.linalg.pinv(W)
        sqrtA = psd_sqrt(A)
        rows["ansatz_cos"].append(cos(WtW, A))
        rows["ansatz_null"].append(spectrum_null(WtW, A, seeds, i))
        rows["ansatz_beyond_null"].append(rows["ansatz_cos"][-1] - rows["ansatz_null"][-1])
        rows["paper_metric"].append(cos(dWtdW, A))
        rows["paper_metric_centred"].append(cos(dWtdW, A_centred))
        rows["science_pearson"].append(pearson(dWtdW, sqrtA))
        rows["ansatz_pearson"].append(pearson(WtW, A))
        rows["ansatz_cos_sqrt_agop"].append(cos(WtW, sqrtA))
        rows["isotropy_cos"].append(cos(G, eye))
        rows["isotropy_rank_bound"].append(rank_bound(G))
        rows["isotropy_cos_on_range"].append(cos(Pr @ G @ Pr, Pr))
        rows["feature_movement"].append(dW.flatten(1).norm(dim=1) / W0.flatten(1).norm(dim=1).clamp_min(1e-300))
        rows["control_ansatz_other"].append(cos(WtW, other_network(A)))
        rows["control_isotropy_agop"].append(cos(A, eye_in))
        Gt = isotropic_gram(G.shape[-1], X.shape[1] * spec.q, seeds, i).to(W.device, W.dtype)
        At = W.transpose(1, 2) @ Gt @ W  # the AGOP the layer would have with isotropic G (AGOP = WᵀGW)
        rows["positive_ansatz"].append(cos(WtW, At))
        rows["positive_ansatz_beyond_null"].append(rows["positive_ansatz"][-1] - spectrum_null(WtW, At, seeds, i))
        rows["positive_isotropy"].append(cos(Gt, eye))
    return {k: torch.stack(v).cpu() for k, v in rows.items()}


def init_metrics(spec: DeepSpec, p0: dict, X: torch.Tensor, seeds=None) -> dict:
    """:data:`INIT_KEYS` at initialisation (the untrained networks: trained − initial is reported for each),
    shape (layers, networks)."""
    names = linear_layers(spec)[:-1]
    pc = all_layer_agop(spec, p0, X)
    seeds = list(range(X.shape[0])) if seeds is None else list(seeds)
    rows = defaultdict(list)
    for i, name in enumerate(names):
        W, A, G = p0[f"{name}.weight"], pc["AGOP"][i], pc["G"][i]
        WtW = W.transpose(1, 2) @ W
        eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
        Pr = W @ torch.linalg.pinv(W)
        rows["ansatz_cos"].append(cos(WtW, A))
        rows["ansatz_null"].append(spectrum_null(WtW, A, seeds, i))
        rows["ansatz_beyond_null"].append(rows["ansatz_cos"][-1] - rows["ansatz_null"][-1])
        rows["ansatz_pearson"].append(pearson(WtW, A))
        rows["ansatz_cos_sqrt_agop"].append(cos(WtW, psd_sqrt(A)))
        rows["isotropy_cos"].append(cos(G, eye))
        rows["isotropy_rank_bound"].append(rank_bound(G))
        rows["isotropy_cos_on_range"].append(cos(Pr @ G @ Pr, Pr))
    out = {k: torch.stack(v).cpu() for k, v in rows.items()}
    assert tuple(out) == INIT_KEYS
    return out


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
    if spec.data == "teacher":
        ratio = test
    else:  # the constant predictor's accuracy: the test set's majority-class rate
        majority = torch.stack([torch.bincount(lab, minlength=spec.q).max() for lab in labels.cpu()]).double()
        ratio = (1 - test) / (1 - majority / labels.shape[-1]).clamp_min(1e-300)
    steps = record.get("steps", torch.full_like(train, -1, dtype=torch.long))
    return {"test": test, "test_error_ratio": ratio, "train_relative_loss": (train / zero_predictor_loss(spec, Y)).double(),
            "steps": torch.where(steps >= 0, steps, torch.full_like(steps, spec.steps)).double(),
            "criterion_met": record.get("criterion_met", torch.ones_like(train, dtype=torch.bool))}


# --- statistics and the rule -----------------------------------------------------------------------------------

def _summary(x: np.ndarray, level: float) -> dict:
    """The median of the finite values ``x`` with its order-statistic interval at ``level``
    (:func:`numeric.statistics.median_interval`); with no value, an empty summary that is not ``enough``."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"median": float("nan"), "interval": [float("nan"), float("nan")], "n": 0, "ci_method": None,
                "ci_level": 0.0, "level_asked": level, "enough": False, "min": float("nan"), "max": float("nan")}
    m = median_interval(x, level=level)
    return {"median": m["value"], "interval": list(m["interval"]), "n": m["n"], "ci_method": m["ci_method"],
            "ci_level": m["ci_level"], "level_asked": m["level_asked"], "enough": m["enough"],
            "min": float(x.min()), "max": float(x.max())}


def summarise(values: torch.Tensor, met: torch.Tensor, level: float) -> list[dict]:
    """Per layer (rows of ``values``, over the networks that met the criterion, finite values only): the median
    with its order-statistic interval at ``level`` — ``interval``, ``ci_method``, ``ci_level`` (achieved at this
    n), ``enough`` (whether any interval reaches ``level`` at this n)."""
    return [_summary(v[met].double().numpy(), level) for v in values]


def learned_decision(error_ratio: torch.Tensor, met: torch.Tensor, level: float) -> dict:
    """Whether a condition's networks learned: the interval of the median test error ratio (test error over the
    constant baseline's) lies below :data:`~numeric.dnfa_design.LEARNED_BELOW`; ``too few networks`` when n
    cannot reach ``level``."""
    s = _summary(error_ratio[met].double().numpy(), level)
    status = ("too few networks" if not s["enough"] else "learned" if s["interval"][1] < LEARNED_BELOW
              else "did not learn")
    return {"status": status, "baseline": f"test error ratio < {LEARNED_BELOW} (halves the constant predictor's "
                                          "error)", **s}


def _least(per_layer: list[dict]) -> dict:
    """The least layer's median and the least interval ends over layers (the condition clears a bound at every
    layer exactly when these do)."""
    return {"value": min(p["median"] for p in per_layer),
            "interval": [min(p["interval"][0] for p in per_layer), min(p["interval"][1] for p in per_layer)],
            "ci_level": min(p["ci_level"] for p in per_layer), "ci_method": per_layer[0]["ci_method"],
            "n": min(p["n"] for p in per_layer)}


def condition_decision(claim: str, metrics: dict, learned: dict, threshold: float) -> dict:
    """One condition's status for one claim, from its per-layer summaries (:func:`summarise`) and
    :func:`learned_decision`, by the design's rule: ``too few networks``, ``did not learn``, ``undecidable by
    design`` (isotropy: at some layer the interval of the median rank bound √(rank G / k) lies below the
    threshold, so the rank caps the median of cos(G, I) below it), else
    ``supported`` / ``unsupported``.  The record has the shape the verdict reads: ``status``, ``value``,
    ``interval``, ``ci_level``, ``ci_method``, ``n`` (and ``null`` / ``beyond_null`` for the ansatz)."""
    key = CLAIMS[claim][0]
    per_layer = metrics[key]
    out = {**_least(per_layer), "per_layer": [p["median"] for p in per_layer]}
    if claim == "dnfa.ansatz-holds-trained":
        out["null"] = _least(metrics["ansatz_null"])
        out["beyond_null"] = _least(metrics["ansatz_beyond_null"])
    else:
        out["rank_bound"] = _least(metrics["isotropy_rank_bound"])
    if not all(p["enough"] for p in per_layer):
        return {**out, "status": "too few networks",
                "reason": f"{min(p['n'] for p in per_layer)} networks cannot reach level {per_layer[0]['level_asked']:.5f}"}
    if learned["status"] != "learned":
        return {**out, "status": learned["status"], "reason": f"test error ratio median {learned['median']:.3g}, "
                                                              f"interval {learned['interval']}"}
    if claim == "dnfa.isotropy-holds-trained":
        # cos(G, I) ≤ √(rank G / k) network by network, so the median of the statistic is at most the median of
        # the bound: where the bound's median interval lies below the threshold, so does the statistic's median,
        # by construction (a median rule, like the statistic's, so it does not flip as n grows, as a max would)
        capped = [i for i, p in enumerate(metrics["isotropy_rank_bound"]) if p["interval"][1] < threshold]
        if capped:
            return {**out, "status": "undecidable by design",
                    "reason": f"the interval of the median rank bound √(rank G / k) lies below {threshold} at "
                              f"layer(s) {', '.join(str(i) for i in capped)}: the rank caps the median of cos(G, I) "
                              "below the threshold by construction"}
        ok = out["interval"][0] >= threshold
    else:
        ok = out["interval"][0] >= threshold and out["beyond_null"]["interval"][0] > 0
    return {**out, "status": "supported" if ok else "unsupported"}


#: the control statistics each claim's rule is applied to: (negative: the effect absent, must not hold;
#: positive: the effect present, must hold), each with the statistic the rule's null part reads (or None)
CONTROLS = {"dnfa.ansatz-holds-trained": {"negative": ("control_ansatz_other", None),
                                          "positive": ("positive_ansatz", "positive_ansatz_beyond_null")},
            "dnfa.isotropy-holds-trained": {"negative": ("control_isotropy_agop", None),
                                            "positive": ("positive_isotropy", None)}}


def control_decision(key: str, beyond: str | None, metrics: dict, threshold: float) -> str:
    """The claim's rule on a control statistic ``key`` of one condition (and, where given, its excess over the
    null ``beyond``): ``supported`` when every layer's interval clears the threshold (and the excess's lies above
    0), ``too few networks`` when n cannot reach the level, else ``unsupported``."""
    rows = metrics[key]
    if not rows or not all(r["enough"] for r in rows):
        return "too few networks"
    ok = min(r["interval"][0] for r in rows) >= threshold
    if beyond is not None:
        ok = ok and min(r["interval"][0] for r in metrics[beyond]) > 0
    return "supported" if ok else "unsupported"


def decide_claim(decisions: dict) -> dict:
    """The claim's verdict from the per-condition decisions by the one rule
    (:func:`numeric.statistics.one_rule`): ``supported`` / ``conditional`` (naming them) / ``unsupported`` /
    ``open``; the conditions that are no evidence either way are listed with their reason."""
    verdict, holding = one_rule({k: d["status"] for k, d in decisions.items()})
    return {"verdict": verdict, "supported_in": holding,
            "conditions_counted": sum(d["status"] not in NOT_EVIDENCE for d in decisions.values()),
            "not_evidence": {k: d["status"] for k, d in decisions.items() if d["status"] in NOT_EVIDENCE}}


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
    """The profile's conditions of a run with ``--seed seed`` (network seeds in the confirmatory range:
    :func:`numeric.dnfa_design.seed0`)."""
    return conditions(profile, replicates, seed)


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
    trained it), with it a splittable group (:func:`splittable`) is cut, in condition order, into shards of whole
    conditions holding at most ``shard_networks`` networks (a larger condition is a shard of its own).  A condition
    is never split: its negative control pairs each network with another of the same condition
    (:func:`other_network`), so a split condition would give other numbers than the unsharded study.

    >>> from nnclaims.numeric.dnfa_design import conditions
    >>> cs = conditions("verify", 4)
    >>> [(s.index, s.parts) for s in plan_shards(cs)][1]
    (1, (('base: rank-1 teacher, SGD', 0, 4), ('small init (x0.1), SGD', 0, 4)))
    >>> [s.parts for s in plan_shards(cs, 3) if s.group == 1]
    [(('base: rank-1 teacher, SGD', 0, 4),), (('small init (x0.1), SGD', 0, 4),)]
    >>> [s.parts for s in plan_shards(cs, 8) if s.group == 1]
    [(('base: rank-1 teacher, SGD', 0, 4), ('small init (x0.1), SGD', 0, 4))]
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
        else:  # whole conditions only: the negative control pairs each network with another of its condition
            chunks, cur, size = [], [], 0
            for c in members:
                if cur and size + c.replicates > shard_networks:
                    chunks.append(cur)
                    cur, size = [], 0
                cur.append((c.name, 0, c.replicates))
                size += c.replicates
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
            seeds = network_seeds(c.seed0, start, stop)
            lm = layer_metrics(c.spec, r["p0"], r["p1"], r["X"], seeds)
            metric_seconds += time.perf_counter() - t1
            im = init_metrics(c.spec, r["p0"], r["X"], seeds)
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
              shard_networks: int | None = None, level: float | None = None,
              family_record: dict | None = None) -> dict:
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
    return assemble_study(profile, conds, results, device=device, threshold=threshold, seed=seed, timing=timing,
                          level=level, family_record=family_record)


def shard_label(shard: Shard) -> str:
    """A shard for a progress line: its first condition (and how many more)."""
    names = list(dict.fromkeys(name for name, _, _ in shard.parts))
    return names[0] + (f" (+{len(names) - 1})" if len(names) > 1 else "")


def _threads(threads: int | None) -> int:
    return threads or torch.get_num_threads()


def assemble_study(profile: str, conds, results: dict, *, device: str, threshold: float = THRESHOLD, seed: int = 0,
                   timing: dict | None = None, level: float | None = None, family_record: dict | None = None) -> dict:
    """The study from its shards' answers (``{shard index: run_shard(...)}``, in any order): every condition's
    networks in seed order, then the statistics and the preregistered rule, exactly as one local run computes
    them.  ``level``/``family_record``: the family the run belongs to (default: the profile's own,
    :func:`numeric.dnfa_design.family`; ``verify`` passes the catalogue's).  ``timing``: the run's wall and CPU
    seconds (summed with the shards' own training and metric times)."""
    fam = dict(family_record or family(profile))
    if level is None:
        level = fam["level"]
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
        learned = learned_decision(nm["test_error_ratio"], met, level)
        decisions = {claim: condition_decision(claim, metrics, learned, threshold) for claim in CLAIMS}
        out_conditions.append({
            "name": c.name, "preregistered": True, "calibration": c.calibration, "factors": c.factors,
            "spec": dataclasses.asdict(c.spec), "networks": c.replicates, "criterion_met": n_met,
            "criterion_not_met": c.replicates - n_met, "seed0": c.seed0,
            "seeds": [c.seed0, c.seed0 + c.replicates - 1],
            "metrics": metrics,
            "at_initialisation": {k: summarise(v, torch.ones_like(met), level) for k, v in im.items()},
            "trained_minus_initial": {k: summarise(lm[k] - im[k], met, level) for k in im},
            "controls": {k: summarise(lm[k], met, level) for k in CONTROL_KEYS if k in lm},
            "control_decisions": {claim: {side: control_decision(key, beyond, metrics, threshold)
                                          for side, (key, beyond) in CONTROLS[claim].items()} for claim in CLAIMS},
            "network_metrics": {k: _summary(v[met].double().numpy(), level)
                                for k, v in nm.items() if k != "criterion_met"},
            "learned": learned,
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
    fam["level"] = level
    return {"study": "dnfa", "profile": profile, "device": device, "seed": seed, "threshold": threshold,
            "alpha": fam.get("alpha", 0.05), "correction": CORRECTION, "family": fam, "corrected_level": level,
            "ci_method": out_conditions[0]["metrics"]["ansatz_cos"][0]["ci_method"] if out_conditions else None,
            "rule": RULE, "sample_size_rule": SAMPLE_SIZE_RULE, "primary_why": PRIMARY_WHY,
            "metrics_defined": METRICS,
            "seeds": {"confirmatory": list(seed_range(conds)), "exploratory": list(EXPLORATORY_SEEDS),
                      "seen_before": SEEN_BEFORE},
            "exploratory": _exploratory(), "exploratory_previous": _exploratory_previous(),
            "networks": networks, "conditions": out_conditions, "claims": claims,
            "timing": {"total_seconds": round(timing.pop("total_seconds", train_seconds + metric_seconds), 2),
                       "train_seconds": round(train_seconds, 2),
                       "metric_seconds": round(metric_seconds, 2), "networks_per_second":
                       round(networks / max(train_seconds, 1e-9), 3),
                       "agop_networks_per_second": round(networks / max(metric_seconds, 1e-9), 3),
                       "threads": timing.pop("threads", torch.get_num_threads()),
                       "cpu_seconds": round(timing.pop("cpu_seconds", 0.0), 2),
                       "load_average_start": timing.pop("load_average_start", None), "load_average_end": _load(),
                       "cpus": os.cpu_count(), **timing}}


def per_network_least(condition: dict, key: str) -> np.ndarray:
    """Per network that met the training criterion, its least layer's value of statistic ``key`` (from the study
    record's ``per_network``): the value the condition's every-layer rule reads network by network."""
    met = np.asarray(condition["per_network"]["criterion_met"], dtype=bool)
    layers = np.asarray(condition["per_network"][key], dtype=float)  # layers × networks
    return layers.min(axis=0)[met]


def gap_contrasts(study: dict, level: float = 0.95) -> list[dict]:
    """The measured effect of each difference from the paper's setting (:data:`~.dnfa_design.GAP_CONTRASTS`, and
    the calibration against each width of the profile's width axis) whose two conditions are in ``study``:
    per statistic of :data:`~.dnfa_design.GAP_STATISTICS`, the Hodges–Lehmann shift of the per-network least-layer
    values from the first condition to the second, with its exact distribution-free interval at ``level``
    (:func:`~.statistics.shift_interval`).  Exploratory: chosen after the runs were designed, uncorrected, never a
    verdict; each row names both conditions, their n and whether they learned."""
    from .dnfa_design import GAP_CONTRASTS, GAP_STATISTICS, PROFILES, width_name
    from .statistics import shift_interval

    by_name = {c["name"]: c for c in study["conditions"]}
    pairs = list(GAP_CONTRASTS)
    axis = sorted({(data, w) for p in PROFILES.values() for data, w in p.axis_widths}, key=lambda dw: (dw[0] != "digits", dw))
    for data, w in axis:  # every width any profile's axis has (the design's own list, not a copy of it)
        ref = "paper (calibration)" if data == "digits" else "paper setting, MNIST-1D"
        pairs.append((f"width: calibration's → {w} ({'digits' if data == 'digits' else 'MNIST-1D'})", ref,
                      width_name(data, w)))
    rows = []
    for label, a, b in pairs:
        if a not in by_name or b not in by_name:
            continue
        ca, cb = by_name[a], by_name[b]
        for key, stat in GAP_STATISTICS:
            if key not in ca["per_network"] or key not in cb["per_network"]:
                continue
            x, y = per_network_least(ca, key), per_network_least(cb, key)
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            if x.size == 0 or y.size == 0:
                continue
            sh = shift_interval(x, y, level=level)
            rows.append({"difference": label, "from": a, "to": b, "statistic": stat, "key": key,
                         "from_median": float(np.median(x)), "to_median": float(np.median(y)),
                         "n": [int(x.size), int(y.size)], "learned": [ca["learned"]["status"], cb["learned"]["status"]],
                         "shift": sh["value"], "interval": list(sh["interval"]), "ci_level": sh["ci_level"],
                         "ci_method": sh["ci_method"], "enough": sh["enough"]})
    return rows


def _exploratory() -> dict:
    """The exploratory run's results (seen before this design; :mod:`numeric.dnfa_exploratory`)."""
    from .dnfa_exploratory import EXPLORATORY

    return EXPLORATORY


def _exploratory_previous() -> dict:
    """The previous revision's confirmatory run (seen before this design; :mod:`numeric.dnfa_exploratory`)."""
    from .dnfa_exploratory import PREVIOUS

    return PREVIOUS


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

