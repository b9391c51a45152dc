"""The catalogue is the one list of claims: IDs from CLAIMS.md, quotes from the seeds, live links."""

import re

import pytest

from nnclaims.proofs.catalogue import CLAIMS, SEEDS, UnknownClaimError, get_claim, resolve, seed_text


def _norm(s: str) -> str:
    return " ".join(s.split())


def test_catalogue_ids_match_claims_md():
    wanted = re.findall(r"^\| ([a-z]+\.[a-z0-9-]+) \|", seed_text("CLAIMS.md"), re.M)
    assert len(wanted) == 40
    assert [c.id for c in CLAIMS] == wanted


def test_catalogue_ids_unique():
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_quote_occurs_in_its_seed(claim):
    assert claim.source in SEEDS.values()
    text = _norm(seed_text(claim.source))
    assert _norm(claim.quote) in text


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_links_resolve(claim):
    for layer, link in claim.layers().items():
        if link is not None:
            assert callable(resolve(link)), (layer, link)


def test_get_claim_unknown_id_message():
    with pytest.raises(UnknownClaimError, match="unknown claim ID 'perm.nope'"):
        get_claim("perm.nope")


def test_established_verdicts_are_vocabulary():
    vocab = {"true", "false", "conditional", "supported", "unsupported", "open"}
    assert all(c.established in vocab for c in CLAIMS)
    assert all(c.established in {"supported", "unsupported", "conditional", "open"} for c in CLAIMS if c.kind == "empirical")
