"""Verdict rules, on hand-made layer records: every row of the identity table, disagreement in both
directions, self-contradicting numeric records, negative controls, and the one rule for empirical claims (each row
of the module docstring's rule with a case that must come out the other way)."""

import dataclasses

import pytest

from nnclaims.proofs.catalogue import Claim, Preregistration
from nnclaims.proofs.record import NumericResult, Proof, SearchResult
from nnclaims.verdict import IDENTITY_RULES, Verdict, _family_level, decide, verify

PRE = Preregistration("stat", 0.5, "interval above", "2026-12-01", conditions=("small init", "rank-1"))
IDENTITY = Claim("x.identity", "q", "st", source="s.txt")
EXISTS = Claim("x.exists", "q", "st", source="s.txt", form="exists")
EMPIRICAL = Claim("x.emp", "q", "st", source="s.txt", kind="empirical", numeric="m:f", preregistered=PRE)
SINGLE = Claim("x.single", "q", "st", source="s.txt", kind="empirical", numeric="m:f",
               preregistered=Preregistration("stat", 0.5, "interval above", "2026-12-01"))
LEVEL = _family_level(EMPIRICAL)  # the level every interval of the run must reach
SHORT = 0.99  # an achieved level below it (too few networks for the family)

CONTROL_FAILS = {"description": "wrong permutation", "value": 1.0, "fails": True}


def proof(outcome="proved", general=True, condition=None, cex=None):
    return Proof("x.identity", "s", (), (), outcome, "g", general, condition, cex)


def numeric(as_stated="holds", status="consistent", control=CONTROL_FAILS):
    value = 0.0 if status == "consistent" else 1.0
    return NumericResult("x.identity", status, "stat", value, 4, "cpu", tolerance=1e-12, as_stated=as_stated,
                         control=control)


def empirical(status, lo, hi, conditions=None, threshold=0.5):
    return NumericResult("x.emp", status, "stat", (lo + hi) / 2, 8, "cpu", threshold=threshold, interval=(lo, hi),
                         as_stated="holds" if status == "supported" else "violated", control=CONTROL_FAILS,
                         details={"conditions": conditions or {}}, ci_level=LEVEL)


def single(status, lo, hi, ci_level=None, threshold=0.5, null=None):
    ci_level = LEVEL if ci_level is None else ci_level
    return NumericResult("x.single", status, "stat", (lo + hi) / 2, 30, "cpu", threshold=threshold,
                         interval=(lo, hi), as_stated="holds" if status == "supported" else "violated",
                         control=CONTROL_FAILS, ci_level=ci_level,
                         details={"beyond_null": {"value": sum(null) / 2, "interval": null}} if null else {})


def cond(status, lo, hi, ci_level=None, null=None):
    c = {"value": (lo + hi) / 2, "status": status, "interval": (lo, hi), "n": 30,
         "ci_level": LEVEL if ci_level is None else ci_level}
    if null is not None:
        c["beyond_null"] = {"value": sum(null) / 2, "interval": null}
    return c


YES, NO = cond("supported", 0.6, 0.9), cond("unsupported", 0.3, 0.9)


FOUND = SearchResult("s", "found", {}, {"w": 1}, rechecked=True)
REFUTED = proof("refuted", cex={"a": 1})
CONDITIONAL = proof(condition="c", cex={"a": 1})
CONDITIONAL_BARE = proof(condition="c")

