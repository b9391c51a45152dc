"""Shared fixtures: a session cache of verified claims; the processes of a session (Linux /proc)."""

from __future__ import annotations

import os

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




def _session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes in session ``sid``, read from Linux /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(entry))
    return pids


@pytest.fixture
def session_processes():
    """``session_processes(sid)``: the live processes of session ``sid`` (tests that Ctrl-C kills workers)."""
    return _session_processes
