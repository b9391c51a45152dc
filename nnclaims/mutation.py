"""Mutation testing: run a claim's checks with one deliberately broken piece and see whether anything notices.

A :class:`~nnclaims.proofs.catalogue.Mutation` either replaces a module attribute (``target``) with a broken
variant of it, or changes fields of the claim (``changes``: a threshold at ±∞, a wrong condition).  The mutant
re-runs the layers it touches; the other layers keep their records from the unmutated run, and the verdict is
computed again.  The mutant is *caught* when the verdict, the disagreement flag, or any layer's status (numeric:
also ``as_stated``; search: also the re-check) differs from the unmutated run.  A mutant that survives is a
check that cannot fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any, Iterator

from nnclaims.caching import clear_all
from nnclaims.proofs.catalogue import Claim, Mutation, replaced

from .verdict import LAYERS, NumericConfig, Outcome, decide, verify

__all__ = ["MutationOutcome", "mutated", "run_mutation", "signature"]


def signature(outcome: Outcome) -> dict[str, Any]:
    """What a mutant must change: the verdict, the disagreement flag and each layer's status."""
    sig: dict[str, Any] = {"verdict": outcome.verdict.value, "disagreement": outcome.disagreement is not None}
    for layer in LAYERS:
        rec = outcome.to_json()[layer]
        sig[layer] = tuple(rec.get(k) for k in ("status", "as_stated", "rechecked", "outcome"))
    return sig


@dataclass(frozen=True)
class MutationOutcome:
    claim_id: str
    mutation: str
    baseline: dict
    mutant: dict
    evidence: str

    @property
    def changed(self) -> list[str]:
        return [k for k in self.baseline if self.baseline[k] != self.mutant[k]]

    @property
    def caught(self) -> bool:
        return bool(self.changed)

    def explain(self) -> str:
        if self.caught:
            return f"{self.claim_id} / {self.mutation}: caught ({', '.join(self.changed)} changed)"
        return (f"{self.claim_id} / {self.mutation}: SURVIVED — verdict {self.mutant['verdict']} and every layer "
                f"status unchanged ({self.evidence})")


@contextlib.contextmanager
def mutated(claim: Claim, mutation: Mutation) -> Iterator[Claim]:
    """Apply the mutation for the duration and yield the claim to verify; caches are emptied on entry and
    exit, so neither the mutant nor later runs read results computed by the other."""
    clear_all()
    try:
        if mutation.changes is not None:
            with replaced(dataclasses.replace(claim, **mutation.changes)) as mutant:
                yield mutant
            return
        module, _, attr = mutation.target.partition(":")
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        setattr(owner, name, mutation.replacement(original))
        try:
            yield claim
        finally:
            setattr(owner, name, original)
    finally:
        clear_all()


def run_mutation(claim: Claim, mutation: Mutation, baseline: Outcome,
                 config: NumericConfig = NumericConfig()) -> MutationOutcome:
    """Run ``mutation`` on ``claim`` and compare with ``baseline`` (the unmutated outcome, same config)."""
    layers = mutation.layers or tuple(layer for layer, link in claim.layers().items() if link is not None)
    with mutated(claim, mutation) as mutant_claim:
        rerun = verify(mutant_claim, layers, config)
        records = {**baseline.records, **rerun.records}
        verdict, evidence, disagreement = decide(mutant_claim, records.get("symbolic"), records.get("search"),
                                                 records.get("numeric"))
    mutant = Outcome(mutant_claim, verdict, evidence, records, disagreement)
    return MutationOutcome(claim.id, mutation.name, signature(baseline), signature(mutant), evidence)
