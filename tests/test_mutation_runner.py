"""The mutation runner itself (``nnclaims/mutation.py``): a mutant is caught when — and only when — the verdict,
the disagreement flag, or a layer's status, ``as_stated``, re-check or outcome changes.  Each of these is changed
alone on hand-made records (a runner whose signature ignored one of them would let every mutant that moves only
that one survive unnoticed), and once end to end through :func:`run_mutation` on a small claim defined here."""

import pytest

from nnclaims.proofs.catalogue import Claim, Mutation
from nnclaims.proofs.record import NumericResult, Proof, SearchResult
from nnclaims.mutation import MutationOutcome, run_mutation, signature
from nnclaims.verdict import NumericConfig, Outcome, Verdict, verify

CONTROL = {"description": "a case built to fail", "value": 1.0, "fails": True}
CLAIM = Claim("runner.records", "q", "st", source="s.txt")


def _outcome(*, verdict=Verdict.OPEN, disagreement=None, proof="proved", search="found", rechecked=True,
             status="consistent", as_stated="holds"):
    records = {
        "symbolic": Proof(CLAIM.id, "s", (), (), proof, "g", True),
        "search": SearchResult("s", search, {}, {"w": 1}, rechecked=rechecked),
        "numeric": NumericResult(CLAIM.id, status, "stat", 0.0, 4, "cpu", tolerance=1e-12, as_stated=as_stated,
                                 control=CONTROL),
    }
    return Outcome(CLAIM, verdict, "evidence", records, disagreement)


ONE_FIELD = [
    ({"verdict": Verdict.TRUE}, "verdict"),
    ({"disagreement": "the layers disagree"}, "disagreement"),
    ({"proof": "not proved"}, "symbolic"),
    ({"search": "none"}, "search"),
    ({"rechecked": False}, "search"),
    ({"status": "violated"}, "numeric"),
    ({"as_stated": "violated"}, "numeric"),
]


@pytest.mark.parametrize("change, key", ONE_FIELD, ids=[next(iter(c)) for c, _ in ONE_FIELD])
def test_signature_notices_each_field_changed_alone(change, key):
    result = MutationOutcome(CLAIM.id, "m", signature(_outcome()), signature(_outcome(**change)), "")
    assert result.caught and result.changed == [key], result.explain()


def test_signature_of_equal_records_is_a_survivor():
    result = MutationOutcome(CLAIM.id, "m", signature(_outcome()), signature(_outcome()), "")
    assert not result.caught and "SURVIVED" in result.explain()


AS_STATED = "holds"


def _numeric_only(networks=4, device="cpu", seed=0):
    return NumericResult("runner.numeric-only", "consistent", "stat", 0.0, networks, device, tolerance=1e-12,
                         as_stated=AS_STATED, control=CONTROL)


NUMERIC_ONLY = Claim("runner.numeric-only", "q", "st", source="s.txt", numeric=_numeric_only)


def test_run_mutation_catches_a_mutant_that_moves_as_stated_alone():
    """No proof and no search: the verdict is ``open`` whether the numeric layer finds the claim holding or did
    not check it, so only ``as_stated`` can tell the mutant apart; the runner must, and must restore the module."""
    config = NumericConfig(networks=4, device="cpu", seed=0)
    base = verify(NUMERIC_ONLY, config=config)
    mutation = Mutation("as stated not checked", f"{__name__}:AS_STATED", lambda original: "not checked")
    result = run_mutation(NUMERIC_ONLY, mutation, base, config)
    assert result.mutant["verdict"] == result.baseline["verdict"] == Verdict.OPEN.value
    assert result.caught and result.changed == ["numeric"], result.explain()
    assert AS_STATED == "holds"
