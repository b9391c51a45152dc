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


def _overlap(a, b) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def test_confirmatory_seed_ranges_are_fresh():
    """Every empirical claim registers a confirmatory seed range that its exploratory runs never touched, and two
    claims' ranges are either one shared run (the DNFA claims read one study) or disjoint."""
    ranges = {}
    for c in CLAIMS:
        if c.kind != "empirical" or c.preregistered is None:
            continue
        pre = c.preregistered
        assert pre.confirmatory_seeds is not None and pre.exploratory_seeds is not None, c.id
        assert pre.confirmatory_seeds[0] <= pre.confirmatory_seeds[1], c.id
        assert not _overlap(pre.confirmatory_seeds, pre.exploratory_seeds), c.id
        ranges[c.id] = tuple(pre.confirmatory_seeds)
    assert len(ranges) >= 4
    ids = sorted(ranges)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            assert ranges[a] == ranges[b] or not _overlap(ranges[a], ranges[b]), (a, b)


def test_seed_range_overlap_control():
    assert _overlap((0, 10), (10, 20)) and not _overlap((0, 9), (10, 20)) and _overlap((5, 6), (0, 100))
