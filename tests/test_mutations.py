"""Mutation tests: every claim carries deliberately broken variants of its checks, and each must be caught —
the verdict, the disagreement flag or a layer's status must change.  A mutant that survives fails here."""

import pytest

from nnclaims.proofs.catalogue import CLAIMS
from nnclaims.mutation import run_mutation
from nnclaims.verdict import NumericConfig

from conftest import NETWORKS

pytestmark = [pytest.mark.mutation, pytest.mark.slow]  # each verifies a claim twice: the full tier

CASES = [pytest.param(c, m, id=f"{c.id}::{m.name}") for c in CLAIMS for m in c.mutations]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_has_a_mutation(claim):
    assert claim.mutations, f"{claim.id} registers no mutation: nothing shows its checks can fail"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_every_layer_of_a_claim_has_a_mutation(claim):
    """Each layer the claim has (symbolic, search, numeric) is broken by at least one of its mutations."""
    have = {layer for layer, link in claim.layers().items() if link is not None}
    covered = {layer for m in claim.mutations for layer in (m.layers or have)}
    assert have <= covered, f"{claim.id}: no mutation breaks {sorted(have - covered)}"


@pytest.mark.parametrize("claim, mutation", CASES)
def test_mutation_is_caught(claim, mutation, outcomes):
    result = run_mutation(claim, mutation, outcomes(claim), NumericConfig(networks=NETWORKS, device="cpu", seed=0))
    assert result.caught, result.explain()
