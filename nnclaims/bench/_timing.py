"""Timing on a device: wait for the GPU's queued work, then read the clock (shared by the benchmark modules)."""

from __future__ import annotations

import time


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str):
    _sync(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - t0
