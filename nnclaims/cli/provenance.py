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


def _threads() -> int | None:
    """PyTorch's intra-op threads: reductions split across threads add in another order, so the last bits of
    float results can depend on it (docs/reading-a-report.md, "Reproducing the reference")."""
    import sys

    torch = sys.modules.get("torch")  # only when the run imported it: provenance never imports torch itself
    return torch.get_num_threads() if torch is not None else None


def collect(*, config, layers, argv) -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in ("nnclaims", "torch", "sympy", "z3-solver", "numpy", "hypothesis",
                                              "matplotlib")},
        "threads": _threads(),
        "config": asdict(config),
        "layers": list(layers),
        "argv": list(argv),
        "utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
