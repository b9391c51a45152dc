"""Assertions that turn a claim's verdict into a test outcome, with the evidence in the failure message.

>>> from nnclaims.testing import assert_verdict
>>> out = assert_verdict("perm.inverse-is-transpose", "true", layers=("symbolic",))
>>> out.verdict.value
'true'
"""

from __future__ import annotations

from typing import Iterable

from nnclaims.proofs.catalogue import Claim, get_claim
from nnclaims.mutation import MutationOutcome, run_mutation
from nnclaims.verdict import LAYERS, NumericConfig, Outcome, verify

__all__ = ["assert_verdict", "assert_mutations_caught", "describe"]


def describe(outcome: Outcome) -> str:
    """The verdict, the evidence, any disagreement and each layer's status, as readable lines."""
    lines = [f"{outcome.claim.id}: {outcome.verdict.value} — {outcome.evidence}"]
    if outcome.disagreement:
        lines.append(f"DISAGREEMENT: {outcome.disagreement}")
    for layer, rec in outcome.to_json().items():
        if layer in LAYERS:
            extra = f", as stated {rec['as_stated']}" if layer == "numeric" else ""
            err = f" ({rec['error']})" if rec.get("error") else ""
            lines.append(f"  {layer}: {rec.get('status')}{extra}{err}")
    return "\n".join(lines)


def _claim(claim: Claim | str) -> Claim:
    return get_claim(claim) if isinstance(claim, str) else claim


def assert_verdict(claim: Claim | str, expected: str | None = None, *, layers: Iterable[str] = LAYERS,
                   networks: int = 4, device: str = "cpu", seed: int = 0) -> Outcome:
    """Verify ``claim`` and fail (``AssertionError`` with the evidence) when the verdict is not ``expected``
    (default: the claim's ``established`` verdict), a layer errored, or the layers disagree."""
    claim = _claim(claim)
    want = expected if expected is not None else claim.established
    out = verify(claim, tuple(layers), NumericConfig(networks=networks, device=device, seed=seed))
    errors = [k for k, v in out.records.items() if isinstance(v, dict) and v.get("status") == "error"]
    problems = []
    if want is not None and out.verdict.value != want:
        problems.append(f"expected verdict {want!r}, got {out.verdict.value!r}")
    if errors:
        problems.append(f"layer error in {', '.join(errors)}")
    if out.disagreement:
        problems.append("the layers disagree")
    if problems:
        raise AssertionError("; ".join(problems) + "\n" + describe(out))
    return out


def assert_mutations_caught(claim: Claim | str, *, networks: int = 4, device: str = "cpu",
                            seed: int = 0) -> list[MutationOutcome]:
    """Run every mutation of ``claim``; fail when it has none or when one survives."""
    claim = _claim(claim)
    if not claim.mutations:
        raise AssertionError(f"{claim.id} registers no mutation: nothing shows its checks can fail")
    config = NumericConfig(networks=networks, device=device, seed=seed)
    baseline = verify(claim, config=config)
    results = [run_mutation(claim, m, baseline, config) for m in claim.mutations]
    survivors = [r for r in results if not r.caught]
    if survivors:
        raise AssertionError("\n".join(r.explain() for r in survivors))
    return results