# (symbolic, search, numeric) → (verdict, disagreement?)
TABLE = [
    (proof(), None, numeric("holds"), Verdict.TRUE, False),
    (proof(), None, None, Verdict.TRUE, False),
    (proof(), None, numeric("violated", "violated"), Verdict.OPEN, True),  # proof vs numeric violation
    (proof(), FOUND, numeric("holds"), Verdict.OPEN, True),  # proof vs re-checked witness
    (proof(general=False), None, numeric("holds"), Verdict.OPEN, False),  # bounded sizes only
    (CONDITIONAL, None, numeric("violated"), Verdict.CONDITIONAL, False),
    (CONDITIONAL, None, None, Verdict.CONDITIONAL, False),
    (CONDITIONAL, None, numeric("holds"), Verdict.OPEN, True),  # refutation whose numeric replay holds
    (CONDITIONAL, None, numeric("violated", "violated"), Verdict.OPEN, True),  # numeric breaks the proved form
    (CONDITIONAL_BARE, None, numeric("violated"), Verdict.CONDITIONAL, False),
    (CONDITIONAL_BARE, None, None, Verdict.OPEN, False),
    (REFUTED, None, numeric("violated"), Verdict.FALSE, False),
    (REFUTED, None, None, Verdict.FALSE, False),
    (REFUTED, None, numeric("holds"), Verdict.OPEN, True),  # refutation whose numeric replay holds
    (None, FOUND, None, Verdict.FALSE, False),
    (None, FOUND, numeric("holds"), Verdict.OPEN, True),
    (None, None, numeric("violated", "violated"), Verdict.FALSE, False),
    (None, None, numeric("holds"), Verdict.OPEN, False),
    (None, None, None, Verdict.OPEN, False),
    (None, SearchResult("s", "none", {}), None, Verdict.OPEN, False),
    (None, SearchResult("s", "unknown", {}), None, Verdict.OPEN, False),
    (REFUTED, SearchResult("s", "found", {}, {"w": 1}, rechecked=False), None, Verdict.OPEN, True),
]


@pytest.mark.parametrize("symbolic, search, num, verdict, disagreement", TABLE)
def test_decide_identity_table(symbolic, search, num, verdict, disagreement):
    got, _, dis = decide(IDENTITY, symbolic, search, num)
    assert got is verdict
    assert (dis is not None) == disagreement, dis


def test_identity_rules_cover_every_case():
    for p in ("proved", "conditional", "none"):
        for c in ("yes", "no"):
            for n in ("holds", "violated", "not checked"):
                assert any(r[0] in ("*", p) and r[1] in ("*", c) and r[2] in ("*", n) for r in IDENTITY_RULES)


def test_numeric_status_contradicting_its_value_is_flagged():
    inverted = dataclasses.replace(numeric("holds"), status="violated")  # value 0 ≤ tolerance, status says violated
    verdict, _, dis = decide(IDENTITY, proof(), None, inverted)
    assert verdict is Verdict.OPEN and "contradicts its value" in dis


def test_numeric_control_that_does_not_fail_is_no_evidence():
    blind = numeric("violated", control={"description": "c", "value": 0.0, "fails": False})
    assert decide(IDENTITY, None, None, blind)[0] is Verdict.OPEN  # the violation is not believed
    assert decide(IDENTITY, None, None, numeric("violated"))[0] is Verdict.FALSE


def test_numeric_error_is_no_evidence():
    err = dataclasses.replace(numeric("violated"), status="error")
    assert decide(IDENTITY, proof(), None, err)[0] is Verdict.TRUE


def test_decide_exists():
    assert decide(EXISTS, None, FOUND)[0] is Verdict.TRUE
    assert decide(EXISTS, None, FOUND, numeric("holds"))[0] is Verdict.TRUE
    v, _, dis = decide(EXISTS, None, FOUND, numeric("violated"))
    assert v is Verdict.OPEN and dis
    assert decide(EXISTS, None, SearchResult("s", "none", {}))[0] is Verdict.OPEN
    assert decide(EXISTS, None, SearchResult("s", "found", {}, {"w": 1}, rechecked=False))[0] is Verdict.OPEN


# --- empirical claims: the one rule (module docstring of nnclaims/verdict.py) ---------------------------------------

