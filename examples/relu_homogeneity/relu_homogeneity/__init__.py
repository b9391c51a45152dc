"""Example nnclaims plug-in: the claims live in :mod:`relu_homogeneity.claims`."""
