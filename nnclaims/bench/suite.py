"""Benchmarks that print figures side by side (run: ``python -m nnclaims.bench.suite [symbolic|numeric|search]``).

``symbolic``: wall time of every proof in the catalogue, in a fresh process (no caches), and the total
against the 60 s target of the symbolic layer.
``numeric``: wall time of every numeric check at ``--networks`` networks on ``--device``.
``search``: the zero-match search, the naive encoding (Int, no symmetry breaking) against the suite's methods
(``whole``: bit-vectors of a proven width, symmetry breaking, one output; ``split``: that, one solver per data
set with the first layer as a table, in one process and in ``--jobs``), same instances, same machine; every run
in a fresh process, ``--repeat`` runs each (min and median); every solver call is capped at ``--cap`` s.
``search-encodings``: the split method's small-weight products and implied span constraints one at a time and
together on the first ``--data-sets`` data sets of the 3-3-3, 2-point, R = 2 isomorphic case.
``zoo``: training ``--networks`` MLPs 32-128-128-10 one at a time, with plain ``vmap`` and with the deep zoo, and
the all-layer AGOP in one pass against per-layer ``vmap(jacrev)``, with peak memory (run it on the GPU).
``measure``: peak memory and time of the chunked AGOP sweep, the same sweep in one chunk, and everything
``nnclaims measure`` computes, for ``--points`` × ``--width`` × ``--depth`` (default 10,000 × 1,024 × 4), each in
a fresh process.
``curvature``: ``measure --hessian``'s numbers at P ≈ 3,500 against curvlinops in one process (time and memory
ratios), Hessian + Gauss–Newton of ``--networks`` (default 1024) small nets at once against looped
``torch.func.hessian`` (``--loop-networks``, default 32, timed),
and the top-k eigenvalues of a ~1M-parameter network, Lanczos against curvlinops + SciPy (:mod:`.curvature`).
``ray``: the local backend against Ray (a local cluster of 1, 2 and all cores): the DNFA study's networks trained
per second (``--profile``, default ``ci`` here) and the zero-match search's data sets settled per second
(:mod:`.backends`).
``study``: the DNFA study's own work (``--profile``'s base condition, a fixed number of steps): networks trained per
second stacked against one at a time, and all-layer AGOPs per second in one pass (stacked), one network at a time,
and per-layer ``vmap(jacrev)``, side by side in one run.
"""

from __future__ import annotations

import argparse
import functools
import os
import time

from nnclaims.proofs.catalogue import CLAIMS, resolve

from ._timing import _sync, _timed


def bench(layer: str, networks: int, device: str) -> None:
    rows, total = [], 0.0
    for claim in CLAIMS:
        link = claim.proof if layer == "symbolic" else claim.numeric
        if link is None:
            continue
        fn = resolve(link)
        call = fn if layer == "symbolic" else functools.partial(fn, networks=networks, device=device)
        t0 = time.perf_counter()
        rec = call()
        dt = time.perf_counter() - t0
        total += dt
        rows.append((claim.id, rec.status, dt))
    width = max(len(r[0]) for r in rows)
    for cid, status, dt in rows:
        print(f"{cid:<{width}}  {status:<12} {dt:8.3f} s")
    target = 60.0 if layer == "symbolic" else 120.0
    print(f"{'total':<{width}}  {'':<12} {total:8.3f} s   target {target:.0f} s   ratio {total / target:.2f}")


SEARCH_CASES = (  # (name, options, run the naive encoding too)
    ("2-2-2, 2 points, R = 1 (find)", dict(), True),
    ("2-2-2, 2 points, R = 1, nonzero output", dict(nonzero_output=True), True),
    ("2-2-2, 2 points, R = 1, isomorphic, nonzero output", dict(isomorphic=True, nonzero_output=True), True),
    ("2-2-2, 2 points, R = 2, isomorphic, nonzero output", dict(isomorphic=True, nonzero_output=True, max_weight=2),
     True),
    ("3-3-3, 2 points, R = 2 (find)", dict(inputs=3, hidden=3, outputs=3, max_weight=2), False),
    ("3-3-3, 2 points, R = 2, nonzero output", dict(inputs=3, hidden=3, outputs=3, max_weight=2,
                                                   nonzero_output=True), False),
    ("3-3-3, 3 points, R = 2, isomorphic, nonzero output", dict(inputs=3, hidden=3, outputs=3, max_weight=2, points=3,
                                                               isomorphic=True, nonzero_output=True), False),
    ("3-3-3, 2 points, R = 2, isomorphic, nonzero output", dict(inputs=3, hidden=3, outputs=3, max_weight=2,
                                                               isomorphic=True, nonzero_output=True), False),
)

