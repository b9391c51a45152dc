"""Symbolic proofs (SymPy), exact searches (Z3) and the claim catalogue."""

from .catalogue import CLAIMS, Claim, Mutation, Preregistration, claims, get_claim, register
from .record import Chain, Derivation, NumericResult, Proof, SearchResult

__all__ = [
    # catalogue
    "CLAIMS", "Claim", "Mutation", "Preregistration", "claims", "get_claim", "register",
    # records
    "Proof", "Derivation", "Chain", "SearchResult", "NumericResult",
]
