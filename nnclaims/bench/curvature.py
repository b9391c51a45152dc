"""Curvature benchmarks (``python -m nnclaims.bench.suite curvature``): figures side by side, with peak memory.

``small_nets``: Hessian + Gauss–Newton of many small networks at once (``vmap`` over networks of the
matrix-free products, :func:`nnclaims.numeric.curvature.dense`) against ``torch.func.hessian`` (plus the
Jacobian for the Gauss–Newton term) looped over the networks one at a time (a few timed, scaled up, and marked so).
``measure_hessian``: what ``nnclaims measure --hessian`` computes (rank, Gauss–Newton rank, top eigenvalues,
trace, residual norm) at P ≈ 3,500, by :func:`nnclaims.numeric.curvature_summary.hessian_summary` and by
curvlinops (``HessianLinearOperator`` and ``GGNLinearOperator`` applied to the identity, ``eigvalsh`` of H, G and
H − G), one after the other in one process: seconds and peak memory above the start of each, and their ratios.
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

from ._timing import _sync, _timed

__all__ = ["small_nets", "measure_hessian", "top_k_large", "run"]

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


MEASURE = Arch(d=32, widths=(40, 40), q=10, activation="tanh")  # P = 3,370


def _mmap_everything() -> bool:
    """Ask glibc to serve every allocation above 64 KiB by ``mmap`` (and stop sliding that threshold), so that a
    freed tensor leaves the resident set at once and the peak RSS of a step is what the step held (Linux/glibc)."""
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, 65536))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False


def measure_hessian(n: int = 256, device: str = "cpu", arch: Arch = MEASURE, repeat: int = 3) -> dict:
    """``measure --hessian``'s numbers by :func:`hessian_summary` and by curvlinops, alternately in this process,
    ``repeat`` times each: time (min and median) and peak memory (above the resident set at the start of the
    run); prints both and the ratios nnclaims/curvlinops, and checks that the numbers agree."""
    import statistics

    from nnclaims.numeric.curvature import numerical_rank, to_sequential, unflatten
    from nnclaims.numeric.curvature_summary import hessian_summary

    exact_rss = _mmap_everything() and not device.startswith("cuda")
    def ours(theta, X, Y, arch):
        Ws = [W.T.contiguous() for W, _ in unflatten(theta, arch)]
        bs = [b for _, b in unflatten(theta, arch)]
        h = hessian_summary(Ws, bs, arch.activation, X, Y)
        return {k: h[k] for k in ("rank", "gauss_newton_rank", "top_eigenvalues", "trace", "residual_norm")}

    def theirs(theta, X, Y, arch):
        from curvlinops import GGNLinearOperator, HessianLinearOperator

        model = to_sequential(theta, arch)
        params = list(model.parameters())
        lf = torch.nn.MSELoss(reduction="sum")  # Σ (f − y)² = 2 n × the mean of ½|f − y|²
        data = [(X, Y)]
        eye = torch.eye(arch.P, dtype=F64, device=device)
        H = HessianLinearOperator(model, lf, params, data, check_deterministic=False) @ eye
        G = GGNLinearOperator(model, lf, params, data, check_deterministic=False) @ eye
        del eye
        scale = 0.5 / X.shape[0]
        evH = torch.linalg.eigvalsh(H)
        evG = torch.linalg.eigvalsh(G)
        trace = float(torch.diagonal(H).sum())
        H -= G
        del G
        evR = torch.linalg.eigvalsh(H)
        return {"rank": numerical_rank(evH, arch.P), "gauss_newton_rank": numerical_rank(evG, arch.P),
                "top_eigenvalues": (scale * evH.flip(0)[:5]).tolist(), "trace": scale * trace,
                "residual_norm": scale * float(evR.abs().max())}

    tiny = Arch(d=3, widths=(4,), q=2, activation=arch.activation)
    ours(*_large_problem(tiny, 8, device), tiny), theirs(*_large_problem(tiny, 8, device), tiny)  # warm-up
    problem = (*_large_problem(arch, n, device), arch)
    times = {"nnclaims": [], "curvlinops": []}
    peaks = {"nnclaims": [], "curvlinops": []}
    results = {}
    for _ in range(repeat):
        for name, fn in (("nnclaims", ours), ("curvlinops", theirs)):
            start = _reset_peak(device)
            t0 = time.perf_counter()
            results[name] = fn(*problem)
            _sync(device)
            times[name].append(time.perf_counter() - t0)
            peaks[name].append(_peak(device) - start)
    a, b = results["nnclaims"], results["curvlinops"]
    rel = max(abs(x - y) / abs(y) for x, y in zip(a["top_eigenvalues"] + [a["trace"], a["residual_norm"]],
                                                   b["top_eigenvalues"] + [b["trace"], b["residual_norm"]]))
    print(f"measure --hessian's numbers, MLP {arch.d}-{'-'.join(map(str, arch.widths))}-{arch.q} {arch.activation} "
          f"(P = {arch.P:,}), {n} points, mean squared error, float64, on {device}, {torch.get_num_threads()} "
          f"thread(s); both in this process, alternately, {repeat} runs each; memory = peak "
          f"{'RSS (every allocation mmapped)' if exact_rss else 'allocated'} above the start of the run:")
    for name in times:
        ts, ms = times[name], peaks[name]
        print(f"  {name:<11} time min {min(ts):7.2f} s, median {statistics.median(ts):7.2f} s;  memory max "
              f"{max(ms):7.0f} MiB, min {min(ms):7.0f} MiB;  rank {results[name]['rank']}, Gauss–Newton rank "
              f"{results[name]['gauss_newton_rank']}")
    t_ratio = min(times["nnclaims"]) / min(times["curvlinops"])
    t_med = statistics.median(times["nnclaims"]) / statistics.median(times["curvlinops"])
    m_ratio = max(peaks["nnclaims"]) / max(peaks["curvlinops"])
    print(f"  ratio nnclaims/curvlinops: time {t_ratio:.2f}x (min), {t_med:.2f}x (median); memory {m_ratio:.2f}x "
          f"(max); ranks {'equal' if (a['rank'], a['gauss_newton_rank']) == (b['rank'], b['gauss_newton_rank']) else 'DIFFER'}, "
          f"largest relative difference of eigenvalues, trace and residual norm {rel:.1e}")
    return {"P": arch.P, "times": times, "peaks_mib": peaks, "time_ratio": t_ratio, "memory_ratio": m_ratio,
            "max_rel_diff": rel, "ranks_equal": (a["rank"], a["gauss_newton_rank"]) == (b["rank"], b["gauss_newton_rank"]),
            "rss_exact": exact_rss, "numbers": results}


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
        large: bool = True, arch: Arch = LARGE, measure_arch: Arch = MEASURE, repeat: int = 3) -> None:
    """The three benchmarks, printed side by side (``python -m nnclaims.bench.suite curvature``); ``arch`` is the
    network of the top-k comparison and ``measure_arch`` that of ``measure --hessian`` (``--small``: :data:`SMALL`
    for both, for a dry run)."""
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"device: {device}{' (CPU figures)' if device == 'cpu' else ''}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, {os.cpu_count()} cores, load average {load:.1f} at the start")
    measure_hessian(n, device, measure_arch, repeat)
    small_nets(networks, device, loop_networks)
    if large:
        top_k_large(k, n, device, arch)
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
