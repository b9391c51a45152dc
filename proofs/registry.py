r"""The claim registry, a floor below the catalogue: the data model of a claim and the one registry it is registered in.

:class:`Claim` (with its :class:`Mutation`\ s and, for an empirical claim, its :class:`Preregistration`),
:func:`register`, and the lookups :func:`claims`, :func:`get_claim` and :func:`empirical_family`.  The built-in
claims' modules (:mod:`nnclaims.proofs.claims`) and the numeric checks that read their own claim's preregistration
import this module; :mod:`nnclaims.proofs.catalogue` imports the built-in claims and is the catalogue's public face
(it re-exports every name here).  Importing any module of ``nnclaims.proofs`` imports the package, and with it the
catalogue, so the built-in claims are registered before any lookup.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, fields
from typing import Any, Callable, Literal, Mapping

__all__ = ["Claim", "Mutation", "Preregistration", "register", "claims", "get_claim", "empirical_family",
           "UnknownClaimError", "ClaimRegistrationError", "load_plugins", "replaced", "VERDICTS", "ENTRY_POINT_GROUP"]

Kind = Literal["identity", "empirical"]
Link = Callable | str | None
VERDICTS = ("true", "false", "conditional", "supported", "unsupported", "open")
ENTRY_POINT_GROUP = "nnclaims.claims"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Mutation:
    """A deliberately broken variant of a claim's checks; running it must change the claim's verdict or the
    status of one of its layers (:mod:`nnclaims.mutation`).

    Either ``target`` (``"package.module:attribute"``) is replaced by ``replacement(original)`` while the
    mutant runs — a wrong step, a flipped sign, an off-by-one layer, an inverted status — or ``changes``
    replaces fields of the claim itself (e.g. its preregistered threshold at ±∞).  ``layers`` are the layers
    re-run under the mutant (default: every layer the claim has).
    """

    name: str
    target: str | None = None
    replacement: Callable[[Any], Any] | None = None
    changes: Mapping[str, Any] | None = None
    layers: tuple[str, ...] | None = None

    def __post_init__(self):
        if (self.target is None) == (self.changes is None):
            raise ClaimRegistrationError(f"mutation {self.name!r}: give either target + replacement or changes")
        if self.target is not None and (":" not in self.target or self.replacement is None):
            raise ClaimRegistrationError(f"mutation {self.name!r}: target must be 'module:attribute' with a replacement")


@dataclass(frozen=True)
class Preregistration:
    """What an empirical claim's numeric check measures and when it counts as support, fixed before the run.

    ``rule`` states how the ``interval`` of the ``statistic`` is compared with ``threshold`` (the verdict needs
    the whole interval above it); ``conditions`` are the only designed conditions under which a ``conditional``
    verdict may be given; ``date`` is the day the commit that set them was made.
    """

    statistic: str
    threshold: float
    rule: str
    date: str
    conditions: tuple[str, ...] = ()
    #: which results were seen before this registration (the exploratory run), in words; "" when none were
    seen_before: str = ""
    #: seed ranges [first, last] of the exploratory run and of the confirmatory run that decides the verdict
    exploratory_seeds: tuple[int, int] | None = None
    confirmatory_seeds: tuple[int, int] | None = None
    #: the rule that fixed the number of networks per condition, naming the effect it detects
    sample_size: str = ""
    #: decisions the check makes before its own, each deciding whether a condition can be evidence (whether its
    #: networks learned, say), by name: a gate several claims share (the same name) is one decision of the family
    gates: tuple[str, ...] = ()

    @property
    def decisions(self) -> int:
        """How many decisions the claim's check makes: one per preregistered condition (one without conditions);
        its gates are counted by :func:`empirical_family`, once however many claims share them."""
        return max(1, len(self.conditions))


@dataclass(frozen=True)
class Claim:
    """One claim: what its source asserts (not what is true) and where its checks live.

    ``kind`` is ``identity`` for a mathematical statement (verdicts true/false/conditional/open) and
    ``empirical`` for a statement about trained networks (supported/unsupported/conditional/open).  ``form``
    is ``forall`` (a witness refutes it) or ``exists`` (a re-checked witness proves it).
    """

    id: str
    quote: str
    statement: str
    source: str = ""
    kind: Kind = "identity"
    form: Literal["forall", "exists"] = "forall"
    proof: Link = None
    search: Link = None
    numeric: Link = None
    mutations: tuple[Mutation, ...] = ()
    preregistered: Preregistration | None = None
    established: str | None = None

    def __post_init__(self):
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise ClaimRegistrationError(f"claim ID {self.id!r} must look like 'family.name' (lower case, digits, -)")
        if self.kind not in ("identity", "empirical") or self.form not in ("forall", "exists"):
            raise ClaimRegistrationError(f"{self.id}: kind must be identity|empirical and form forall|exists")
        if self.established is not None and self.established not in VERDICTS:
            raise ClaimRegistrationError(f"{self.id}: established must be one of {', '.join(VERDICTS)}")
        if self.kind == "empirical" and self.numeric is not None and self.preregistered is None:
            raise ClaimRegistrationError(f"{self.id}: an empirical claim states its statistic and threshold "
                                         "(preregistered=Preregistration(...)) before any run")
        for link in (self.proof, self.search, self.numeric):
            if link is not None and not (callable(link) or (isinstance(link, str) and ":" in link)):
                raise ClaimRegistrationError(f"{self.id}: a layer link must be a callable or 'module:function'")
        object.__setattr__(self, "mutations", tuple(self.mutations))
        names = {f.name for f in fields(Claim)}
        for m in self.mutations:
            bad = sorted(set(m.changes or ()) - names)
            if bad:
                raise ClaimRegistrationError(f"{self.id}: mutation {m.name!r} changes unknown field(s) {', '.join(bad)}")

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def layers(self) -> dict[str, Link]:
        return {"symbolic": self.proof, "search": self.search, "numeric": self.numeric}


class UnknownClaimError(KeyError):
    """Raised for an ID that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0])


