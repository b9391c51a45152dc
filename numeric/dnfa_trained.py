r"""The DNFA's empirical claims on trained networks: the ansatz :math:`W_l^\top W_l \propto \mathrm{AGOP}_l` and the
isotropy :math:`G_l \propto I` of the pre-activation gradients, at every hidden layer of a deep zoo
(:mod:`numeric.deep`), measured by uncentred cosines.

The statistic, its threshold and the conditions are the claim's :class:`~nnclaims.proofs.catalogue.Preregistration`
(read from the registry at run time, so a mutated threshold reaches the check): per layer, the median over trained
networks of the cosine with a bootstrap 95 % interval; the claim's value is the least layer median, its interval
``[min_l lo_l, min_l hi_l]``, and it is supported when every layer's interval lies at or above the threshold.
The negative control is the same statistic on a case built to fail: the AGOP replaced by the rank-one matrix on
W's weakest right singular direction (cosine ≤ 1/√k), or G replaced by the rank-one matrix on its leading eigenvector
(cosine 1/√n_l): G collapsed onto its leading eigenvector.
"""

from __future__ import annotations

import dataclasses

import torch

from nnclaims.caching import cached
from nnclaims.proofs.catalogue import get_claim
from nnclaims.proofs.record import NumericResult

from .deep import DeepSpec, all_layer_agop, linear_layers, trained_deep_zoo
from .dnfa import cos
from .statistics import bootstrap_interval, judge

__all__ = ["FEATURE_SPEC", "CONDITIONS", "spec_feature_statistics", "check_ansatz_holds_trained",
           "check_isotropy_holds_trained", "pearson", "psd_sqrt", "layer_statistic"]

FEATURE_SPEC = DeepSpec(d=8, widths=(32, 32), q=2, n=64, activation="relu", data="teacher", loss="mse",
                        optimizer="sgd", lr=0.05, steps=1000)

CONDITIONS = {  # the claim's preregistered conditions (names in the catalogue), as changes of FEATURE_SPEC
    "small init (x0.1)": {"init_scale": 0.1},
    "rank-1 teacher": {"teacher_rank": 1},
    "small init (x0.1), rank-1 teacher": {"init_scale": 0.1, "teacher_rank": 1},
}

VARIANTS = ("ansatz_pearson", "ansatz_cos_sqrt_agop", "ansatz_cos_minus_init", "isotropy_cos_on_range")


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
    """Rank-one ``u uᵀ`` on the right singular vector of W with the smallest singular value (negative control)."""
    u = torch.linalg.svd(W, full_matrices=False)[2][:, -1, :]
    return u[:, :, None] * u[:, None, :]


def top_direction(G: torch.Tensor) -> torch.Tensor:
    """Rank-one ``u uᵀ`` on G's leading eigenvector: G collapsed onto one direction (negative control)."""
    u = torch.linalg.eigh(G)[1][..., -1]
    return u[:, :, None] * u[:, None, :]


@cached(maxsize=8)
def spec_feature_statistics(spec: DeepSpec, networks: int, device: str, seed: int) -> dict:
    """Train ``networks`` MLPs of ``spec`` and measure, per network and per hidden layer ``l`` (column convention,
    :math:`z_l = W_l h_{l-1} + b_l`): the ansatz cosine cos(W_lᵀW_l, AGOP_l), its √AGOP and Pearson variants, the
    same with W_l − W_l(0), the isotropy cosine cos(G_l, I), cos(P G_l P, P) with P the projector onto range(W_l),
    and both negative controls — at initialisation and after training.  All layers' AGOP and G come from one pass
    (:func:`numeric.deep.all_layer_agop`).  Entries are tensors of shape (layers, networks)."""
    p0, p1, X, losses = trained_deep_zoo(spec, networks, device, seed)
    names = linear_layers(spec)[:-1]
    out = {"loss": {"init": losses["before"], "trained": losses["after"]}}
    for tag, p in (("init", p0), ("trained", p1)):
        pc = all_layer_agop(spec, p, X)
        rows = {k: [] for k in ("ansatz_cos", "ansatz_cos_sqrt_agop", "ansatz_pearson", "ansatz_cos_minus_init",
                                "isotropy_cos", "isotropy_cos_on_range", "control_ansatz", "control_isotropy")}
        for i, name in enumerate(names):
            W, A, G = p[f"{name}.weight"], pc["AGOP"][i], pc["G"][i]
            WtW = W.transpose(1, 2) @ W
            dW = W - p0[f"{name}.weight"]
            eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
            Pr = W @ torch.linalg.pinv(W)  # projector onto range(W_l)
            rows["ansatz_cos"].append(cos(WtW, A))
            rows["ansatz_cos_sqrt_agop"].append(cos(WtW, psd_sqrt(A)))
            rows["ansatz_pearson"].append(pearson(WtW, A))
            rows["ansatz_cos_minus_init"].append(cos(dW.transpose(1, 2) @ dW, A) if tag == "trained"
                                                 else torch.full_like(rows["ansatz_cos"][-1], float("nan")))
            rows["isotropy_cos"].append(cos(G, eye))
            rows["isotropy_cos_on_range"].append(cos(Pr @ G @ Pr, Pr))
            rows["control_ansatz"].append(cos(WtW, weakest_direction(W)))
            rows["control_isotropy"].append(cos(top_direction(G), eye))
        out[tag] = {k: torch.stack(v) for k, v in rows.items()}
    return out