ENCODING_CASE = SEARCH_CASES[-1]
"""The case the encodings' ablation runs (``none``: UNSAT on all 245 data sets)."""

ENCODINGS = (  # (name, small-weight products, implied constraints)
    ("plain (the split method before)", False, False),
    ("+ small-weight products", True, False),
    ("+ implied span constraints", False, True),
    ("both (the split method now)", True, True),
)

ENCODING_CHILD = """
import json, sys, time
from nnclaims.proofs import search_subspace as S
from nnclaims.proofs._z3 import MAX_RLIMIT
kw, small, implied, count = json.loads(sys.argv[1])
spec = S._Spec((kw["inputs"], kw["hidden"], 1), kw["max_weight"], 2, "linear", False, 1, True, True, True)
seconds = used = 0
statuses = set()
for X in S.data_orbits(kw["inputs"], kw["max_weight"], 2)[:count]:
    t0 = time.perf_counter()
    table = S.first_layer_table(X, spec.R, False)
    s, var, const = S._solver(spec, True, 0, 3600, max(max(v) for v in table), MAX_RLIMIT)
    S._encode(s, spec, var, [[const(v) for v in x] for x in X], table, small_weights=small, implied=implied)
    statuses.add(str(s.check()))
    seconds += time.perf_counter() - t0
    used += S.resources(s)
print(json.dumps({"seconds": seconds, "resources": used, "status": sorted(statuses)}))
"""


