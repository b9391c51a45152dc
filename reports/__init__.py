"""Verdicts, rendering and the ``nnclaims`` command line."""

from .verdict import LAYERS, NumericConfig, Outcome, Verdict, decide, verify, verify_many

__all__ = [
    # verdicts
    "Verdict", "Outcome", "decide",
    # running the layers
    "verify", "verify_many", "NumericConfig", "LAYERS",
]
