"""Shared fixtures: the seeds folder, a session cache of verified claims, GPU skip."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
CLAIMS_MD = ROOT.parent / "shared" / "CLAIMS.md"

# CPU-sized numeric setting for the per-claim tests
NETWORKS = 4


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not present at {SEEDS}")
    return SEEDS


@pytest.fixture(scope="session")
def claims_md() -> str:
    if not CLAIMS_MD.is_file():
        pytest.skip(f"CLAIMS.md not present at {CLAIMS_MD}")
    return CLAIMS_MD.read_text()


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