def bench_search_encodings(data_sets: int, repeat: int = 3) -> list[dict]:
    """The split method's two encoding reductions (issue 28 item 6) one at a time and together, on the first
    ``data_sets`` data sets of :data:`ENCODING_CASE`, every run in a fresh process, ``repeat`` runs each: the seconds
    of the per-data-set solves (table, encoding, check) summed, min / median, and the resources (Z3's count,
    the same in every run), with the ratio plain / variant of each."""
    import json
    import statistics
    import subprocess
    import sys

    name, kw, _ = ENCODING_CASE
    print(f"split method's encodings on the first {data_sets} data sets of '{name}', every run in a fresh process, "
          f"{repeat} runs each: solve seconds min / median, resources; ratio plain / variant (medians, resources)")
    rows = []
    for label, small, implied in ENCODINGS:
        runs = []
        for _ in range(repeat):
            done = subprocess.run([sys.executable, "-c", ENCODING_CHILD, json.dumps([kw, small, implied, data_sets])],
                                  capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        t = [r["seconds"] for r in runs]
        rows.append({"encoding": label, "min": min(t), "median": statistics.median(t),
                     "resources": runs[0]["resources"], "status": runs[0]["status"]})
        plain = rows[0]
        print(f"  {label:<34} {'/'.join(rows[-1]['status'])}  {min(t):8.2f} / {statistics.median(t):8.2f} s  "
              f"{rows[-1]['resources']:>13,}  {plain['median'] / rows[-1]['median']:5.1f}x  "
              f"{plain['resources'] / rows[-1]['resources']:5.1f}x", flush=True)
    return rows


SEARCH_CHILD = """
import json, sys, time
from nnclaims.proofs.search_subspace import search_zero_match
kw = json.loads(sys.argv[1])
t0 = time.perf_counter()
r = search_zero_match(**kw)
print(json.dumps({"status": r.status, "seconds": time.perf_counter() - t0}))
"""


def _search_once(kw: dict) -> dict:
    """One search in a fresh Python process (Z3's run time depends on what its process ran before): status and
    seconds from the call to the answer, measured inside that process."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SEARCH_CHILD, json.dumps(kw)], capture_output=True, text=True)
    if done.returncode != 0:
        return {"status": "failed", "seconds": float("nan"), "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_search(cap: float, jobs: int, repeat: int = 3, cases: list[int] | None = None) -> list[dict]:
    """Each case with the naive encoding, the suite's whole-problem encoding and the split method (one process,
    then ``jobs``), every run in a fresh process, ``repeat`` runs of each: min and median seconds, and the ratios
    naive / split of the medians with their spread (naive's fastest over split's slowest run, naive's slowest over
    split's fastest); ``>=`` where a naive run hit the cap."""
    import statistics

    cols = [("naive", 1), ("whole", 1), ("split", 1), ("split", jobs)]
    print(f"zero-match search, every run in a fresh process, {repeat} runs each, solver cap {cap:g} s; per method: "
          "status, min / median seconds; ratio naive/split of the medians [spread]")
    rows = []
    for i, (name, kw, with_naive) in enumerate(SEARCH_CASES):
        if cases is not None and i not in cases:
            continue
        row = {"case": name}
        for method, j in cols:
            if method == "naive" and not with_naive:
                continue
            runs = [_search_once({**kw, "method": method, "jobs": j, "timeout": cap}) for _ in range(repeat)]
            t = [r["seconds"] for r in runs]
            row[f"{method} x{j}"] = {"status": sorted({r["status"] for r in runs}), "min": min(t),
                                     "median": statistics.median(t), "max": max(t)}
        cells = []
        for key in row:
            if key == "case":
                continue
            r = row[key]
            cells.append(f"{key} {'/'.join(r['status'])} {r['min']:.2f}/{r['median']:.2f} s")
        naive = row.get("naive x1")
        ratios = []
        for key in ("split x1", f"split x{jobs}"):
            if naive and key in row:
                sp = row[key]
                ge = ">=" if "unknown" in naive["status"] else ""
                ratios.append(f"naive/{key} {ge}{naive['median'] / sp['median']:.1f}x "
                              f"[{naive['min'] / sp['max']:.1f}, {naive['max'] / sp['min']:.1f}]")
        print(f"{name}: " + "; ".join(cells) + ("; " + "; ".join(ratios) if ratios else ""), flush=True)
        rows.append(row)
    return rows


ZOO_SPEC = dict(d=32, widths=(128, 128), q=10, n=512, steps=200, lr=0.05, activation="relu", data="random-labels",
                loss="xent")


def _peak_memory(device: str) -> str:
    import resource

    import torch

    if device.startswith("cuda"):
        return f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB GPU"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB RSS (process peak)"


def bench_zoo(networks: int, device: str, loop_networks: int) -> None:
    """The numeric layer's speed figures, side by side in one run: training ``networks`` MLPs
    32-128-128-10 (512 samples, 200 SGD steps) one at a time (``loop_networks`` of them, scaled up and
    marked so), with a hand-written ``vmap(grad)`` SGD loop, and with the deep zoo (stacked parameters,
    one ``torch.optim`` optimizer); then all-layer AGOP in one pass against per-layer ``vmap(jacrev)``."""
    import dataclasses

    import torch
    from torch.func import grad, vmap

    from nnclaims.numeric.deep import (DeepSpec, _loss_fn, all_layer_agop, init_deep_zoo, make_data, per_layer_agop_jacrev,
                              train_deep_zoo)

    spec = DeepSpec(**ZOO_SPEC)
    base, p0 = init_deep_zoo(spec, networks, 0, device)
    X, Y = make_data(spec, networks, 0)
    X, Y = X.to(device, torch.float32), Y.to(device)
    loss = _loss_fn(spec, base)

    def plain_vmap(params, X, Y):
        g = vmap(grad(loss))
        for _ in range(spec.steps):
            params = {k: v - spec.lr * gk for (k, v), gk in zip(params.items(), g(params, X, Y).values())}
        return params

    def one_at_a_time(k):
        def run():
            for i in range(k):
                params = {n: v[i].clone().requires_grad_(True) for n, v in p0.items()}
                opt = torch.optim.SGD(params.values(), lr=spec.lr)
                for _ in range(spec.steps):
                    opt.zero_grad()
                    loss(params, X[i], Y[i]).backward()
                    opt.step()
        return run

    rows = []
    _, t_loop = _timed(one_at_a_time(loop_networks), device)
    rows.append((f"one at a time ({loop_networks} timed, x{networks / loop_networks:g})",
                 t_loop * networks / loop_networks))
    _, t_vmap = _timed(lambda: plain_vmap(p0, X, Y), device)
    rows.append(("plain vmap(grad) SGD", t_vmap))
    _, t_zoo = _timed(lambda: train_deep_zoo(spec, base, p0, X, Y), device)
    rows.append(("deep zoo (stacked, torch.optim)", t_zoo))
    print(f"training {networks} MLPs {spec.d}-{'-'.join(map(str, spec.widths))}-{spec.q}, n={spec.n}, "
          f"{spec.steps} SGD steps on {device}")
    for name, t in rows:
        print(f"  {name:<44} {t:9.3f} s   ratio to plain vmap {t / t_vmap:7.2f}")
    agop_spec = dataclasses.replace(spec, n=64)
    Xa = X[:, :64].to(torch.float64)
    pa = {k: v.to(torch.float64) for k, v in p0.items()}
    all_layer_agop(agop_spec, pa, Xa), per_layer_agop_jacrev(agop_spec, pa, Xa)  # warm-up, not timed
    _, t_one = _timed(lambda: all_layer_agop(agop_spec, pa, Xa), device)
    _, t_per = _timed(lambda: per_layer_agop_jacrev(agop_spec, pa, Xa), device)
    print(f"AGOP of every layer, {networks} networks, 64 samples, float64, second call: one pass {t_one:.3f} s, "
          f"per-layer vmap(jacrev) {t_per:.3f} s, speed-up {t_per / t_one:.2f}x")
    from .curvature import small_nets

    small_nets(networks, device, loop_networks * 8)
    print(f"peak memory: {_peak_memory(device)}")


MEASURE_SIZES = dict(points=10_000, width=1024, depth=4, outputs=10)


def _measure_child(kind: str, points: int, width: int, depth: int, outputs: int, device: str, chunk) -> dict:
    """Run in a fresh process (so the peak is this run's): build a ReLU network ``width``-…-``outputs`` with
    ``depth`` hidden layers and ``points`` samples in float64, then run ``kind`` (``sweep``: the AGOP sweep with
    ``chunk`` samples per chunk, None for the default; ``measure``: everything ``nnclaims measure`` computes).
    Returns the peak memory above the baseline of weights and data, and the seconds."""
    import resource

    import torch

    from nnclaims.numeric.agop import agop_sweep, chunk_rows
    from nnclaims.numeric.measure import measure
    from nnclaims.numeric.models import FeedForward

    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # bytes (Linux reports KiB)

    g = torch.Generator().manual_seed(0)
    sizes = [width] * (depth + 1) + [outputs]
    Ws = [torch.randn(1, sizes[l + 1], sizes[l], generator=g, dtype=torch.float64) * (2 / sizes[l]) ** 0.5
          for l in range(depth + 1)]
    bs = [torch.randn(1, sizes[l + 1], generator=g, dtype=torch.float64) * 0.1 for l in range(depth + 1)]
    X = torch.randn(1, points, width, generator=g, dtype=torch.float64)
    Ws, bs, X = [W.to(device) for W in Ws], [b.to(device) for b in bs], X.to(device)

    def run(X):
        if kind == "sweep":
            return agop_sweep(Ws, X, "relu", biases=bs, chunk_size=chunk)
        net = FeedForward("(in memory)", "W1, b1, W2, …", tuple(W[0] for W in Ws), tuple(b[0] for b in bs),
                          tuple((f"W{l}", f"b{l}") for l in range(1, depth + 2)), ("F64",), "-")
        return measure(net, X[0].cpu().numpy(), device=device, chunk_size=chunk)

    run(X[:, :8])  # warm-up on 8 samples: libraries, thread pools and kernels load outside the measured peak
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = rss()
    t0 = time.perf_counter()
    run(X)
    _sync(device)
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else rss()
    return {"kind": kind, "chunk": chunk or min(points, chunk_rows(1, outputs, sizes[1:-1])), "seconds": seconds,
            "baseline_mib": base / 2 ** 20, "above_baseline_mib": (peak - base) / 2 ** 20}


def bench_measure(device: str, sizes: dict) -> None:
    """Peak memory and time of the AGOP sweep and of the whole ``nnclaims measure`` computation, each in a fresh
    process: the sweep chunked (default chunk), the sweep in one chunk (the memory the chunking saves), and
    ``measure`` (sweep, feature ranks by chunked QR, per-layer statistics).  Memory is the peak above the
    baseline of the weights and data (RSS on the CPU, ``max_memory_allocated`` on a GPU)."""
    import json
    import subprocess
    import sys

    points = sizes["points"]
    print(f"nnclaims measure at scale: {points} points x width {sizes['width']} x depth {sizes['depth']} (hidden "
          f"layers), {sizes['outputs']} outputs, ReLU, float64, on {device}"
          + (" (CPU: peak RSS of the process)" if device == "cpu" else ""))
    for kind, chunk in (("sweep", None), ("sweep", points), ("measure", None)):
        code = ("import json; from nnclaims.bench.suite import _measure_child; "
                f"print(json.dumps(_measure_child({kind!r}, device={device!r}, chunk={chunk!r}, **{sizes!r})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  {kind:<8} chunk {chunk}: failed ({done.stderr.strip().splitlines()[-1:]})")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        what = {"sweep": "AGOP sweep", "measure": "whole measure"}[kind]
        print(f"  {what:<14} chunk {r['chunk']:>6} samples: peak {r['above_baseline_mib']:8.0f} MiB above the "
              f"{r['baseline_mib']:.0f} MiB baseline (libraries, weights, data, warm-up), {r['seconds']:7.1f} s", flush=True)
def bench_study(profile: str, networks: int, device: str, loop_networks: int, steps: int, threads: int | None) -> None:
    """Networks/s and AGOP/s of the study's stacked training and one-pass all-layer AGOP against one network at a
    time and per-layer ``vmap(jacrev)`` (same spec, same machine, one run)."""
    import dataclasses

    import torch

    from nnclaims.numeric.deep import all_layer_agop, init_deep_zoo, make_data, per_layer_agop_jacrev, train_deep_zoo
    from nnclaims.numeric.dnfa_design import conditions
    from nnclaims.numeric.dnfa_study import torch_threads

    base_cond = next(c for c in conditions(profile, networks) if c.name.startswith("base"))
    spec = dataclasses.replace(base_cond.spec, target=0.0, steps=steps, n_test=0)
    with torch_threads(threads):
        base, p0 = init_deep_zoo(spec, networks, 0, device)
        X, Y = make_data(spec, networks, 0)
        X, Y = X.to(device, torch.float32), Y.to(device, torch.float32)
        train_deep_zoo(dataclasses.replace(spec, steps=2), base, p0, X, Y)  # warm-up, not timed
        p1, t_stack = _timed(lambda: train_deep_zoo(spec, base, p0, X, Y)[0], device)
        k = min(loop_networks, networks)

        def alone():
            for i in range(k):
                train_deep_zoo(spec, base, {n: v[i:i + 1] for n, v in p0.items()}, X[i:i + 1], Y[i:i + 1])
        _, t_loop = _timed(alone, device)
        p64 = {n: v.double() for n, v in p1.items()}
        X64 = X.double()
        all_layer_agop(spec, p64, X64), per_layer_agop_jacrev(spec, p64, X64)  # warm-up
        _, t_one = _timed(lambda: all_layer_agop(spec, p64, X64), device)

        def agop_alone():
            for i in range(networks):
                all_layer_agop(spec, {n: v[i:i + 1] for n, v in p64.items()}, X64[i:i + 1])
        _, t_agop_loop = _timed(agop_alone, device)
        _, t_jac = _timed(lambda: per_layer_agop_jacrev(spec, p64, X64), device)
    print(f"DNFA study, profile {profile!r} base condition: {networks} MLPs {spec.d}-"
          f"{'-'.join(map(str, spec.widths))}-{spec.q}, n={spec.n}, {steps} full-batch SGD steps, {device}, "
          f"{torch.get_num_threads() if threads is None else threads} thread(s)")
    print(f"  {'training':<42} {'seconds':>9} {'networks/s':>11}")
    print(f"  {'stacked (the study)':<42} {t_stack:9.2f} {networks / t_stack:11.2f}")
    print(f"  {f'one at a time ({k} timed)':<42} {t_loop * networks / k:9.2f} {k / t_loop:11.2f}   "
          f"stacked is {(t_loop / k) / (t_stack / networks):.1f}x faster")
    print(f"  {'all-layer AGOP, float64':<42} {'seconds':>9} {'AGOP/s':>11}")
    print(f"  {'one pass, stacked (the study)':<42} {t_one:9.3f} {networks / t_one:11.1f}")
    print(f"  {'one pass, one network at a time':<42} {t_agop_loop:9.3f} {networks / t_agop_loop:11.1f}   "
          f"{t_agop_loop / t_one:.1f}x slower")
    print(f"  {'per-layer vmap(jacrev), stacked':<42} {t_jac:9.3f} {networks / t_jac:11.1f}   "
          f"{t_jac / t_one:.1f}x slower")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m nnclaims.bench.suite", description=__doc__)
    ap.add_argument("layer", choices=["symbolic", "numeric", "search", "search-encodings", "zoo", "measure", "curvature",
                                      "study", "ray"],
                    nargs="?", default="symbolic")
    ap.add_argument("--cap", type=float, default=600.0, help="search: time limit per solver call (s)")
    ap.add_argument("--networks", type=int, default=None, help="default 16; curvature: 1024 (the README's size)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="search: processes for split xN")
    ap.add_argument("--loop-networks", type=int, default=None,
                    help="zoo: networks timed one at a time (scaled up), default 4; curvature: 32")
    for name, value in MEASURE_SIZES.items():
        ap.add_argument(f"--{name}", type=int, default=value, help=f"measure: {name} (default {value})")
    ap.add_argument("--profile", default=None, choices=["ci", "cpu", "gpu"],
                    help="study: the design profile (default cpu); ray: the study's profile (default ci)")
    ap.add_argument("--steps", type=int, default=200, help="study: training steps timed")
    ap.add_argument("--threads", type=int, default=None, help="study: torch threads (default: unchanged)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="ray: runs per configuration (the best is shown), default 2; search and curvature: runs of "
                         "each method (min and median shown), default 3")
    ap.add_argument("--cases", type=int, nargs="*", default=None, help="search: which cases (0-based), default all")
    ap.add_argument("--data-sets", type=int, default=24, help="search-encodings: the first N data sets (of 245)")
    ap.add_argument("--small", action="store_true", help="curvature: a small network for the top-k comparison (dry runs)")
    a = ap.parse_args()
    curvature = a.layer == "curvature"
    a.networks = a.networks if a.networks is not None else (1024 if curvature else 16)
    a.loop_networks = a.loop_networks if a.loop_networks is not None else (32 if curvature else 4)
    if a.layer == "search":
        bench_search(a.cap, a.jobs, a.repeat or 3, a.cases)
    elif a.layer == "search-encodings":
        bench_search_encodings(a.data_sets, a.repeat or 3)
    elif curvature:
        from .curvature import LARGE, MEASURE, SMALL, run

        run(a.networks, a.device, a.loop_networks, n=32 if a.small else 256, arch=SMALL if a.small else LARGE,
            measure_arch=SMALL if a.small else MEASURE, repeat=a.repeat or 3)
    elif a.layer == "study":
        bench_study(a.profile or "cpu", a.networks, a.device, a.loop_networks, a.steps, a.threads)
    elif a.layer == "ray":
        from .backends import run as bench_ray

        bench_ray(a.profile or "ci", repeat=a.repeat or 2)
    elif a.layer == "zoo":
        bench_zoo(a.networks, a.device, min(a.loop_networks, a.networks))
    elif a.layer == "measure":
        bench_measure(a.device, {name: getattr(a, name) for name in MEASURE_SIZES})
    else:
        bench(a.layer, a.networks, a.device)


if __name__ == "__main__":
    main()
