"""One test per claim: run its layers on the CPU and compare the computed verdict with the last
established one (a regression guard: the recorded verdict is never an input to the computation)."""

import pytest

from nnclaims.proofs.catalogue import CLAIMS
from nnclaims.proofs.record import Proof

pytestmark = pytest.mark.slow  # every claim verified with all its layers: the full tier (python -m pytest), not -m "not slow"


def _marks(claim):
    marks = []
    if claim.proof:
        marks.append(pytest.mark.symbolic)
    if claim.search:
        marks.append(pytest.mark.search)
    if claim.numeric:
        marks.append(pytest.mark.numeric)
    return marks


PARAMS = [pytest.param(c, id=c.id, marks=_marks(c)) for c in CLAIMS]


@pytest.mark.parametrize("claim", PARAMS)
def test_claim_verdict_matches_established(claim, outcomes):
    out = outcomes(claim)
    errors = {k: v["error"] for k, v in out.records.items() if isinstance(v, dict) and v.get("status") == "error"}
    assert not errors, errors
    assert out.disagreement is None, out.disagreement
    assert out.verdict.value == claim.established, (out.verdict.value, out.evidence)


@pytest.mark.parametrize("claim", [p for p in PARAMS if p.values[0].proof])
def test_claim_proof_record_is_consistent(claim, outcomes):
    rec = outcomes(claim).records["symbolic"]
    assert isinstance(rec, Proof)
    assert rec.steps, "a proof records its steps"
    if rec.outcome == "proved":
        assert all(s.holds for s in rec.steps)
    if rec.outcome == "refuted":
        assert rec.counterexample
    for s in rec.steps:
        assert s.latex and s.check


AS_STATED = {"true": {"holds"}, "supported": {"holds"}, "false": {"violated"}, "conditional": {"violated"},
             "unsupported": {"violated"}, "open": {"holds", "violated", "not checked"}}


@pytest.mark.parametrize("claim", [p for p in PARAMS if p.values[0].numeric])
def test_claim_numeric_as_stated_agrees_with_its_verdict(claim, outcomes):
    """The numeric layer's own reading of the claim as stated agrees with the verdict: it finds a true or
    supported claim holding, and a false, conditional or unsupported one violated as the seed states it."""
    out = outcomes(claim)
    rec = out.to_json()["numeric"]
    assert rec["as_stated"] in AS_STATED[out.verdict.value], (out.verdict.value, rec["as_stated"])
    assert rec.get("control", {}).get("fails") is True, rec.get("control")
