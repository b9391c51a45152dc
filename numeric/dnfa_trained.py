r"""The DNFA's empirical claims checked on trained networks by the study's preregistered rule.

The DNFA's empirical claims, checked by the study's preregistered rule (:mod:`numeric.dnfa_design`) on its
``verify`` profile: ``nnclaims verify --networks N`` trains N networks in each of the profile's conditions to the
training criterion and applies the same rule as the full study (``nnclaims study dnfa``; the committed CPU run is
``reports/dnfa-study-cpu/study.md``).

Per condition, the claim's primary metric (``ansatz_cos`` or ``isotropy_cos``) at every hidden layer: the median
over the networks that met the criterion with its order-statistic interval at the level of the catalogue's
family (:func:`~nnclaims.proofs.catalogue.empirical_family`, Bonferroni over every preregistered decision of every
empirical claim), the achieved level recorded.  A condition is ``too few networks`` when ``--networks`` cannot
reach that level, ``did not learn`` when its networks do not halve the constant predictor's test error, and for
isotropy ``undecidable by design`` when the rank of G caps cos(G, I) below the threshold; otherwise the ansatz
holds when every layer's interval clears the threshold and the excess over the spectrum-matched null is positive,
isotropy when every layer's interval clears the threshold (threshold read from the registry at run time, so a
mutated threshold reaches the check).  Each condition goes into ``details["conditions"]`` (status, value,
interval, ci_level, ci_method, n), which the verdict reads by the one rule.  The control is the same rule on a
statistic the same pipeline computes where the effect is absent (negative) or present (positive).
"""

from __future__ import annotations


from nnclaims.caching import cached
from nnclaims.proofs.registry import empirical_family, get_claim
from nnclaims.proofs.record import NumericResult

from .dnfa_design import CLAIMS, PROFILES, condition_names
from .dnfa_study import CONTROLS, cos, run_study  # noqa: F401  (cos: the mutation target)
from .statistics import NOT_EVIDENCE, sample_size

__all__ = ["check_ansatz_holds_trained", "check_isotropy_holds_trained", "verify_study", "STUDY_REPORT"]

STUDY_REPORT = "reports/dnfa-study-cpu/study.md"


@cached(maxsize=4)
def verify_study(networks: int, device: str, seed: int, threshold: float, level: float | None = None) -> dict:
    """The study's ``verify`` profile with ``networks`` networks per condition, its intervals at ``level`` (the
    catalogue's family level; cached: both claims read one run)."""
    fam = empirical_family()
    if level is not None and abs(level - fam["level"]) > 0:
        fam = {**fam, "level": level}
    return run_study("verify", device=device, replicates=networks, threshold=threshold, seed=seed,
                     threads=1 if device == "cpu" else None, level=fam["level"], family_record=fam)


def _control(st: dict, claim_id: str, finding: str) -> dict:
    """The claim's rule on a control computed by the same pipeline: for a finding that the claim holds somewhere,
    the negative control (the effect absent: the AGOP of another network; the isotropy statistic on the AGOP),
    which must hold nowhere; otherwise the positive control (the effect present: the AGOP that an isotropic,
    sampled G would give; a sampled isotropic G), which must hold in every evidential condition.  Either can
    come out the other way."""
    side = "negative" if finding == "supported" else "positive"
    key = CONTROLS[claim_id][side][0]
    statuses = {c["name"]: c["control_decisions"][claim_id][side] for c in st["conditions"]
                if c["decisions"][claim_id]["status"] not in NOT_EVIDENCE}
    values = [min(r["median"] for r in c["controls"][key]) for c in st["conditions"] if c["name"] in statuses]
    want = "unsupported" if side == "negative" else "supported"
    fails = bool(statuses) and all(v == want for v in statuses.values())
    return {"description": f"{side} control: the same rule on {key} ({CONTROL_WHAT[key]})",
            "value": max(values) if side == "negative" and values else min(values, default=None),
            "fails": fails, "per_condition": statuses}


CONTROL_WHAT = {"control_ansatz_other": "cos(WᵀW, AGOP of another network of the condition)",
                "control_isotropy_agop": "cos(AGOP, I), the layer's input-side gradients",
                "positive_ansatz": "cos(WᵀW, WᵀG̃W), G̃ a sampled isotropic gradient Gram at the layer's size",
                "positive_isotropy": "cos(G̃, I), G̃ a sampled isotropic gradient Gram at the layer's size"}


