r"""The catalogue: one registry of claims, the same for the built-in ones and a user's.

A :class:`Claim` ties together everything the suite knows about one claim: its ID, the source and the quote
it comes from, the statement, links to its symbolic proof, its search and its numeric check, the
:class:`Mutation`\ s that must break those checks, and (for an empirical claim) the :class:`Preregistration`
of its statistic.  :func:`register` adds a claim; :func:`claims` lists them in registration order: the
built-in claims (:mod:`nnclaims.proofs.claims`, in the order of the project's ``CLAIMS.md``), then plug-ins
from the ``nnclaims.claims`` entry-point group, then modules loaded with :func:`load_claims_module`
(``--claims`` on the command line).  The command line, the pytest run and the report all read
:func:`claims`; nothing else lists claims.  The data model and the registry itself are
:mod:`nnclaims.proofs.registry`'s (a floor below: the built-in claims' modules import it, this module imports
them); every name of it is importable from here too.

Links are callables or ``"package.module:function"`` strings (imported when first used, so that listing the
claims does not import torch).  ``established`` is the last verdict the suite computed for a claim: a
regression guard read only by the tests, never an input to a verdict.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Callable

from .registry import (  # noqa: F401  (the catalogue's public face: every name of the registry, and _REGISTRY)
    _REGISTRY, ENTRY_POINT_GROUP, ID_PATTERN, VERDICTS, Claim, ClaimRegistrationError, Kind, Link, Mutation,
    Preregistration, UnknownClaimError, claims, empirical_family, get_claim, load_plugins, register, replaced)

__all__ = ["Claim", "Mutation", "Preregistration", "empirical_family", "register", "claims", "get_claim", "resolve", "CLAIMS",
           "SEEDS", "UnknownClaimError", "ClaimRegistrationError", "load_plugins", "load_claims_module",
           "replaced", "seed_text", "VERDICTS", "ENTRY_POINT_GROUP"]

SEEDS = {
    "subspace": "000_e17f2a13b7d88bd0.txt",
    "perm": "001_5c5d71341f241ce8.txt",
    "dnfa": "002_e9420a553cf0c538.txt",
    "hessian": "003_df2e47d74155d2f7.txt",
}


def seed_text(name: str) -> str:
    """The text of a seed document shipped with the package (``proofs/seeds/``), or of its ``CLAIMS.md``."""
    from importlib.resources import files

    return files("nnclaims.proofs").joinpath("seeds", name).read_text(encoding="utf-8")


def _builtin() -> tuple[Claim, ...]:
    from . import claims as _families  # noqa: F401  (registers the built-in claims, in CLAIMS.md order)

    return tuple(_REGISTRY.values())


CLAIMS: tuple[Claim, ...] = _builtin()
"""The built-in claims, in the order of the project's CLAIMS.md."""


def load_claims_module(spec: str) -> None:
    """Import a module that registers claims: a dotted module path, or a path to a ``.py`` file."""
    try:
        if spec.endswith(".py") or "/" in spec:
            path = Path(spec)
            if not path.is_file():
                raise ClaimRegistrationError(f"--claims {spec}: no such file")
            # one module per file (two files with the same name are two modules); loaded once
            digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
            name = f"nnclaims_user_{re.sub(r'[^0-9a-zA-Z_]', '_', path.stem)}_{digest}"
            if name in sys.modules:
                return
            module_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]  # a file that failed to load is not loaded: the next try fails again
                raise
        else:
            importlib.import_module(spec)
    except ClaimRegistrationError:
        raise
    except Exception as e:
        raise ClaimRegistrationError(f"--claims {spec}: {type(e).__name__}: {e}") from None


def resolve(link: Link) -> Callable:
    """A callable link as it is; ``"package.module:function"`` imported and returned."""
    if callable(link):
        return link
    module, _, name = link.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj

