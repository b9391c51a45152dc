"""Verdict rules, on hand-made layer records: every row of the identity table, disagreement in both
directions, self-contradicting numeric records, negative controls, empirical intervals."""

import dataclasses

import pytest

from nnclaims.proofs.catalogue import Claim, Preregistration
from nnclaims.proofs.record import NumericResult, Proof, SearchResult
from nnclaims.reports.verdict import IDENTITY_RULES, Verdict, decide, verify

PRE = Preregistration("stat", 0.5, "interval above", "2026-12-01", conditions=("small init",))
IDENTITY = Claim("x.identity", "q", "st", source="s.txt")
EXISTS = Claim("x.exists", "q", "st", source="s.txt", form="exists")
EMPIRICAL = Claim("x.emp", "q", "st", source="s.txt", kind="empirical", numeric="m:f", preregistered=PRE)

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
                         details={"conditions": conditions or {}})


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


def test_decide_empirical_needs_the_interval_above_the_threshold():
    assert decide(EMPIRICAL, numeric=empirical("supported", 0.6, 0.8))[0] is Verdict.SUPPORTED
    assert decide(EMPIRICAL, numeric=empirical("unsupported", 0.4, 0.8))[0] is Verdict.UNSUPPORTED
    # a median above the threshold with the interval reaching below it is not support; the status must say so
    v, _, dis = decide(EMPIRICAL, numeric=empirical("supported", 0.4, 0.8))
    assert v is Verdict.OPEN and "contradicts its interval" in dis
    assert decide(EMPIRICAL)[0] is Verdict.OPEN


def test_decide_empirical_threshold_must_be_the_preregistered_one():
    v, _, dis = decide(EMPIRICAL, numeric=empirical("supported", 0.6, 0.8, threshold=0.1))
    assert v is Verdict.OPEN and "preregistered" in dis


def test_decide_empirical_conditional_only_on_a_preregistered_condition():
    cond = lambda status, lo, hi: {"value": (lo + hi) / 2, "status": status, "interval": (lo, hi)}  # noqa: E731
    rec = empirical("unsupported", 0.2, 0.3, {"small init": cond("supported", 0.9, 0.95),
                                               "rank-1": cond("unsupported", 0.3, 0.4)})
    verdict, line, _ = decide(EMPIRICAL, numeric=rec)
    assert verdict is Verdict.CONDITIONAL and "small init" in line and "rank-1" not in line
    post_hoc = empirical("unsupported", 0.2, 0.3, {"found afterwards": cond("supported", 0.9, 0.95)})
    assert decide(EMPIRICAL, numeric=post_hoc)[0] is Verdict.UNSUPPORTED
    # a condition whose status says supported but whose interval does not is not believed
    lying = empirical("unsupported", 0.2, 0.3, {"small init": cond("supported", 0.4, 0.95)})
    assert decide(EMPIRICAL, numeric=lying)[0] is Verdict.UNSUPPORTED


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
    v, _, dis = decide(EMPIRICAL, numeric=empirical("supported", 0.5, 0.8))  # lo == preregistered threshold 0.5
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


def test_decide_empirical_supported_stays_supported_under_supported_conditions():
    """A preregistered condition can only turn an *unsupported* statistic into ``conditional``; a supported one
    stays supported whatever its conditions say."""
    cond = {"small init": {"value": 0.9, "status": "supported", "interval": (0.85, 0.95)}}
    assert decide(EMPIRICAL, numeric=empirical("supported", 0.6, 0.8, cond))[0] is Verdict.SUPPORTED


def _search_record_as_proof():
    return SearchResult("s", "found", {}, {"w": 1}, rechecked=True)


def test_verify_rejects_a_record_of_the_wrong_type():
    """A symbolic layer that returns a search record (of no claim) is an error, not evidence."""
    out = verify(dataclasses.replace(IDENTITY, proof=_search_record_as_proof), layers=("symbolic",))
    assert out.records["symbolic"]["status"] == "error" and "not a Proof" in out.records["symbolic"]["error"]
    assert out.verdict is Verdict.OPEN
