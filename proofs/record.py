"""Records that the three layers return: a symbolic proof, a search result, a numeric check.

Every record is a plain frozen dataclass with ``to_json()``; the verdict is computed from these
records in :mod:`nnclaims.verdict` and never stored in them.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal

import sympy as sp

from . import _index
from ._index import canonical as _canonical

__all__ = ["AsStated", "Step", "Proof", "Derivation", "Chain", "equal", "sound_rewrite", "doit", "SearchResult", "NumericResult"]

ProofOutcome = Literal["proved", "refuted", "not proved"]
SearchStatus = Literal["found", "none", "unknown"]
NumericStatus = Literal["consistent", "violated", "supported", "unsupported", "error"]


StepRole = Literal["derives", "assumes", "fact", "refutes"]


@dataclass(frozen=True)
class Step:
    """One checked step of a derivation and how it was checked.

    ``role`` says what the step does: ``derives`` (an equality in a chain: the previous expression equals
    the next), ``assumes`` (the next expression is the previous one under a stated hypothesis), ``fact``
    (a computed boolean, e.g. a rank test or a Z3 answer) or ``refutes`` (a checked counterexample: ``holds``
    means the counterexample is confirmed, so the step refutes the bare claim).
    """

    description: str
    latex: str
    check: str
    holds: bool
    role: StepRole = "derives"


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


def _is_matrix(x) -> bool:
    return isinstance(x, (sp.MatrixBase, sp.MatrixExpr))


def equal(a: Any, b: Any, via: Callable | None = None) -> bool:
    """Exact equality of two SymPy expressions or matrices, after the rewrite ``via`` (if given) on both.

    Scalars are compared after renaming bound summation variables (:func:`proofs._index.canonical`), so
    alpha-equivalent sums agree; the difference must simplify to exactly 0.  Explicit matrices must agree
    entry by entry; matrix expressions at symbolic size must simplify to the zero matrix.
    """
    if via is not None:
        a, b = via(a), via(b)
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            return False
        return all(sp.simplify(_canonical(sp.sympify(x)) - _canonical(sp.sympify(y))) == 0 for x, y in zip(a, b))
    if isinstance(a, sp.MatrixExpr) or isinstance(b, sp.MatrixExpr):
        return isinstance(sp.simplify((a - b).doit()), sp.ZeroMatrix)
    return sp.simplify(_canonical(sp.sympify(a)) - _canonical(sp.sympify(b))) == 0


SOUND_REWRITES: dict[Callable, str] = {}
"""Operations whose result equals their input by construction, with the reason (checked by their own tests).
A chain step made by one of them holds without a further check; any other operation is checked with
:func:`equal`."""


def sound_rewrite(reason: str):
    """Register a rewrite as equality-preserving (``reason`` says why), for :meth:`Chain.by`."""
    def register(fn):
        SOUND_REWRITES[fn] = reason
        return fn
    return register


for _fn, _why in ((sp.expand, "algebraic expansion"), (sp.expand_mul, "distributivity"),
                  (sp.factor, "factorisation"), (sp.together, "common denominator"), (sp.cancel, "cancellation"),
                  (sp.powsimp, "power laws"), (sp.simplify, "SymPy simplification")):
    SOUND_REWRITES[_fn] = _why


def _doit(expr):
    """Evaluate unevaluated objects (derivatives, sums of deltas, matrix products)."""
    return expr.doit()


SOUND_REWRITES[_doit] = "evaluation of unevaluated derivatives, sums and products"
doit = _doit
SOUND_REWRITES[_index.normalise] = ("Kronecker-delta sums evaluated; a range guard dropped only when the index "
                                    "ranges imply it; δ(π(a), π(b)) = δ(a, b) for a bijection π")
SOUND_REWRITES[_index.reindex] = "Σ_j f(π(j)) = Σ_u f(u) for a bijection π of the summation range"
SOUND_REWRITES[_index.canonical] = "renaming bound summation variables"


def _name(op: Callable) -> str:
    if isinstance(op, functools.partial):
        return _name(op.func)
    return getattr(op, "__name__", type(op).__name__).lstrip("_")


def _show(arg) -> str:
    return "ranges" if isinstance(arg, _index.Ranges) else sp.sstr(arg)


class Chain:
    r"""A chain of equalities :math:`e_0 = e_1 = \dots = e_n`: each step's left side is the previous step's
    right side, so no step has sides written separately from the chain.

    Start it with :meth:`Derivation.chain` at an expression computed from the definitions, then either
    compute the next expression from the previous one (:meth:`by`) or state it (:meth:`then`, checked with
    :func:`equal`).  :meth:`assuming` substitutes a stated hypothesis (a conditional step).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> d = Derivation("demo", "(x+1)^2 = x^2+2x+1", [])
    >>> c = d.chain((x + 1) ** 2).by("expand the square", sp.expand).then(x ** 2 + 2 * x + 1, "the claimed form")
    >>> [s.holds for s in d.steps], c.expr == x ** 2 + 2 * x + 1
    ([True, True], True)
    >>> _ = d.chain((x + 1) ** 2).then(x ** 2 + 1, "a wrong form")
    >>> d.steps[-1].holds
    False
    """

    def __init__(self, derivation: "Derivation", start: Any):
        self._d = derivation
        self.expr = start

    def _step(self, description: str, new: Any, check: str, holds: bool, role: StepRole = "derives",
              rel: str = "=") -> "Chain":
        latex = f"{sp.latex(self.expr)} {rel} {sp.latex(new)}"
        self._d.steps.append(Step(description, latex, check, bool(holds), role))
        self.expr = new
        return self

    def by(self, description: str, op: Callable, *args, **kwargs) -> "Chain":
        """Next expression ``op(previous, *args)``.  Holds by construction for a registered sound rewrite
        (:data:`SOUND_REWRITES`); otherwise ``previous = next`` is checked with :func:`equal`."""
        new = op(self.expr, *args, **kwargs)
        shown = ", ".join(["previous"] + [_show(a) for a in args])
        base = op.func if isinstance(op, functools.partial) else op
        if base in SOUND_REWRITES:
            return self._step(description, new, f"next = {_name(op)}({shown}): {SOUND_REWRITES[base]}", True)
        return self._step(description, new, f"next = {_name(op)}({shown}); simplify(previous − next) == 0",
                          equal(self.expr, new))

    def then(self, stated: Any, description: str, *, via: Callable | None = None) -> "Chain":
        """Next expression stated; holds when ``previous = stated`` (:func:`equal`, after ``via`` on both)."""
        check = "simplify(previous − next) == 0" if via is None else f"{_name(via)}(previous) = {_name(via)}(next)"
        return self._step(description, stated, check, equal(self.expr, stated, via))

    def assuming(self, description: str, substitution: dict) -> "Chain":
        """Substitute a hypothesis of the claim (e.g. ℓ' = 0 at an optimum): a conditional step."""
        new = self.expr.subs(substitution) if not isinstance(self.expr, sp.MatrixBase) else self.expr.subs(substitution)
        hyp = ", ".join(f"{sp.latex(k)} = {sp.latex(v)}" for k, v in substitution.items())
        return self._step(description, new, f"substitute the hypothesis {hyp}", True, "assumes",
                          rf"\overset{{{hyp}}}{{=}}")


class Derivation:
    """Accumulates checked steps for one claim and closes into a :class:`Proof`.

    Equalities are proved as chains (:meth:`chain`); :meth:`fact` records a boolean computed by the caller
    together with the check it ran; :meth:`differ` records a counterexample (two computed values differ).
    A proof is ``proved`` only if every step holds.
    """

    def __init__(self, claim_id: str, statement: str, assumptions: tuple[str, ...] | list[str]):
        self.claim_id = claim_id
        self.statement = statement
        self.assumptions = tuple(assumptions)
        self.steps: list[Step] = []

    def chain(self, start: Any) -> Chain:
        """A chain of equalities starting at ``start`` (computed from the definitions)."""
        return Chain(self, start)

    def differ(self, description: str, lhs: Any, rhs: Any) -> bool:
        """Record a counterexample ``lhs ≠ rhs`` for exact values computed from it: holds when they differ."""
        diff = sp.simplify(lhs - rhs)
        nonzero = (any(e != 0 for e in diff) if isinstance(diff, sp.MatrixBase) else diff != 0)
        latex = f"{sp.latex(lhs)} \\neq {sp.latex(rhs)}"
        self.steps.append(Step(description, latex, "simplify(lhs - rhs) != 0 (exact)", bool(nonzero), "refutes"))
        return bool(nonzero)

    def fact(self, description: str, latex: str, check: str, holds: bool, *, refutes: bool = False) -> bool:
        """A boolean the caller computed (rank test, Z3 answer, another claim's proof), with the check it ran."""
        self.steps.append(Step(description, latex, check, bool(holds), "refutes" if refutes else "fact"))
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
    ``resources``: what the search used of its deterministic limit (Z3 resource units, or random draws),
    the same under any load, where ``seconds`` is not.
    """

    name: str
    status: SearchStatus
    bounds: dict[str, Any]
    witness: dict[str, Any] | None = None
    rechecked: bool | None = None
    seconds: float | None = None
    note: str = ""
    resources: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


AsStated = Literal["holds", "violated", "not checked"]


@dataclass(frozen=True)
class NumericResult:
    """The numeric layer's record.

    ``status`` is the check of what the suite holds true.  For an identity: ``consistent`` (worst error within
    ``tolerance``) or ``violated`` (beyond it) — of the statement for a true claim, of the conditional form for a
    conditional one.  For an empirical claim: ``supported`` / ``unsupported`` (``statistic``, with its
    ``interval``, against the claim's preregistered ``threshold``).

    ``as_stated`` is the numeric layer's own reading of the claim *as the seed states it*, on every instance the
    check ran (random networks, and float64 replays of the symbolic and search counterexamples): ``holds``,
    ``violated`` (some instance violates it) or ``not checked``.  The verdict compares it with the other layers
    in both directions (:func:`nnclaims.verdict.decide`).

    ``control`` shows the statistic can come out the other way: for a check that finds an identity holding, the
    same statistic on a case built to violate it (a wrong permutation, a non-optimum, a non-isotropic G); for a
    check that finds a violation, a case where the identity holds.  ``{"description", "value", "fails"}``, where
    ``fails`` means the control came out against the check's finding, as it must.  A record whose control does
    not fail carries no evidence.
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
    as_stated: AsStated = "not checked"
    control: dict[str, Any] | None = None
    interval: tuple[float, float] | None = None
    #: how the interval was built and the level it achieves at this n (not the level asked for)
    ci_method: str | None = None
    ci_level: float | None = None
    #: the multiple-comparison family the interval's level was corrected for (``catalogue.empirical_family``)
    family: dict[str, Any] | None = None

    @property
    def control_fails(self) -> bool | None:
        """Whether the negative control failed as it must (None: no control)."""
        return None if self.control is None else bool(self.control.get("fails"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
