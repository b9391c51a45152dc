r"""Verdicts: computed from what the layers return, never written by hand.

**Identity claims** (``decide``) are settled by one table, :data:`IDENTITY_RULES`, over three summaries:

* *proof*: ``proved`` (every step holds, general sizes, no condition), ``conditional`` (proved under a condition
  the seed omits) or ``none``;
* *counterexample*: a symbolic counterexample or a search witness that passed its independent exact re-check;
* *numeric*: the numeric layer's reading of the claim **as stated** (``holds`` / ``violated`` / ``not checked``),
  on random networks and on float64 replays of the counterexamples.

A proof with a counterexample or a numeric violation, and a refutation whose numeric replay finds the claim
holding, both give ``open`` with a loud ``disagreement`` — in both directions, never averaged away.  So does a
search witness that fails its re-check, a numeric check that violates a proved conditional form, and a numeric
record that contradicts itself (a status that does not follow from its own value and tolerance, or interval and
threshold).  A numeric record whose negative control did not fail is no evidence at all.

**Existence claims**: a re-checked witness (or a constructive proof) → ``true``, unless the numeric replay of
the witness contradicts it.

**Empirical claims** (:func:`_decide_empirical`) follow one rule, the same for every claim, applied to the claim's
*preregistered* conditions (``details["conditions"]`` of the numeric record; a claim without conditions is one
decision, the record's own statistic):

* each condition's status is recomputed from its own numbers (:func:`_condition_status`): ``too few networks``
  when its interval's achieved level (``ci_level``) is below the family level (Bonferroni over every
  preregistered decision of every registered empirical claim, :func:`nnclaims.proofs.catalogue.empirical_family`);
  otherwise ``supported`` when the interval's lower end is at or above the threshold — and, where the condition
  records a null (``beyond_null``: the statistic minus what the spectra or the rank alone give, paired per
  network), that interval's lower end is above 0 — else ``unsupported``.  ``too few networks``, ``undecidable by
  design`` and ``did not learn`` (``excluded``) are no evidence either way;
* the claim is ``supported`` when every preregistered condition is; ``conditional`` when some are (the evidence
  names them); ``unsupported`` when none is and some condition is evidence; ``open`` when no condition is
  evidence (:func:`nnclaims.numeric.statistics.one_rule`).  A preregistered condition the record does not report
  counts as no evidence, so the claim cannot be ``supported``.  Conditions the record adds beyond the
  preregistered ones are reported, never judged;
* nothing is averaged across conditions: a condition whose own interval misses the threshold is named;
* a record that contradicts itself — a condition (or the statistic) called ``supported`` whose interval, null or
  achieved level does not give it, an ``unsupported`` one whose level cannot decide anything, a status outside
  the vocabulary, a threshold other than the preregistered one — gives ``open`` with the disagreement.

Evidence lines print each interval's achieved level (``ci_level``); a condition that does not state its level is
read from its interval and shown as ``level not stated``.
"""

from __future__ import annotations

import enum
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable

from nnclaims.numeric.statistics import NOT_EVIDENCE, family_level, one_rule, percent
from nnclaims.proofs.catalogue import Claim, claims, empirical_family, get_claim, resolve
from nnclaims.proofs.record import NumericResult, Proof, SearchResult

__all__ = ["Verdict", "Outcome", "decide", "verify", "verify_many", "LAYERS", "NumericConfig", "IDENTITY_RULES"]

LAYERS = ("symbolic", "search", "numeric")


class Verdict(str, enum.Enum):
    TRUE = "true"
    FALSE = "false"
    CONDITIONAL = "conditional"
    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    OPEN = "open"


@dataclass(frozen=True)
class NumericConfig:
    """Settings for the numeric layer: how many networks, on which device, from which seed; ``timeout``: the
    wall-clock guard of each search, in seconds (what decides a search is its deterministic resource limit,
    :data:`nnclaims.proofs._z3.RLIMIT` or its number of draws; the guard only stops a search that a loaded
    machine makes outlast it, and the search's note then says so)."""

    networks: int = 16
    device: str = "cpu"
    seed: int = 0
    timeout: float = 600.0


