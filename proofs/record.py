"""Records that the three layers return: a symbolic proof, a search result, a numeric check.

Every record is a plain frozen dataclass with ``to_json()``; the verdict is computed from these
records in :mod:`reports.verdict` and never stored in them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import sympy as sp

from ._index import canonical as _canonical

__all__ = ["Step", "Proof", "Derivation", "SearchResult", "NumericResult"]

ProofOutcome = Literal["proved", "refuted", "not proved"]
SearchStatus = Literal["found", "none", "unknown"]
NumericStatus = Literal["consistent", "violated", "supported", "unsupported", "error"]


@dataclass(frozen=True)
class Step:
    """One checked step of a derivation: ``lhs = rhs`` (or a fact) and how it was checked."""

    description: str
    latex: str
    check: str
    holds: bool


@dataclass(frozen=True)
class Proof:
    """The symbolic layer's record for one claim.

    ``outcome`` is ``proved`` when every step holds, ``refuted`` when a checked counterexample to
    the claim *as stated* was found, ``not proved`` otherwise.  ``condition`` names a hypothesis
    the seed leaves out; when it is set, ``outcome == "proved"`` means the conditional form is
    proved and ``counterexample`` (if any) refutes the bare form.
    """

    claim_id: str
    statement: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    outcome: ProofOutcome
    generality: str
    general: bool
    condition: str | None = None
    counterexample: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        return self.outcome

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.outcome
        d["steps"] = [asdict(s) for s in self.steps]
        return d


class Derivation:
    """Accumulates checked steps for one claim and closes into a :class:`Proof`.

    Each ``equal`` step asserts ``simplify(lhs - rhs) == 0`` (or exact matrix equality); each
    ``fact`` step records a boolean computed by the caller together with the check it ran.
    A proof is ``proved`` only if every step holds.
    """

    def __init__(self, claim_id: str, statement: str, assumptions: tuple[str, ...] | list[str]):
        self.claim_id = claim_id
        self.statement = statement
        self.assumptions = tuple(assumptions)
        self.steps: list[Step] = []

    def equal(self, description: str, lhs: Any, rhs: Any, *, simplify=sp.simplify) -> bool:
        """Record ``lhs = rhs``; it holds when the simplified difference is exactly zero."""
        if not isinstance(lhs, (sp.MatrixBase, sp.MatrixExpr)):
            lhs, rhs = (_canonical(sp.sympify(x)) for x in (lhs, rhs))
        diff = lhs - rhs
        if isinstance(diff, sp.MatrixBase):
            zero = all(simplify(e) == 0 for e in diff)
        elif isinstance(diff, sp.MatrixExpr):  # matrix-symbol algebra at symbolic size
            zero = isinstance(simplify(diff.doit()), sp.ZeroMatrix)
        else:
            zero = simplify(diff) == 0
        latex = f"{sp.latex(lhs)} = {sp.latex(rhs)}"
        self.steps.append(Step(description, latex, f"{simplify.__name__}(lhs - rhs) == 0", bool(zero)))
        return bool(zero)

    def differ(self, description: str, lhs: Any, rhs: Any) -> bool:
        """Record ``lhs != rhs`` for exact values (a counterexample step): holds when they differ."""
        diff = sp.simplify(lhs - rhs)
        nonzero = (any(e != 0 for e in diff) if isinstance(diff, sp.MatrixBase) else diff != 0)
        latex = f"{sp.latex(lhs)} \\neq {sp.latex(rhs)}"
        self.steps.append(Step(description, latex, "simplify(lhs - rhs) != 0 (exact)", bool(nonzero)))
        return bool(nonzero)

    def fact(self, description: str, latex: str, check: str, holds: bool) -> bool:
        self.steps.append(Step(description, latex, check, bool(holds)))
        return bool(holds)

    @property
    def all_hold(self) -> bool:
        return bool(self.steps) and all(s.holds for s in self.steps)

    def close(
        self,
        *,
        generality: str,
        general: bool,
        refuted: bool = False,
        condition: str | None = None,
        counterexample: dict[str, Any] | None = None,
    ) -> Proof:
        """Close the derivation.

        ``refuted=True`` asks for outcome ``refuted``: it is granted only when every step (the
        counterexample's checks included) holds and a counterexample is attached.
        """
        if refuted:
            outcome = "refuted" if (self.all_hold and counterexample is not None) else "not proved"
        else:
            outcome = "proved" if self.all_hold else "not proved"
        return Proof(
            claim_id=self.claim_id,
            statement=self.statement,
            assumptions=self.assumptions,
            steps=tuple(self.steps),
            outcome=outcome,
            generality=generality,
            general=general,
            condition=condition,
            counterexample=counterexample,
        )


@dataclass(frozen=True)
class SearchResult:
    """The search layer's record: ``found`` (witness re-checked), ``none`` (UNSAT within bounds) or
    ``unknown`` (timeout or no decision).  ``rechecked`` is the independent exact re-check of the
    witness; a ``found`` whose witness fails it is reported as a disagreement, not a counterexample.
    """

    name: str
    status: SearchStatus
    bounds: dict[str, Any]
    witness: dict[str, Any] | None = None
    rechecked: bool | None = None
    seconds: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NumericResult:
    """The numeric layer's record.

    For an identity: ``consistent`` (worst error within ``tolerance``) or ``violated`` (beyond it).
    For an empirical claim: ``supported`` / ``unsupported`` (``statistic`` against ``threshold``).
    """

    claim_id: str
    status: NumericStatus
    statistic: str
    value: float | None
    networks: int
    device: str
    tolerance: float | None = None
    threshold: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    witness: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