# (claim, record) → verdict; each rule's row is followed by the case that must come out otherwise
EMPIRICAL_TABLE = [
    # one decision (no preregistered condition): the interval against the threshold, at the family level
    (SINGLE, single("supported", 0.6, 0.8), Verdict.SUPPORTED),
    (SINGLE, single("unsupported", 0.4, 0.8), Verdict.UNSUPPORTED),
    # every preregistered condition holds → supported; one does not → conditional
    (EMPIRICAL, empirical("supported", 0.6, 0.9, {"small init": YES, "rank-1": YES}), Verdict.SUPPORTED),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": YES, "rank-1": NO}), Verdict.CONDITIONAL),
    # none holds, some is evidence → unsupported; none is evidence → open
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": NO, "rank-1": NO}), Verdict.UNSUPPORTED),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("too few networks", 0.6, 0.9, SHORT),
                                                    "rank-1": {"status": "undecidable by design"}}), Verdict.OPEN),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("too few networks", 0.6, 0.9, SHORT),
                                                    "rank-1": NO}), Verdict.UNSUPPORTED),
    # the study's "excluded" (networks that did not learn) is no evidence
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": YES, "rank-1": {"status": "excluded"}}),
     Verdict.CONDITIONAL),
    # a condition only the record names is reported, never judged; a preregistered one it omits blocks "supported"
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"found afterwards": YES, "rank-1": NO}), Verdict.UNSUPPORTED),
    (EMPIRICAL, empirical("supported", 0.6, 0.9, {"small init": YES}), Verdict.CONDITIONAL),
    # nothing is averaged: an overall statistic that clears the threshold does not hide a condition that does not
    (EMPIRICAL, empirical("supported", 0.6, 0.9, {"small init": YES, "rank-1": NO}), Verdict.CONDITIONAL),
    # a null: supported only when the excess over it lies above 0 as well
    (SINGLE, single("supported", 0.6, 0.8, null=(0.1, 0.3)), Verdict.SUPPORTED),
    (SINGLE, single("unsupported", 0.6, 0.8, null=(-0.1, 0.3)), Verdict.UNSUPPORTED),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("supported", 0.6, 0.9, null=(0.1, 0.2)),
                                                    "rank-1": cond("unsupported", 0.6, 0.9, null=(0.0, 0.2))}),
     Verdict.CONDITIONAL),
    # a record that only states too few networks is no evidence
    (SINGLE, dataclasses.replace(single("unsupported", 0.6, 0.8, SHORT), status="too few networks"), Verdict.OPEN),
    (SINGLE, None, Verdict.OPEN),
]


@pytest.mark.parametrize("claim, rec, verdict", EMPIRICAL_TABLE)
def test_decide_empirical_one_rule(claim, rec, verdict):
    got, line, dis = decide(claim, numeric=rec)
    assert (got, dis) == (verdict, None), (line, dis)


# records that contradict themselves → open with the disagreement named
CONTRADICTIONS = [
    (SINGLE, single("supported", 0.4, 0.8), "reaches below"),  # the interval reaches below
    (SINGLE, single("supported", 0.6, 0.8, SHORT), "family level"),  # enough for 99 %, not for the family
    (SINGLE, single("unsupported", 0.4, 0.8, SHORT), "family level"),  # too few networks to decide anything
    (SINGLE, single("supported", 0.6, 0.8, null=(0.0, 0.3)), "null"),  # no excess over the null
    (SINGLE, single("supported", 0.6, 0.8, threshold=0.1), "preregistered"),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("supported", 0.6, 0.9, SHORT),
                                                    "rank-1": NO}), "family level"),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("supported", 0.4, 0.9), "rank-1": NO}),
     "reaches below"),
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("unsupported", 0.6, 0.9), "rank-1": NO}),
     "lies at or above"),  # an inverted condition status
    (EMPIRICAL, empirical("unsupported", 0.3, 0.9, {"small init": cond("holds", 0.6, 0.9), "rank-1": NO}),
     "not one of"),
    (EMPIRICAL, empirical("supported", 0.6, 0.9, {"small init": cond("supported", 0.6, 0.9, null=(-0.1, 0.2)),
                                                  "rank-1": YES}), "null"),
]


