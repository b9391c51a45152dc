"""Benchmarks that print figures side by side (run: ``python -m reports.bench [symbolic|numeric|search]``).

``symbolic``: wall time of every proof in the catalogue, in a fresh process (no caches), and the total
against the 60 s target of the symbolic layer.
``numeric``: wall time of every numeric check at ``--networks`` networks on ``--device``.
``search``: the zero-match search, naive encoding (Int, no symmetry breaking) against the suite's (bit-vectors
of a proven width, symmetry breaking), same instances, same machine; the naive one is capped at ``--cap`` s.
"""

from __future__ import annotations

import argparse
import functools
import time

from proofs.catalogue import CLAIMS, resolve


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


SEARCH_CASES = (
    ("2-2-2, 2 points, R = 1 (find)", dict()),
    ("2-2-2, 2 points, R = 1, nonzero output", dict(nonzero_output=True)),
    ("2-2-2, 2 points, R = 1, isomorphic, nonzero output", dict(isomorphic=True, nonzero_output=True)),
    ("2-2-2, 2 points, R = 2, isomorphic, nonzero output", dict(isomorphic=True, nonzero_output=True, max_weight=2)),
)


def bench_search(cap: float) -> None:
    from proofs.search_subspace import search_zero_match

    print(f"{'case':<52} {'naive':>16} {'suite':>16} {'ratio':>8}")
    for name, kw in SEARCH_CASES:
        naive = search_zero_match(encoding="int", symmetry_breaking=False, timeout=cap, **kw)
        suite = search_zero_match(timeout=cap, **kw)
        fmt = lambda r: f"{r.status} {r.seconds:7.2f}s"  # noqa: E731
        ratio = naive.seconds / max(suite.seconds, 1e-9)
        sign = ">=" if naive.status == "unknown" else ""
        print(f"{name:<52} {fmt(naive):>16} {fmt(suite):>16} {sign}{ratio:6.1f}x", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("layer", choices=["symbolic", "numeric", "search"], nargs="?", default="symbolic")
    ap.add_argument("--cap", type=float, default=600.0, help="search: time limit per solver call (s)")
    ap.add_argument("--networks", type=int, default=16)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.layer == "search":
        bench_search(a.cap)
    else:
        bench(a.layer, a.networks, a.device)


if __name__ == "__main__":
    main()