def _check(claim_id: str, networks: int, device: str, seed: int) -> NumericResult:
    pre = get_claim(claim_id).preregistered
    metric, what = CLAIMS[claim_id]
    fam = empirical_family()
    networks = sample_size(networks, fam["level"])  # the preregistered sample-size rule: never fewer than it gives
    st = verify_study(networks, device, seed, pre.threshold, fam["level"])
    conds = {}
    for c in st["conditions"]:
        d = c["decisions"][claim_id]
        conds[c["name"]] = {
            "status": d["status"], "value": d["value"], "interval": d["interval"], "ci_level": d["ci_level"],
            "ci_method": d["ci_method"], "n": d["n"], "reason": d.get("reason"),
            **({"null": d["null"], "beyond_null": d["beyond_null"]} if "null" in d else {"rank_bound": d["rank_bound"]}),
            "per_layer_trained": [round(p["median"], 4) for p in c["metrics"][metric]],
            "per_layer_init": [round(p["median"], 4) for p in c["at_initialisation"].get(metric, [])],
            "trained_minus_initial": [p["median"] for p in c["trained_minus_initial"].get(metric, [])],
            "learned": {k: c["learned"][k] for k in ("status", "median", "interval")},
            "test_median": c["network_metrics"]["test"]["median"],
            "variants": {k: round(min(p["median"] for p in c["metrics"][k]), 4)
                         for k in ("paper_metric", "science_pearson", "ansatz_pearson", "ansatz_cos_sqrt_agop",
                                   "isotropy_cos_on_range")},
            "criterion_met": c["criterion_met"], "networks": c["networks"], "seeds": c["seeds"],
            "factors": c["factors"], "calibration": c["calibration"], "preregistered": True}
    verdict = st["claims"][claim_id]
    counted = {k: v for k, v in conds.items() if v["status"] not in NOT_EVIDENCE}
    statistic = (f"per condition of the study's verify profile ({networks} networks each; design: "
                 f"numeric/dnfa_study_design.md; full study: {STUDY_REPORT}), the median {what} at every hidden "
                 f"layer, order-statistic intervals at the family level {fam['level']:.5f} (Bonferroni over "
                 f"{fam['size']} decisions, the conditions' learned gates included); the value, its interval and level are those of the evidential "
                 "condition with the least median (details: weakest_condition)")
    common = dict(threshold=pre.threshold, ci_method=st["ci_method"], family=fam)
    base = next(c for c in st["conditions"] if c["name"].startswith("base"))
    per_network = {f"{k} {tag} layer {i + 1}": vals
                   for k in ("ansatz_cos", "isotropy_cos", "isotropy_cos_on_range")
                   for tag, src in (("trained", k), ("init", f"{k}_init"))
                   for i, vals in enumerate(base["per_network"][src])}
    details = {"profile": "verify", "conditions": conds, "per_network_condition": base["name"],
               "per_network": per_network, "rule": st["rule"], "study_verdict": verdict,
               "isotropy_explains_ansatz": st["claims"]["isotropy_explains_ansatz"], "seeds": st["seeds"],
               "study_report": STUDY_REPORT, "timing": st["timing"],
               "profile_conditions": list(condition_names("verify")),
               "profile_sizes": {k: getattr(PROFILES["verify"], k) for k in ("d", "width", "n", "cap")}}
    if not counted:
        return NumericResult(claim_id, "error", statistic, None, networks, device, **common,
                             details={**details, "error": "no condition is evidence either way: "
                                      + "; ".join(f"{k}: {v['status']}" for k, v in conds.items())})
    # one condition's median, interval and level together (never ends or levels gathered from several conditions)
    weakest = min(counted, key=lambda k: (counted[k]["value"], k))
    w = counted[weakest]
    details["weakest_condition"] = weakest
    status = "supported" if verdict["verdict"] == "supported" else "unsupported"
    finding = "supported" if verdict["supported_in"] else "unsupported"
    return NumericResult(claim_id, status, statistic, w["value"], st["networks"],
                         device, interval=tuple(w["interval"]), ci_level=w["ci_level"],
                         as_stated="holds" if status == "supported" else "violated",
                         control=_control(st, claim_id, finding), details=details, **common)


def check_ansatz_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """cos(W_lᵀW_l, AGOP_l) at every layer, clearing 0.9 and its spectrum-matched null, by the study's rule on its
    ``verify`` profile."""
    return _check("dnfa.ansatz-holds-trained", networks, device, seed)


def check_isotropy_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """cos(G_l, I) at every layer, by the study's rule on its ``verify`` profile."""
    return _check("dnfa.isotropy-holds-trained", networks, device, seed)