@pytest.mark.parametrize("claim, rec, why", CONTRADICTIONS)
def test_decide_empirical_self_contradiction_is_open(claim, rec, why):
    got, _, dis = decide(claim, numeric=rec)
    assert got is Verdict.OPEN and dis is not None and why in dis, dis


def test_decide_empirical_evidence_names_the_conditions_and_prints_the_achieved_level():
    rec = empirical("unsupported", 0.3, 0.9, {"small init": YES, "rank-1": NO})
    _, line, _ = decide(EMPIRICAL, numeric=rec)
    holds, _, against = line.partition("not in")
    assert "small init" in holds and "rank-1" not in holds and "rank-1" in against
    shown = f"{100 * LEVEL:.4f}".rstrip("0").rstrip(".") + "%"
    assert shown in line and "95%" not in line and "Bonferroni" in line
    _, line, _ = decide(SINGLE, numeric=single("supported", 0.6, 0.8, ci_level=0.9997))
    assert "99.97%" in line and "95%" not in line


def test_family_level_is_the_registry_family_with_the_claim_in_it():
    from nnclaims.numeric.statistics import family_level
    from nnclaims.proofs.catalogue import CLAIMS, empirical_family

    fam = empirical_family()
    registered = next(c for c in CLAIMS if c.kind == "empirical")
    assert _family_level(registered) == fam["level"]
    assert fam["level"] < LEVEL == family_level(fam["size"] + 2)  # a hand-made claim adds its own decisions


def test_family_counts_each_gate_once_and_a_hand_made_claims_new_gates():
    """The DNFA claims share their conditions' learned gates: the family holds each once (not once per claim), so
    its size is the claims' decisions plus the distinct gates; a hand-made claim adds only gates the family lacks."""
    from nnclaims.numeric.statistics import family_level
    from nnclaims.proofs.catalogue import empirical_family, get_claim

    fam = empirical_family()
    ansatz = get_claim("dnfa.ansatz-holds-trained").preregistered
    isotropy = get_claim("dnfa.isotropy-holds-trained").preregistered
    assert ansatz.gates and ansatz.gates == isotropy.gates and set(ansatz.gates) <= set(fam["gates"])
    assert fam["size"] == sum(fam["members"].values()) + len(fam["gates"])
    assert len(fam["gates"]) < sum(len(get_claim(c).preregistered.gates) for c in fam["members"])  # shared once
    shared = dataclasses.replace(SINGLE, preregistered=dataclasses.replace(PRE, conditions=(), gates=ansatz.gates))
    new = dataclasses.replace(SINGLE, preregistered=dataclasses.replace(PRE, conditions=(), gates=("learned: mine",)))
    assert _family_level(shared) == family_level(fam["size"] + 1)
    assert _family_level(new) == family_level(fam["size"] + 2)


def test_verify_layer_error_is_recorded_not_passed():
    broken = dataclasses.replace(IDENTITY, proof="nnclaims.proofs.permutation:no_such_function")
    out = verify(broken, layers=("symbolic",))
    assert out.verdict is Verdict.OPEN
    assert out.records["symbolic"]["status"] == "error"
    assert out.to_json()["symbolic"]["status"] == "error"


def test_verify_rejects_a_record_about_another_claim():
    other = dataclasses.replace(IDENTITY, proof="nnclaims.proofs.permutation:prove_inverse_is_transpose")
    out = verify(other, layers=("symbolic",))
    assert out.records["symbolic"]["status"] == "error" and "perm.inverse-is-transpose" in out.records["symbolic"]["error"]


def test_verify_claim_without_layers_is_open():
    out = verify(IDENTITY)
    assert out.verdict is Verdict.OPEN
    assert out.to_json()["numeric"] == {"status": "absent", "as_stated": "not checked"}


