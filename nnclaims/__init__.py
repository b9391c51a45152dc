"""nnclaims: a verification suite for claims about neural networks.

Three layers check each other: SymPy proofs (:mod:`nnclaims.proofs`), Z3/Hypothesis searches, and PyTorch
cross-checks on trained networks (:mod:`nnclaims.numeric`); verdicts and reports live in
:mod:`nnclaims.reports`.
"""

__version__ = "0.2.0"