@dataclass
class Outcome:
    """A claim's verdict with the layer records it was computed from."""

    claim: Claim
    verdict: Verdict
    evidence: str
    records: dict[str, Any] = field(default_factory=dict)
    disagreement: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.claim.id,
            "source": self.claim.source,
            "quote": self.claim.quote,
            "statement": self.claim.statement,
            "kind": self.claim.kind,
            "verdict": self.verdict.value,
            "evidence": self.evidence,
            "disagreement": self.disagreement,
            "seconds": self.seconds,
        }
        for layer in LAYERS:
            rec = self.records.get(layer)
            if rec is None:
                d[layer] = {"status": "absent" if self.claim.layers()[layer] is None else "not run"}
                if layer == "numeric":
                    d[layer]["as_stated"] = "not checked"
            elif isinstance(rec, dict):
                d[layer] = rec
            else:
                d[layer] = rec.to_json()
        return d


def _numeric_consistent(num: NumericResult, claim: Claim) -> str | None:
    """Recompute the record's status from its own numbers; a mismatch is reported (an inverted status, a wrong
    threshold, an interval whose achieved level cannot support what it is said to) instead of being believed."""
    if num.status in ("consistent", "violated") and num.value is not None and num.tolerance is not None:
        want = "consistent" if num.value <= num.tolerance else "violated"
        if want != num.status:
            return f"numeric status '{num.status}' contradicts its value {num.value:.3g} against tolerance {num.tolerance:.3g}"
    if num.status in ("supported", "unsupported"):
        pre = claim.preregistered
        if pre is not None and num.threshold != pre.threshold:
            return f"numeric threshold {num.threshold} is not the preregistered {pre.threshold}"
        if num.interval is None:
            return "an empirical statistic without an interval"
        level = _family_level(claim)
        if pre is None or not pre.conditions:
            return _condition_status("the statistic", _single(num), num.threshold, level)[1]
        want = "supported" if num.interval[0] >= num.threshold else "unsupported"
        if want != num.status:
            return (f"numeric status '{num.status}' contradicts its interval [{num.interval[0]:.3g}, "
                    f"{num.interval[1]:.3g}] against threshold {num.threshold}")
        if num.status == "supported" and num.ci_level is not None and num.ci_level < level - LEVEL_SLACK:
            return (f"numeric status 'supported' from an interval at {percent(num.ci_level)}, below the family level "
                    f"{percent(level)}")
        for name, cond in _preregistered_conditions(num, claim).items():
            problem = _condition_status(name, cond, num.threshold, level)[1]
            if problem:
                return problem
    return None


def _numeric_usable(numeric) -> NumericResult | None:
    """The numeric record if it can serve as evidence: not an error, and its negative control failed."""
    if not isinstance(numeric, NumericResult) or numeric.status == "error":
        return None
    if numeric.control_fails is False:
        return None
    return numeric


# proof × counterexample × numeric-as-stated → (verdict, disagreement?).  First matching row wins; "*" matches any.
#   proof:          "proved" (general sizes, no condition), "conditional" (proved under a condition the seed omits),
#                   "none" (refuted, not proved, bounded sizes only, or no symbolic layer)
#   counterexample: "yes" when a checked counterexample to the claim as stated exists (symbolic, or a search
#                   witness that passed its independent re-check)
#   numeric:        the numeric record's as_stated ("holds" / "violated" / "not checked")
IDENTITY_RULES: tuple[tuple[str, str, str, Verdict, bool], ...] = (
    ("proved",      "no",  "holds",       Verdict.TRUE,        False),
    ("proved",      "no",  "not checked", Verdict.TRUE,        False),
    ("proved",      "*",   "*",           Verdict.OPEN,        True),   # a proof and a counterexample or violation
    ("conditional", "*",   "holds",       Verdict.OPEN,        True),   # bare form refuted, numeric replay holds it
    ("conditional", "yes", "*",           Verdict.CONDITIONAL, False),
    ("conditional", "no",  "violated",    Verdict.CONDITIONAL, False),
    ("conditional", "no",  "not checked", Verdict.OPEN,        False),  # bare form not refuted yet
    ("none",        "yes", "holds",       Verdict.OPEN,        True),   # counterexample, numeric replay holds it
    ("none",        "yes", "*",           Verdict.FALSE,       False),
    ("none",        "no",  "violated",    Verdict.FALSE,       False),
    ("none",        "no",  "*",           Verdict.OPEN,        False),
)


