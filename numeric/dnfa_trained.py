r"""The DNFA's empirical claims checked on trained networks by the study's preregistered rule.

The DNFA's empirical claims, checked by the study's preregistered rule (:mod:`numeric.dnfa_design`) on its
``verify`` profile: ``nnclaims verify --networks N`` trains N networks in each of the profile's conditions to the
training criterion and applies the same rule as the full study (``nnclaims study dnfa``; the committed CPU run is
``reports/dnfa-study-cpu/study.md``).

Per condition, the claim's primary metric (``ansatz_cos`` or ``isotropy_cos``) at every hidden layer, median over
the networks that met the criterion with a Bonferroni-corrected bootstrap interval; the condition supports the
claim when every layer's interval lies at or above the claim's preregistered threshold (read from the registry at
run time, so a mutated threshold reaches the check).  The record's value is the least over conditions, its
interval the least of the intervals — supported exactly when every condition is — and each condition goes into
``details["conditions"]``, from which the verdict may be ``conditional``.  The negative control is the same rule on
the design's control statistic (AGOP on W's weakest direction; G collapsed onto one direction), which must come
out unsupported.
"""

from __future__ import annotations

import torch

from nnclaims.caching import cached
from nnclaims.proofs.catalogue import get_claim
from nnclaims.proofs.record import NumericResult

from .dnfa_design import CLAIMS, PROFILES, condition_names
from .dnfa_study import condition_decision, cos, run_study, summarise  # noqa: F401  (cos: the mutation target)

__all__ = ["check_ansatz_holds_trained", "check_isotropy_holds_trained", "verify_study", "STUDY_REPORT"]

STUDY_REPORT = "reports/dnfa-study-cpu/study.md"
CONTROLS = {"dnfa.ansatz-holds-trained": ("control_ansatz", "AGOP replaced by the rank-one matrix on W's weakest "
                                                            "right singular direction"),
            "dnfa.isotropy-holds-trained": ("control_isotropy", "G collapsed onto its leading eigenvector")}


@cached(maxsize=4)
def verify_study(networks: int, device: str, seed: int, threshold: float) -> dict:
    """The study's ``verify`` profile with ``networks`` networks per condition (cached: both claims read one run)."""
    return run_study("verify", device=device, replicates=networks, threshold=threshold, seed=seed,
                     threads=1 if device == "cpu" else None)


POSITIVE = {"dnfa.ansatz-holds-trained": "AGOP replaced by W_lᵀW_l itself (cosine 1 at every layer)",
            "dnfa.isotropy-holds-trained": "G replaced by the identity (cosine 1 at every layer)"}


def _control(st: dict, claim_id: str, threshold: float, finding: str) -> dict:
    """The study's rule on a case built to come out against the ``finding``: for a supported finding, the metric
    of :data:`CONTROLS` (a misaligned matrix, which must be unsupported in every condition); for an unsupported
    one, the exact alignment of :data:`POSITIVE` (which must be supported in every condition), so that the rule
    is shown able to say either."""
    key, what = CONTROLS[claim_id]
    level = st["corrected_level"]
    decisions = []
    for c in st["conditions"]:
        met = torch.tensor(c["per_network"]["criterion_met"])
        values = torch.tensor(c["per_network"][key], dtype=torch.float64)
        if finding != "supported":
            values = torch.ones_like(values)
        per_layer = summarise(values, met, level)
        decisions.append(condition_decision(per_layer, int(met.sum()), c["networks"], threshold))
    counted = [d for d in decisions if d["status"] != "excluded"]
    want = "unsupported" if finding == "supported" else "supported"
    fails = bool(counted) and all(d["status"] == want for d in counted)
    what = what if finding == "supported" else POSITIVE[claim_id]
    return {"description": f"the same rule with {what}", "value": max((d["value"] for d in counted), default=None),
            "fails": fails}


def _check(claim_id: str, networks: int, device: str, seed: int) -> NumericResult:
    pre = get_claim(claim_id).preregistered
    metric, what = CLAIMS[claim_id]
    st = verify_study(networks, device, seed, pre.threshold)
    conds = {}
    for c in st["conditions"]:
        d = c["decisions"][claim_id]
        per_layer = c["metrics"][metric]
        conds[c["name"]] = {
            "value": d.get("value", float("nan")), "status": d["status"], "interval": d.get("interval"),
            "per_layer_trained": [round(p["median"], 4) for p in per_layer],
            "per_layer_init": [round(p["median"], 4) for p in c["at_initialisation"].get(metric, [])],
            "loss_median": c["network_metrics"]["train_relative_loss"]["median"],
            "variants": {k: round(min(p["median"] for p in c["metrics"][k]), 4)
                         for k in ("paper_metric", "ansatz_pearson", "ansatz_cos_sqrt_agop", "isotropy_cos_on_range")},
            "criterion_met": c["criterion_met"], "networks": c["networks"], "factors": c["factors"],
            "calibration": c["calibration"], "preregistered": c["preregistered"]}
    counted = {k: v for k, v in conds.items() if v["status"] != "excluded"}
    statistic = (f"least over the study's verify-profile conditions ({networks} networks each; rule and design: "
                 f"numeric/dnfa_study_design.md; full study: {STUDY_REPORT}) of the least over hidden layers of the "
                 f"median {what}, Bonferroni-corrected bootstrap intervals")
    if not counted:
        return NumericResult(claim_id, "error", statistic, None, networks, device, threshold=pre.threshold,
                             details={"error": "no condition had enough networks meeting the training criterion",
                                      "conditions": conds})
    lows = [v["interval"][0] for v in counted.values()]
    highs = [v["interval"][1] for v in counted.values()]
    interval = (min(lows), min(highs))
    status = "supported" if interval[0] >= pre.threshold else "unsupported"
    base = next(c for c in st["conditions"] if c["name"].startswith("base"))
    per_network = {f"{k} {tag} layer {i + 1}": vals
                   for k in ("ansatz_cos", "isotropy_cos", "isotropy_cos_on_range")
                   for tag, src in (("trained", k), ("init", f"{k}_init"))
                   for i, vals in enumerate(base["per_network"][src])}
    return NumericResult(claim_id, status, statistic, min(v["value"] for v in counted.values()), st["networks"], device,
                         threshold=pre.threshold, interval=interval,
                         as_stated="holds" if status == "supported" else "violated",
                         control=_control(st, claim_id, pre.threshold, status),
                         details={"profile": "verify", "conditions": conds, "corrected_level": st["corrected_level"],
                                  "correction": st["correction"], "study_verdict": st["claims"][claim_id],
                                  "isotropy_explains_ansatz": st["claims"]["isotropy_explains_ansatz"],
                                  "study_report": STUDY_REPORT, "per_network_condition": base["name"],
                                  "per_network": per_network, "timing": st["timing"],
                                  "profile_conditions": list(condition_names("verify")),
                                  "profile_sizes": {k: getattr(PROFILES["verify"], k) for k in ("d", "width", "n", "cap")}})


def check_ansatz_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """cos(W_lᵀW_l, AGOP_l) at every layer, by the study's preregistered rule on its ``verify`` profile."""
    return _check("dnfa.ansatz-holds-trained", networks, device, seed)


def check_isotropy_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """cos(G_l, I) at every layer, by the study's preregistered rule on its ``verify`` profile."""
    return _check("dnfa.isotropy-holds-trained", networks, device, seed)
