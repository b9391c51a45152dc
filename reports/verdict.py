r"""Verdicts: computed from what the layers return, never written by hand.

The rules (``decide``), for an **identity** claim:

* a *counterexample* is a symbolic ``refuted`` record, a search ``found`` whose witness passed the
  independent re-check, or a numeric ``violated`` record;
* an unconditional symbolic ``proved`` with general sizes and no counterexample → ``true``;
* a proof that holds only under a ``condition`` the seed omits, together with a counterexample to
  the bare form → ``conditional``;
* a counterexample without a proof → ``false``;
* a proof *and* a counterexample, or a search witness that fails its re-check → ``open`` with a
  loud ``disagreement`` (a bug or a discovery, never averaged away);
* anything else (a proof for bounded sizes only, no layer ran, a layer errored) → ``open``.

For an **empirical** claim the numeric layer's ``supported``/``unsupported`` is the verdict, except that
an ``unsupported`` statistic that is ``supported`` under one of the designed conditions the numeric record
lists in ``details["conditions"]`` (e.g. a smaller initialisation) → ``conditional``, naming the
condition(s); without a statistic the verdict is ``open``.
"""

from __future__ import annotations

import enum
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable

from nnclaims.proofs.catalogue import CLAIMS, Claim, get_claim, resolve
from nnclaims.proofs.record import NumericResult, Proof, SearchResult

__all__ = ["Verdict", "Outcome", "decide", "verify", "verify_many", "LAYERS", "NumericConfig"]

LAYERS = ("symbolic", "search", "numeric")


class Verdict(str, enum.Enum):
    TRUE = "true"
    FALSE = "false"
    CONDITIONAL = "conditional"
    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    OPEN = "open"


@dataclass(frozen=True)
class NumericConfig:
    """Settings for the numeric layer: how many networks, on which device, from which seed."""

    networks: int = 16
    device: str = "cpu"
    seed: int = 0
    timeout: float = 60.0


@dataclass
class Outcome:
    """A claim's verdict with the layer records it was computed from."""

    claim: Claim
    verdict: Verdict
    evidence: str
    records: dict[str, Any] = field(default_factory=dict)
    disagreement: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.claim.id,
            "seed": self.claim.seed,
            "quote": self.claim.quote,
            "statement": self.claim.statement,
            "kind": self.claim.kind,
            "verdict": self.verdict.value,
            "evidence": self.evidence,
            "disagreement": self.disagreement,
            "seconds": self.seconds,
        }
        for layer in LAYERS:
            rec = self.records.get(layer)
            if rec is None:
                d[layer] = {"status": "absent" if self.claim.layers()[layer] is None else "not run"}
            elif isinstance(rec, dict):
                d[layer] = rec
            else:
                d[layer] = rec.to_json()
        return d


def _counterexamples(symbolic, search, numeric) -> list[str]:
    found = []
    if isinstance(symbolic, Proof) and symbolic.outcome == "refuted":
        found.append("symbolic counterexample")
    if isinstance(symbolic, Proof) and symbolic.condition and symbolic.counterexample:
        found.append("symbolic counterexample")
    if isinstance(search, SearchResult) and search.status == "found" and search.rechecked:
        found.append("search witness (re-checked)")
    if isinstance(numeric, NumericResult) and numeric.status == "violated":
        found.append("numeric violation beyond tolerance")
    return found