class ClaimRegistrationError(ValueError):
    """A claim or plug-in that cannot be registered (bad ID, duplicate, malformed link, failing import)."""


_REGISTRY: dict[str, Claim] = {}
_PLUGINS_LOADED = False


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry and return it.  The same claim registered twice (a module imported again)
    is a no-op; a different claim under a registered ID is an error."""
    if not isinstance(claim, Claim):
        raise ClaimRegistrationError(f"register() takes a Claim, not {type(claim).__name__}")
    old = _REGISTRY.get(claim.id)
    if old is not None and old != claim:
        raise ClaimRegistrationError(f"claim ID {claim.id!r} is already registered")
    _REGISTRY[claim.id] = claim
    return claim


def load_plugins() -> list[str]:
    """Import every ``nnclaims.claims`` entry point once (a module that registers claims, or a callable that
    does); returns their names.  A plug-in that fails to import raises :class:`ClaimRegistrationError`."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return []
    _PLUGINS_LOADED = True
    from importlib.metadata import entry_points

    names = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, type(sys)):
                obj()
        except ClaimRegistrationError:
            raise
        except Exception as e:
            raise ClaimRegistrationError(f"plug-in {ep.name!r} ({ep.value}) failed to load: "
                                         f"{type(e).__name__}: {e}") from None
        names.append(ep.name)
    return names


def claims(*, plugins: bool = True) -> tuple[Claim, ...]:
    """Every registered claim, in registration order (built-in claims first); ``plugins`` loads the
    entry-point plug-ins first."""
    if plugins:
        load_plugins()
    return tuple(_REGISTRY.values())


def empirical_family(alpha: float = 0.05) -> dict:
    """The family of decisions one run makes: every preregistered decision of every registered empirical claim,
    and every gate (:attr:`Preregistration.gates`: a decision on whether a condition can be evidence), a gate
    shared by several claims once.

    Each decision's interval is built at the Bonferroni level ``1 − alpha/size`` (so any false ``supported`` in a
    run, or any false gate that lets a condition count, has probability at most ``alpha``), whatever subset of
    claims a command verifies.
    ``{"method", "alpha", "size", "level", "members": {claim ID: decisions}, "gates": [names]}``.
    """
    pres = {c.id: c.preregistered for c in claims() if c.kind == "empirical" and c.preregistered is not None}
    members = {cid: pre.decisions for cid, pre in pres.items()}
    gates = sorted({g for pre in pres.values() for g in pre.gates})
    size = max(1, sum(members.values()) + len(gates))
    return {"method": "Bonferroni", "alpha": alpha, "size": size, "level": 1 - alpha / size, "members": members,
            "gates": gates}


def get_claim(claim_id: str) -> Claim:
    """Return the registered claim with this ID or raise :class:`UnknownClaimError` with a one-line message."""
    if claim_id not in _REGISTRY:
        load_plugins()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        raise UnknownClaimError(
            f"unknown claim ID {claim_id!r} (run 'nnclaims list' for the {len(_REGISTRY)} IDs)"
        ) from None


class replaced:
    """Context manager: the registry holds ``claim`` under its ID for the duration (used by mutations that
    change a claim's fields, so that checks reading their claim's preregistration see the mutant)."""

    def __init__(self, claim: Claim):
        self.claim = claim

    def __enter__(self) -> Claim:
        self.old = _REGISTRY.get(self.claim.id)
        _REGISTRY[self.claim.id] = self.claim
        return self.claim

    def __exit__(self, *exc):
        if self.old is None:
            del _REGISTRY[self.claim.id]
        else:
            _REGISTRY[self.claim.id] = self.old
