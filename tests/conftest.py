"""Shared fixtures: a session cache of verified claims."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# CPU-sized numeric setting for the per-claim tests
NETWORKS = 4


@pytest.fixture(scope="session")
def outcomes():
    """Verify each claim at most once per session (all layers, CPU, small zoo)."""
    from nnclaims.reports.verdict import NumericConfig, verify

    cache = {}
    config = NumericConfig(networks=NETWORKS, device="cpu", seed=0)

    def get(claim):
        if claim.id not in cache:
            cache[claim.id] = verify(claim, config=config)
        return cache[claim.id]

    return get


