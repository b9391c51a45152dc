"""Symbolic proofs (SymPy), exact searches (Z3) and the claim catalogue."""

from .catalogue import CLAIMS, Claim, get_claim
from .record import NumericResult, Proof, SearchResult

__all__ = [
    # catalogue
    "CLAIMS", "Claim", "get_claim",
    # records
    "Proof", "SearchResult", "NumericResult",
]