def _rule(proof: str, cex: str, numeric: str) -> tuple[Verdict, bool]:
    for p, c, n, verdict, dis in IDENTITY_RULES:
        if p in ("*", proof) and c in ("*", cex) and n in ("*", numeric):
            return verdict, dis
    raise AssertionError("the rule table covers every case")


def _counterexamples(symbolic, search) -> list[str]:
    found = []
    if isinstance(symbolic, Proof) and (symbolic.outcome == "refuted" or (symbolic.condition and symbolic.counterexample)):
        found.append("symbolic counterexample")
    if isinstance(search, SearchResult) and search.status == "found" and search.rechecked:
        found.append(f"search witness '{search.name}' (re-checked)")
    return found


def decide(claim: Claim, symbolic=None, search=None, numeric=None) -> tuple[Verdict, str, str | None]:
    """Compute ``(verdict, one line of evidence, disagreement or None)`` from layer records.

    Records that are ``None``, plain dicts (a layer that errored) or numeric records whose negative control did
    not fail carry no evidence.  The rules are :data:`IDENTITY_RULES` (identity claims), :func:`_decide_exists`
    and :func:`_decide_empirical`.
    """
    num = _numeric_usable(numeric)
    if num is not None:
        problem = _numeric_consistent(num, claim)
        if problem:
            return Verdict.OPEN, "the numeric record contradicts itself", problem
    if claim.kind == "empirical":
        return _decide_empirical(claim, num)
    if isinstance(search, SearchResult) and search.status == "found" and search.rechecked is False:
        return (Verdict.OPEN, "search witness failed its independent re-check",
                f"search '{search.name}' reported a witness that the exact re-check rejects")
    if claim.form == "exists":
        return _decide_exists(symbolic, search, num)

    proof = symbolic if isinstance(symbolic, Proof) else None
    proved = proof is not None and proof.outcome == "proved" and proof.general
    p = ("conditional" if proof.condition else "proved") if proved else "none"
    cex = _counterexamples(symbolic, search)
    as_stated = num.as_stated if num is not None else "not checked"
    if p == "conditional" and num is not None and num.status == "violated":
        return (Verdict.OPEN, "numeric check violates the proved conditional form",
                f"symbolic layer proved the claim under '{proof.condition}', numeric: {num.statistic} = "
                f"{num.value:.3g} > tolerance {num.tolerance:.3g}")
    verdict, dis = _rule(p, "yes" if cex else "no", as_stated)
    numeric_note = _numeric_note(num, claim)
    if dis:
        return verdict, "the layers disagree", _disagreement(p, proof, cex, num)
    if verdict is Verdict.TRUE:
        return verdict, f"proved ({proof.generality}); {numeric_note}", None
    if verdict is Verdict.CONDITIONAL:
        why = "; ".join(cex + ([f"a numeric violation on {num.networks} networks"] if as_stated == "violated" else []))
        return verdict, f"true only if {proof.condition}; bare form refuted ({why})", None
    if verdict is Verdict.FALSE:
        why = "; ".join(cex + ([f"a numeric violation on {num.networks} networks"] if as_stated == "violated" else []))
        return verdict, f"refuted by {why}", None
    if proof is not None and proof.outcome == "proved" and not proof.general:
        return verdict, f"proved only for {proof.generality}; {numeric_note}", None
    if p == "conditional":
        return verdict, f"proved under '{proof.condition}', but no counterexample to the bare form; {numeric_note}", None
    if as_stated == "holds":
        return verdict, f"numerically consistent but not proved; {numeric_note}", None
    return verdict, f"no layer has settled it yet; {numeric_note}", None


