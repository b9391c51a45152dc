"""nnclaims: a verification suite for claims about neural networks.

Three layers check each other: SymPy proofs (:mod:`nnclaims.proofs`), Z3/Hypothesis searches, and PyTorch
cross-checks on trained networks (:mod:`nnclaims.numeric`); the verdict table is :mod:`nnclaims.verdict`, the
reports are rendered by :mod:`nnclaims.reports`, the command line is :mod:`nnclaims.cli` and the benchmarks are
:mod:`nnclaims.bench`.  The names below are the public API for users' own claims (docs/adding-a-claim.md, "Adding your own
claim"); they are imported on first use, so ``import nnclaims`` (and the pytest plugin) stays light.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

_API = {
    # the registry
    "Claim": "nnclaims.proofs.catalogue", "Mutation": "nnclaims.proofs.catalogue",
    "Preregistration": "nnclaims.proofs.catalogue", "register": "nnclaims.proofs.catalogue",
    "claims": "nnclaims.proofs.catalogue", "get_claim": "nnclaims.proofs.catalogue",
    # records the layers return
    "Derivation": "nnclaims.proofs.record", "Proof": "nnclaims.proofs.record", "SearchResult": "nnclaims.proofs.record",
    "NumericResult": "nnclaims.proofs.record", "sound_rewrite": "nnclaims.proofs.record", "equal": "nnclaims.proofs.record",
    # numeric helpers
    "tolerance": "nnclaims.numeric.tolerance", "rel_err": "nnclaims.numeric.tolerance",
    "identity_result": "nnclaims.numeric.tolerance", "negative_control": "nnclaims.numeric.tolerance",
    "holding_control": "nnclaims.numeric.tolerance", "as_stated_from": "nnclaims.numeric.tolerance",
    "median_with_interval": "nnclaims.numeric.statistics", "judge": "nnclaims.numeric.statistics",
    "median_interval": "nnclaims.numeric.statistics", "judge_median": "nnclaims.numeric.statistics",
    "family_level": "nnclaims.numeric.statistics", "networks_for": "nnclaims.numeric.statistics",
    "one_rule": "nnclaims.numeric.statistics",
    "Zoo": "nnclaims.trained", "train_zoo": "nnclaims.trained",
    # verdicts
    "verify": "nnclaims.verdict", "Verdict": "nnclaims.verdict", "decide": "nnclaims.verdict",
    "run_mutation": "nnclaims.mutation",
}

__all__ = sorted(_API) + ["__version__"]


SUBMODULES = ("caching", "strategies", "testing", "trained", "proofs", "numeric", "reports", "verdict", "mutation",
              "cli", "bench")


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in SUBMODULES:
        return importlib.import_module(f"nnclaims.{name}")
    raise AttributeError(f"module 'nnclaims' has no attribute {name!r}")


def __dir__():
    return __all__
