"""Verdict rules, on hand-made layer records (including the disagreement cases)."""

import dataclasses

from nnclaims.proofs.catalogue import Claim
from nnclaims.proofs.record import NumericResult, Proof, SearchResult
from nnclaims.reports.verdict import Verdict, decide, verify

IDENTITY = Claim("x.identity", "s.txt", "q", "st")
EMPIRICAL = Claim("x.emp", "s.txt", "q", "st", kind="empirical")


def proof(outcome="proved", general=True, condition=None, cex=None):
    return Proof("x", "s", (), (), outcome, "g", general, condition, cex)


def numeric(status, value=0.0):
    return NumericResult("x", status, "stat", value, 4, "cpu", tolerance=1e-12, threshold=0.5)


def test_decide_proved_general_is_true():
    assert decide(IDENTITY, proof())[0] is Verdict.TRUE
    assert decide(IDENTITY, proof(), numeric=numeric("consistent"))[0] is Verdict.TRUE


def test_decide_bounded_proof_is_open():
    assert decide(IDENTITY, proof(general=False))[0] is Verdict.OPEN


def test_decide_refuted_is_false():
    assert decide(IDENTITY, proof("refuted", cex={"a": 1}))[0] is Verdict.FALSE


def test_decide_search_witness_alone_is_false():
    found = SearchResult("s", "found", {}, {"w": 1}, rechecked=True)
    assert decide(IDENTITY, None, found)[0] is Verdict.FALSE


def test_decide_conditional_needs_counterexample():
    assert decide(IDENTITY, proof(condition="c", cex={"a": 1}))[0] is Verdict.CONDITIONAL
    assert decide(IDENTITY, proof(condition="c"))[0] is Verdict.OPEN
    assert decide(IDENTITY, proof(condition="c"), numeric=numeric("violated"))[0] is Verdict.CONDITIONAL


def test_decide_proof_and_violation_disagree_loudly():
    v, _, dis = decide(IDENTITY, proof(), numeric=numeric("violated"))
    assert v is Verdict.OPEN and "numeric violation" in dis


def test_decide_witness_failing_recheck_is_disagreement():
    bad = SearchResult("s", "found", {}, {"w": 1}, rechecked=False)
    v, _, dis = decide(IDENTITY, proof("refuted", cex={"a": 1}), bad)
    assert v is Verdict.OPEN and dis


def test_decide_unknown_and_none_searches_are_not_evidence():
    for status in ("none", "unknown"):
        assert decide(IDENTITY, None, SearchResult("s", status, {}))[0] is Verdict.OPEN


def test_decide_numeric_consistent_alone_is_open():
    assert decide(IDENTITY, numeric=numeric("consistent"))[0] is Verdict.OPEN


def test_decide_empirical_follows_statistic():
    assert decide(EMPIRICAL, numeric=numeric("supported", 0.9))[0] is Verdict.SUPPORTED
    assert decide(EMPIRICAL, numeric=numeric("unsupported", 0.1))[0] is Verdict.UNSUPPORTED
    assert decide(EMPIRICAL)[0] is Verdict.OPEN


def test_verify_layer_error_is_recorded_not_passed():
    broken = dataclasses.replace(IDENTITY, proof="nnclaims.proofs.permutation:no_such_function")
    out = verify(broken, layers=("symbolic",))
    assert out.verdict is Verdict.OPEN
    assert out.records["symbolic"]["status"] == "error"
    assert out.to_json()["symbolic"]["status"] == "error"


def test_verify_claim_without_layers_is_open():
    out = verify(IDENTITY)
    assert out.verdict is Verdict.OPEN
    assert out.to_json()["numeric"] == {"status": "absent"}


def test_decide_empirical_conditional_on_a_designed_condition():
    cond = lambda status, value: {"value": value, "status": status}  # noqa: E731
    rec = dataclasses.replace(numeric("unsupported", 0.3),
                              details={"conditions": {"small init": cond("supported", 0.97),
                                                      "rank-1": cond("unsupported", 0.4)}})
    verdict, line, _ = decide(EMPIRICAL, numeric=rec)
    assert verdict is Verdict.CONDITIONAL and "small init: 0.97" in line and "rank-1" not in line
    none_hold = dataclasses.replace(rec, details={"conditions": {"rank-1": cond("unsupported", 0.4)}})
    assert decide(EMPIRICAL, numeric=none_hold)[0] is Verdict.UNSUPPORTED
    # a statistic supported on the main zoo stays supported whatever the conditions say
    assert decide(EMPIRICAL, numeric=dataclasses.replace(rec, status="supported", value=0.9))[0] is Verdict.SUPPORTED