def decide(claim: Claim, symbolic=None, search=None, numeric=None) -> tuple[Verdict, str, str | None]:
    """Compute ``(verdict, one line of evidence, disagreement or None)`` from layer records.

    Records that are ``None`` or plain dicts (a layer that errored) carry no evidence.
    """
    if claim.kind == "empirical":
        if isinstance(numeric, NumericResult) and numeric.status in ("supported", "unsupported"):
            cmp = ">=" if numeric.status == "supported" else "<"
            line = (f"{numeric.statistic} = {numeric.value:.4g} {cmp} threshold {numeric.threshold:g} "
                    f"over {numeric.networks} networks")
            holds = {name: c["value"] for name, c in (numeric.details.get("conditions") or {}).items()
                     if c.get("status") == "supported"}
            if numeric.status == "unsupported" and holds:
                where = "; ".join(f"{name}: {v:.4g}" for name, v in holds.items())
                return Verdict.CONDITIONAL, f"{line}; supported under {where}", None
            return Verdict(numeric.status), line, None
        return Verdict.OPEN, "no numeric statistic yet", None

    if claim.form == "exists":
        return _decide_exists(symbolic, search)

    if isinstance(search, SearchResult) and search.status == "found" and search.rechecked is False:
        return (
            Verdict.OPEN,
            "search witness failed its independent re-check",
            f"search '{search.name}' reported a witness that the exact re-check rejects",
        )

    cex = _counterexamples(symbolic, search, numeric)
    proof = symbolic if isinstance(symbolic, Proof) else None
    proved = proof is not None and proof.outcome == "proved"
    if proved and not proof.condition and cex:
        return (
            Verdict.OPEN,
            "proof and counterexample disagree",
            f"symbolic layer proved the claim ({proof.generality}) but found: {', '.join(cex)}",
        )
    if proved and proof.condition:
        if cex:
            return (
                Verdict.CONDITIONAL,
                f"true only if {proof.condition}; bare form refuted ({'; '.join(cex)})",
                None,
            )
        return Verdict.OPEN, f"proved under '{proof.condition}', but no counterexample to the bare form", None
    if proved:
        if not proof.general:
            return Verdict.OPEN, f"proved only for {proof.generality}", None
        tail = ""
        if isinstance(numeric, NumericResult) and numeric.status == "consistent":
            tail = f"; numeric max error {numeric.value:.2e} <= tol {numeric.tolerance:.1e} on {numeric.networks} networks"
        return Verdict.TRUE, f"proved ({proof.generality}){tail}", None
    if cex:
        return Verdict.FALSE, f"refuted by {'; '.join(cex)}", None
    if isinstance(numeric, NumericResult) and numeric.status == "consistent":
        return Verdict.OPEN, "numerically consistent but not proved", None
    return Verdict.OPEN, "no layer has settled it yet", None


def _decide_exists(symbolic, search):
    """An existence claim is proved by a witness that passes the independent exact re-check."""
    if isinstance(search, SearchResult) and search.status == "found":
        if search.rechecked:
            return Verdict.TRUE, f"witness found by search '{search.name}' and re-checked exactly ({search.bounds})", None
        return (Verdict.OPEN, "search witness failed its independent re-check",
                f"search '{search.name}' reported a witness that the exact re-check rejects")
    if isinstance(symbolic, Proof) and symbolic.outcome == "proved":
        return Verdict.TRUE, f"constructive proof ({symbolic.generality})", None
    if isinstance(search, SearchResult) and search.status == "none":
        return Verdict.OPEN, f"no witness within the bounds {search.bounds} (UNSAT)", None
    return Verdict.OPEN, "no witness yet", None


def _run_layer(claim: Claim, layer: str, config: NumericConfig):
    link = claim.layers()[layer]
    if link is None:
        return None
    fn = resolve(link)
    if layer == "numeric":
        return fn(networks=config.networks, device=config.device, seed=config.seed)
    if layer == "search":
        return fn(seed=config.seed, timeout=config.timeout)
    return fn()


def verify(
    claim: Claim | str,
    layers: Iterable[str] = LAYERS,
    config: NumericConfig = NumericConfig(),
) -> Outcome:
    """Run the chosen layers on one claim and compute its verdict.

    A layer that raises is recorded as ``{"status": "error", "error": ...}`` and carries no
    evidence, so the verdict cannot come out ``true`` by accident.
    """
    claim = get_claim(claim) if isinstance(claim, str) else claim
    records: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for layer in layers:
        t0 = time.perf_counter()
        try:
            rec = _run_layer(claim, layer, config)
        except Exception as exc:  # a crashing layer is reported, never a silent pass
            rec = {
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=4),
            }
        seconds[layer] = round(time.perf_counter() - t0, 4)
        if rec is not None:
            records[layer] = rec
    verdict, evidence, disagreement = decide(
        claim, records.get("symbolic"), records.get("search"), records.get("numeric")
    )
    return Outcome(claim, verdict, evidence, records, disagreement, seconds)


def verify_many(ids: Iterable[str] | None = None, layers=LAYERS, config=NumericConfig()):
    """Yield :class:`Outcome` for each claim ID (all claims by default), in catalogue order."""
    claims = [get_claim(i) for i in ids] if ids else list(CLAIMS)
    for claim in claims:
        yield verify(claim, layers, config)