def layer_statistic(values: torch.Tensor, threshold: float, *, seed: int = 0, level: float = 0.95) -> dict:
    """Per layer the median over networks with its bootstrap interval; the claim's value is the least layer
    median, its interval ``[min lo, min hi]``, and the status ``supported`` when every layer's interval lies at or
    above ``threshold`` (:func:`numeric.statistics.judge` on ``[min lo, min hi]``)."""
    per_layer = []
    for v in values:
        v = v[~v.isnan()].cpu().double().numpy()
        lo, hi = bootstrap_interval(v, seed=seed, level=level)
        per_layer.append({"median": float(torch.tensor(v).median()), "ci": [lo, hi]})
    interval = (min(p["ci"][0] for p in per_layer), min(p["ci"][1] for p in per_layer))
    return {"value": min(p["median"] for p in per_layer), "interval": interval,
            "status": judge(interval, threshold), "per_layer": per_layer}


def _regime(st: dict, key: str, control_key: str, threshold: float) -> dict:
    main = layer_statistic(st["trained"][key], threshold)
    return {**main,
            "variants": {k: round(layer_statistic(st["trained"][k], threshold)["value"], 4) for k in VARIANTS},
            "per_layer_trained": [round(p["median"], 4) for p in main["per_layer"]],
            "per_layer_init": [round(float(m), 4) for m in st["init"][key].nanmedian(dim=1).values],
            "loss_median": float(st["loss"]["trained"].median()),
            "control": layer_statistic(st["trained"][control_key], threshold)}


def _distributions(stats: dict) -> dict:
    """Per-network ansatz and isotropy cosines per layer, at initialisation and trained (for the report's plots)."""
    keys = ("ansatz_cos", "isotropy_cos", "isotropy_cos_on_range")
    return {f"{k} {tag} layer {i + 1}": stats[tag][k][i].tolist()
            for tag in ("init", "trained") for k in keys for i in range(stats[tag][k].shape[0])}


def _per_layer_check(claim_id: str, key: str, control_key: str, what: str, control_what: str, networks, device,
                     seed) -> NumericResult:
    pre = get_claim(claim_id).preregistered
    st = spec_feature_statistics(FEATURE_SPEC, networks, device, seed)
    main = _regime(st, key, control_key, pre.threshold)
    conditions = {}
    for name in pre.conditions:
        change = CONDITIONS[name]
        c = _regime(spec_feature_statistics(dataclasses.replace(FEATURE_SPEC, **change), networks, device, seed),
                    key, control_key, pre.threshold)
        conditions[name] = {k: c[k] for k in ("value", "status", "interval", "per_layer_trained", "per_layer_init",
                                              "loss_median", "variants")} | {"change": change}
    ctrl = main["control"]
    control = {"description": control_what, "value": ctrl["value"], "fails": ctrl["status"] == "unsupported"}
    return NumericResult(claim_id, main["status"], f"least over layers of the median {what}, trained", main["value"],
                         networks, device, threshold=pre.threshold, interval=main["interval"],
                         as_stated="holds" if main["status"] == "supported" else "violated", control=control,
                         details={"spec": dataclasses.asdict(FEATURE_SPEC), "per_layer": main["per_layer"],
                                  "per_layer_median": main["per_layer_trained"], "variants": main["variants"],
                                  "conditions": conditions, "per_network": _distributions(st)})


def check_ansatz_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per layer, median over trained networks of cos(W_lᵀW_l, AGOP_l) against the preregistered threshold."""
    return _per_layer_check("dnfa.ansatz-holds-trained", "ansatz_cos", "control_ansatz",
                            "uncentred cosine(WᵀW, AGOP)",
                            "the same with AGOP replaced by the rank-one matrix on W's weakest direction", networks,
                            device, seed)


def check_isotropy_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per layer, median over the same trained networks of cos(G_l, I) against the preregistered threshold."""
    return _per_layer_check("dnfa.isotropy-holds-trained", "isotropy_cos", "control_isotropy",
                            "uncentred cosine(G, I) of the pre-activation gradients",
                            "the same with G collapsed onto its leading eigenvector (cos = 1/√n_l)", networks, device,
                            seed)