def _numeric_note(num: NumericResult | None, claim: Claim | None = None) -> str:
    if num is None:
        return "no numeric check" if claim is not None and claim.numeric is None else "numeric: no usable record"
    return f"numeric: as stated {num.as_stated} on {num.networks} networks ({num.status})"


def _disagreement(p: str, proof: Proof | None, cex: list[str], num: NumericResult | None) -> str:
    as_stated = num.as_stated if num is not None else "not checked"
    if p == "proved":
        found = cex + (["a numeric violation of the claim as stated"] if as_stated == "violated" else [])
        return f"symbolic layer proved the claim ({proof.generality}) but found: {', '.join(found)}"
    what = ", ".join(cex) if cex else "the symbolic layer"
    return (f"{what} refutes the claim as stated, but the numeric layer finds it holding on every instance it "
            f"checked ({num.statistic})")


def _bounds(bounds: dict) -> str:
    """A search's bounds as readable text: ``inputs 2, hidden [2], points 2``."""
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in bounds.items())


def _decide_exists(symbolic, search, num):
    """An existence claim is proved by a witness that passes the independent exact re-check (or a constructive
    proof); a numeric replay that contradicts the witness is a disagreement."""
    if num is not None and num.as_stated == "violated":
        return (Verdict.OPEN, "the layers disagree",
                f"the numeric replay of the witness contradicts it: {num.statistic} = {num.value}")
    if isinstance(search, SearchResult) and search.status == "found" and search.rechecked:
        return (Verdict.TRUE, f"witness found by search '{search.name}' and re-checked exactly ({_bounds(search.bounds)}); "
                f"{_numeric_note(num)}", None)
    if isinstance(symbolic, Proof) and symbolic.outcome == "proved":
        return Verdict.TRUE, f"constructive proof ({symbolic.generality}); {_numeric_note(num)}", None
    if isinstance(search, SearchResult) and search.status == "none":
        return Verdict.OPEN, f"no witness within the bounds {_bounds(search.bounds)} (UNSAT)", None
    return Verdict.OPEN, "no witness yet", None


LEVEL_SLACK = 1e-9
"""Rounding allowance when an achieved level (a float from an exact binomial sum) is compared with the family level."""
#: statuses a condition may carry; "excluded" (the DNFA study's word) means its networks did not learn
CONDITION_STATUSES = ("supported", "unsupported", *NOT_EVIDENCE)
SYNONYMS = {"excluded": "did not learn"}


def _family_level(claim: Claim) -> float:
    """The level every interval of this run must reach: Bonferroni over the registry's empirical family, with the
    claim's own decisions (and gates the family does not hold) added when it is not registered (a hand-made claim)."""
    fam = empirical_family()
    size = fam["size"]
    if claim.id not in fam["members"] and claim.preregistered is not None:
        size += claim.preregistered.decisions + len(set(claim.preregistered.gates) - set(fam["gates"]))
    return family_level(size, alpha=fam["alpha"])


def _preregistered_conditions(num: NumericResult, claim: Claim) -> dict:
    """The record's conditions that the claim preregistered (others are reported, never judged)."""
    allowed = claim.preregistered.conditions if claim.preregistered else ()
    got = num.details.get("conditions") or {}
    return {name: got[name] for name in allowed if name in got}


