"""The built-in claims, one module per claim family, imported in the order of the project's CLAIMS.md."""

from . import permutation, initialisation, subspace, dnfa, hessian  # noqa: F401  (each registers its claims)