# --- found by the mutation hunt (issue 13 audit): cases the rules must get right that no test pinned -------------

def test_numeric_status_at_the_boundary_is_not_a_contradiction():
    """``identity_result`` and ``judge`` count ``value == tolerance`` as consistent and ``lo == threshold`` as
    supported (an integer count against an integer threshold lands exactly there); the recomputation must agree."""
    at_tol = dataclasses.replace(numeric("holds"), value=1e-12)  # value == tolerance
    assert decide(IDENTITY, proof(), None, at_tol)[:3:2] == (Verdict.TRUE, None)
    zero_tol = dataclasses.replace(numeric("holds"), value=0.0, tolerance=0.0)  # an indicator statistic, tolerance 0
    assert decide(IDENTITY, proof(), None, zero_tol)[:3:2] == (Verdict.TRUE, None)
    v, _, dis = decide(SINGLE, numeric=single("supported", 0.5, 0.8))  # lo == preregistered threshold 0.5
    assert v is Verdict.SUPPORTED and dis is None


def test_search_witness_without_a_recheck_is_no_counterexample():
    """``found`` counts only with the independent exact re-check passed; a witness nobody re-checked
    (``rechecked=None``) refutes nothing."""
    unchecked = SearchResult("s", "found", {}, {"w": 1}, rechecked=None)
    assert decide(IDENTITY, None, unchecked, None)[0] is Verdict.OPEN
    assert decide(IDENTITY, proof(), unchecked, numeric("holds"))[:3:2] == (Verdict.TRUE, None)
    assert decide(EXISTS, None, unchecked)[0] is Verdict.OPEN


def test_decide_exists_constructive_proof_must_be_proved():
    assert decide(EXISTS, proof(), None)[0] is Verdict.TRUE
    assert decide(EXISTS, proof("not proved"), None)[0] is Verdict.OPEN
    assert decide(EXISTS, proof("refuted", cex={"a": 1}), None)[0] is Verdict.OPEN


def _search_record_as_proof():
    return SearchResult("s", "found", {}, {"w": 1}, rechecked=True)


def test_verify_rejects_a_record_of_the_wrong_type():
    """A symbolic layer that returns a search record (of no claim) is an error, not evidence."""
    out = verify(dataclasses.replace(IDENTITY, proof=_search_record_as_proof), layers=("symbolic",))
    assert out.records["symbolic"]["status"] == "error" and "not a Proof" in out.records["symbolic"]["error"]
    assert out.verdict is Verdict.OPEN


def test_evidence_prints_the_null_and_the_rank_bound_beside_the_statistic():
    """An alignment or isotropy statistic is read against what the spectra or the rank alone give: the evidence
    line prints the null's median, the excess over it, and the rank bound, where the record has them; a condition
    without them prints none (control)."""
    with_null = {**cond("supported", 0.92, 0.97, null=(0.2, 0.4)), "null": {"value": 0.61, "interval": [0.6, 0.62]}}
    with_bound = {**cond("unsupported", 0.3, 0.5), "rank_bound": {"value": 0.71, "interval": [0.7, 0.72]}}
    _, line, _ = decide(EMPIRICAL, numeric=empirical("unsupported", 0.3, 0.5,
                                                     {"small init": with_null, "rank-1": with_bound}))
    assert "null 0.61" in line and "beyond null 0.3 [0.2, 0.4]" in line and "rank bound 0.71 [0.7, 0.72]" in line
    _, plain, _ = decide(EMPIRICAL, numeric=empirical("unsupported", 0.3, 0.9, {"small init": YES, "rank-1": NO}))
    assert "null" not in plain and "rank bound" not in plain
    rec = single("supported", 0.6, 0.8, null=(0.1, 0.3))
    rec.details["null"] = 0.02
    _, line, _ = decide(SINGLE, numeric=rec)
    assert "null 0.02" in line and "beyond null 0.2 [0.1, 0.3]" in line