def _condition_status(name: str, cond: dict, threshold: float, level: float) -> tuple[str, str | None]:
    """``(status, problem)``: a condition's status recomputed from its own interval, achieved level and null;
    ``problem`` when the status it states differs (or is outside :data:`CONDITION_STATUSES`)."""
    stated = SYNONYMS.get(cond.get("status"), cond.get("status"))
    if stated in NOT_EVIDENCE:
        return stated, None
    if stated not in ("supported", "unsupported"):
        return stated, f"condition {name!r} has status {cond.get('status')!r}, not one of {', '.join(CONDITION_STATUSES)}"
    iv = cond.get("interval")
    if iv is None:
        return stated, f"condition {name!r} is called {stated} without an interval"
    ci_level = cond.get("ci_level")
    if ci_level is not None and ci_level < level - LEVEL_SLACK:
        want, why = "too few networks", f"its interval reaches only {percent(ci_level)} < family level {percent(level)}"
    elif iv[0] < threshold:
        want, why = "unsupported", f"its interval [{iv[0]:.3g}, {iv[1]:.3g}] reaches below threshold {threshold:g}"
    else:
        null = cond.get("beyond_null")
        if null is not None and (null.get("interval") is None or not null["interval"][0] > 0):
            want, why = "unsupported", "its excess over the null does not lie above 0"
        else:
            want, why = "supported", f"its interval [{iv[0]:.3g}, {iv[1]:.3g}] lies at or above threshold {threshold:g}"
    if want != stated:
        what = "the statistic" if name == "the statistic" else f"condition {name!r}"
        return want, f"{what} is called {stated}, but {why}"
    return want, None


def _single(num: NumericResult) -> dict:
    """The record's own statistic as a condition (the one decision of a claim without conditions)."""
    return {"status": num.status, "interval": num.interval, "ci_level": num.ci_level, "value": num.value,
            "beyond_null": num.details.get("beyond_null"), "null": num.details.get("null")}


def _show_condition(name: str, cond: dict) -> str:
    iv = cond.get("interval")
    if iv is None:
        return f"{name} ({SYNONYMS.get(cond.get('status'), cond.get('status'))})"
    text = f"{name}: {cond.get('value', float('nan')):.4g} [{iv[0]:.3g}, {iv[1]:.3g}] at {percent(cond.get('ci_level'))}"
    if cond.get("n") is not None:
        text += f", n = {cond['n']}"
    return text + _show_reference(cond)


def _show_reference(cond: dict) -> str:
    """What the statistic is read against besides its threshold: the null's median (the spectra or rank alone),
    the excess over it with its interval, and for isotropy the median bound the rank allows."""
    text = ""
    null = cond.get("null")
    value = null.get("value") if isinstance(null, dict) else null
    if isinstance(value, (int, float)):
        text += f", null {value:.3g}"
    beyond = cond.get("beyond_null")
    if beyond is not None and beyond.get("interval") is not None:
        text += (f", beyond null {beyond.get('value', float('nan')):.3g} "
                 f"[{beyond['interval'][0]:.3g}, {beyond['interval'][1]:.3g}]")
    bound = cond.get("rank_bound")
    if isinstance(bound, dict) and bound.get("interval") is not None:
        text += (f", rank bound {bound.get('value', float('nan')):.3g} "
                 f"[{bound['interval'][0]:.3g}, {bound['interval'][1]:.3g}]")
    return text


