"""Curvature benchmarks (``python -m nnclaims.reports.bench curvature``): figures side by side, with peak memory.

``small_nets``: Hessian + Gauss–Newton of many small networks at once (``vmap`` over networks of the
matrix-free products, :func:`nnclaims.numeric.curvature.dense`) against ``torch.func.hessian`` (plus the
Jacobian for the Gauss–Newton term) looped over the networks one at a time (a few timed, scaled up, and marked so).
"""

from __future__ import annotations

import time

import torch
from torch.func import vmap

from nnclaims.numeric.curvature import Arch, dense, forward, init_theta, loss

__all__ = ["small_nets"]

F64 = torch.float64


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str):
    _sync(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - t0


def small_nets(networks: int = 1024, device: str = "cpu", loop_networks: int = 32,
               arch: Arch = Arch(d=3, widths=(8, 8), q=2)) -> dict:
    """Seconds for H and G of ``networks`` networks (``arch``, 16 points, float64): vmapped products against
    ``torch.func.hessian`` + ``jacrev`` looped (``loop_networks`` timed and scaled); returns the figures."""
    g = torch.Generator().manual_seed(0)
    th = init_theta(arch, networks, g).to(device)
    X = torch.randn(networks, 16, arch.d, generator=g, dtype=F64).to(device)
    Y = torch.randn(networks, 16, arch.q, generator=g, dtype=F64).to(device)
    together = vmap(lambda t, x, y: dense(t, x, y, arch, networks=networks))

    def loop(k):
        for i in range(k):
            torch.func.hessian(lambda t: loss(t, X[i], Y[i], arch))(th[i])
            J = torch.func.jacrev(lambda t: forward(t, X[i], arch).reshape(-1))(th[i])
            J.T @ J

    together(th[:2], X[:2], Y[:2]), loop(1)  # warm-up, not timed
    _, t_vm = _timed(lambda: together(th, X, Y), device)
    k = min(loop_networks, networks)
    _, t_lp = _timed(lambda: loop(k), device)
    t_lp *= networks / k
    print(f"Hessian + Gauss–Newton of {networks} networks {arch.d}-{'-'.join(map(str, arch.widths))}-{arch.q} "
          f"(P = {arch.P}, 16 points, float64) on {device}: vmapped products {t_vm:.3f} s, looped torch.func.hessian "
          f"{t_lp:.3f} s ({k} timed, x{networks / k:g}), speed-up {t_lp / t_vm:.1f}x")
    return {"networks": networks, "P": arch.P, "vmapped_s": t_vm, "looped_s": t_lp, "looped_timed": k}
