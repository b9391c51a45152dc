"""Curvature benchmarks (``python -m nnclaims.reports.bench curvature``): figures side by side, with peak memory.

``small_nets``: Hessian + Gauss–Newton of many small networks at once (``vmap`` over networks of the
matrix-free products, :func:`nnclaims.numeric.curvature.dense`) against ``torch.func.hessian`` (plus the
Jacobian for the Gauss–Newton term) looped over the networks one at a time (a few timed, scaled up, and marked so).
``top_k_large``: the top-k Hessian eigenvalues of a network of about a million parameters, our Lanczos on
forward-over-reverse products against curvlinops' ``HessianLinearOperator`` handed to SciPy's ``eigsh`` (ARPACK,
how curvlinops' documentation computes them); each in its own process, so that the peak resident memory of each
is its own (the baseline process that only builds the network and the data is reported too).
"""

from __future__ import annotations

import time

import torch
from torch.func import vmap

from nnclaims.numeric.curvature import Arch, dense, forward, init_theta, loss

from .bench import _sync, _timed

__all__ = ["small_nets", "top_k_large", "run"]

F64 = torch.float64


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


LARGE = Arch(d=256, widths=(1024, 512, 256), q=10, activation="tanh")  # P = 921,866


def _large_problem(arch: Arch, n: int, device: str):
    g = torch.Generator().manual_seed(0)
    theta = init_theta(arch, 1, g)[0].to(device)
    X = torch.randn(n, arch.d, generator=g, dtype=F64).to(device)
    Y = torch.randn(n, arch.q, generator=g, dtype=F64).to(device)
    return theta, X, Y


def _rss_mib(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) of this process, MiB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2 ** 10
    raise OSError(f"{field} not in /proc/self/status")


def _reset_peak(device: str) -> float:
    """Reset the peak counter and return the current use (MiB)."""
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated() / 2 ** 20
    with open("/proc/self/clear_refs", "w") as fh:  # "5": reset the peak resident set size to the current one
        fh.write("5")
    return _rss_mib("VmRSS")


def _peak(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return _rss_mib("VmHWM")


def _child(method: str, arch: Arch, n: int, k: int, device: str, queue) -> None:
    theta, X, Y = _large_problem(arch, n, device)
    start = _reset_peak(device)
    t0 = time.perf_counter()
    if method == "baseline":
        values, matvecs = [], 0
    elif method == "nnclaims":
        from nnclaims.numeric.curvature import hvp, lanczos

        count = [0]

        def mv(v):
            count[0] += 1
            return hvp(theta, v, X, Y, arch)

        out = lanczos(mv, arch.P, k, steps=120, tol=1e-10, device=device)
        values, matvecs = out["top"], count[0]
    else:
        import numpy as np
        from curvlinops import HessianLinearOperator
        from scipy.sparse.linalg import eigsh

        from nnclaims.numeric.curvature import to_sequential

        model = to_sequential(theta, arch)
        op = HessianLinearOperator(model, torch.nn.MSELoss(reduction="sum"), list(model.parameters()), [(X, Y)])
        sp_op = op.to_scipy()
        count = [0]
        matvec = sp_op.matvec

        def counted(v):
            count[0] += 1
            return matvec(v)

        sp_op.matvec = counted
        vals = eigsh(sp_op, k=k, which="LA", return_eigenvectors=False, tol=1e-10)
        values, matvecs = (0.5 * np.sort(vals)[::-1]).tolist(), count[0]  # MSELoss(sum) = 2·½Σ
    _sync(device)
    queue.put({"method": method, "seconds": time.perf_counter() - t0, "start_mib": start, "peak_mib": _peak(device),
               "top": values, "matvecs": matvecs})


def top_k_large(k: int = 5, n: int = 256, device: str = "cpu", arch: Arch = LARGE) -> list[dict]:
    """Each method in a fresh process (spawn): seconds, products, peak memory and the top-k eigenvalues."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    rows = []
    for method in ("baseline", "nnclaims", "curvlinops"):
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(method, arch, n, k, device, q))
        p.start()
        rows.append(q.get())
        p.join()
    print(f"top-{k} Hessian eigenvalues, MLP {arch.d}-{'-'.join(map(str, arch.widths))}-{arch.q} {arch.activation} "
          f"(P = {arch.P:,}), {n} points, squared error, float64, on {device}; each method in a fresh process, "
          f"memory = peak during the method minus the use after building network and data "
          f"({rows[0]['start_mib']:.0f} MiB):")
    for r in rows[1:]:
        r["extra_mib"] = r["peak_mib"] - r["start_mib"]
        print(f"  {r['method']:<11} {r['seconds']:8.2f} s  {r['matvecs']:4d} Hessian-vector products  +"
              f"{r['extra_mib']:6.0f} MiB  top {[f'{v:.6g}' for v in r['top']]}")
    ours, theirs = rows[1], rows[2]
    rel = max(abs(a - b) / abs(b) for a, b in zip(ours["top"], theirs["top"]))
    print(f"  ratio curvlinops/nnclaims: time {theirs['seconds'] / ours['seconds']:.2f}x, memory "
          f"{theirs['extra_mib'] / max(ours['extra_mib'], 1):.2f}x; max relative difference of the eigenvalues "
          f"{rel:.1e}")
    return rows


SMALL = Arch(d=8, widths=(16, 8), q=2, activation="tanh")  # P = 306: the dry run's stand-in for LARGE


def run(networks: int = 1024, device: str = "cpu", loop_networks: int = 32, k: int = 5, n: int = 256,
        large: bool = True, arch: Arch = LARGE) -> None:
    """Both benchmarks, printed side by side (``python -m nnclaims.reports.bench curvature``); ``arch`` is the
    network of the top-k comparison (``--small``: :data:`SMALL`, for a dry run)."""
    print(f"device: {device}{' (CPU figures)' if device == 'cpu' else ''}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}")
    small_nets(networks, device, loop_networks)
    if large:
        top_k_large(k, n, device, arch)