def _decide_empirical(claim: Claim, num: NumericResult | None):
    """The one rule over the claim's preregistered conditions (module docstring): each condition's status is
    recomputed from its own interval at its achieved level; every condition supported → ``supported``, some →
    ``conditional`` naming them, none but some evidence → ``unsupported``, no evidence → ``open``.  A claim
    without preregistered conditions is one decision: the record's own statistic."""
    if num is not None and num.status in NOT_EVIDENCE:
        return Verdict.OPEN, f"{num.statistic}: {num.status} (no evidence either way)", None
    if num is None or num.status not in ("supported", "unsupported"):
        return Verdict.OPEN, "no usable numeric statistic yet", None
    level = _family_level(claim)
    pre = claim.preregistered
    family = f"family of {empirical_family()['size']} decisions, Bonferroni level {percent(level)}"
    if pre is None or not pre.conditions:
        lo, hi = num.interval
        status, _ = _condition_status("the statistic", _single(num), num.threshold, level)
        cmp = {"supported": ">=", "unsupported": "<"}.get(status, "vs")
        line = (f"{num.statistic} = {num.value:.4g} ({percent(num.ci_level)} interval [{lo:.3g}, {hi:.3g}]) {cmp} "
                f"threshold {num.threshold:g} over {num.networks} networks{_show_reference(_single(num))}")
        if num.ci_level is not None:
            line += f"; {family}"
        verdict, _ = one_rule({"the statistic": status})
        if status in NOT_EVIDENCE:
            line += f"; {status}"
        return Verdict(verdict), line, None
    conds = _preregistered_conditions(num, claim)
    statuses = {name: _condition_status(name, c, num.threshold, level)[0] for name, c in conds.items()}
    missing = [name for name in pre.conditions if name not in conds]
    if statuses:
        verdict, holding = one_rule(statuses)
        if verdict == "supported" and missing:
            verdict = "conditional"
    else:
        verdict, holding = "open", []
    head = f"{num.statistic} against threshold {num.threshold:g}, per preregistered condition ({family})"
    parts = [f"holds in {len(holding)} of {len(pre.conditions)}"]
    if holding:
        parts.append("; ".join(_show_condition(name, conds[name]) for name in holding))
    against = [name for name, st in statuses.items() if st == "unsupported"]
    if against:
        parts.append("not in " + "; ".join(_show_condition(name, conds[name]) for name in against))
    idle = [f"{name} ({st})" for name, st in statuses.items() if st in NOT_EVIDENCE]
    if idle:
        parts.append("no evidence: " + ", ".join(idle))
    if missing:
        parts.append("not reported: " + ", ".join(missing))
    return Verdict(verdict), f"{head}: " + "; ".join(parts), None


def _run_layer(claim: Claim, layer: str, config: NumericConfig):
    link = claim.layers()[layer]
    if link is None:
        return None
    fn = resolve(link)
    if layer == "numeric":
        return fn(networks=config.networks, device=config.device, seed=config.seed)
    if layer == "search":
        return fn(seed=config.seed, timeout=config.timeout)
    return fn()


RECORD_TYPES = {"symbolic": Proof, "search": SearchResult, "numeric": NumericResult}


def _checked_record(claim: Claim, layer: str, rec):
    """A layer must return its record type, about this claim (a search record names its search instead)."""
    if rec is None or isinstance(rec, dict):
        return rec
    kind = RECORD_TYPES[layer]
    problem = None
    if not isinstance(rec, kind):
        problem = f"the {layer} layer returned {type(rec).__name__}, not a {kind.__name__}"
    elif layer != "search" and rec.claim_id != claim.id:
        problem = f"the {layer} layer returned a record about {rec.claim_id!r}, not {claim.id!r}"
    if problem is None:
        return rec
    out = {"status": "error", "error": problem}
    if layer == "numeric":
        out["as_stated"] = "not checked"
    return out


def verify(
    claim: Claim | str,
    layers: Iterable[str] = LAYERS,
    config: NumericConfig = NumericConfig(),
) -> Outcome:
    """Run the chosen layers on one claim and compute its verdict.

    A layer that raises is recorded as ``{"status": "error", "error": ...}`` and carries no
    evidence, so the verdict cannot come out ``true`` by accident.
    """
    claim = get_claim(claim) if isinstance(claim, str) else claim
    records: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for layer in layers:
        t0 = time.perf_counter()
        try:
            rec = _run_layer(claim, layer, config)
        except Exception as exc:  # a crashing layer is reported, never a silent pass
            rec = {
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=4),
            }
            if layer == "numeric":
                rec["as_stated"] = "not checked"
        rec = _checked_record(claim, layer, rec)
        seconds[layer] = round(time.perf_counter() - t0, 4)
        if rec is not None:
            records[layer] = rec
    verdict, evidence, disagreement = decide(
        claim, records.get("symbolic"), records.get("search"), records.get("numeric")
    )
    return Outcome(claim, verdict, evidence, records, disagreement, seconds)


def verify_many(ids: Iterable[str] | None = None, layers=LAYERS, config=NumericConfig()):
    """Yield :class:`Outcome` for each claim ID (all claims by default), in catalogue order."""
    chosen = [get_claim(i) for i in ids] if ids else list(claims())
    for claim in chosen:
        yield verify(claim, layers, config)
