"""Provenance of a run: versions, device, seeds, command line, time."""

from __future__ import annotations

import datetime as _dt
import platform
from dataclasses import asdict
from importlib import metadata


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def collect(*, config, layers, argv) -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in ("torch", "sympy", "z3-solver", "numpy", "hypothesis")},
        "config": asdict(config),
        "layers": list(layers),
        "argv": list(argv),
        "utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
