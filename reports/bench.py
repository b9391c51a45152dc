"""Benchmarks that print figures side by side (run: ``python -m reports.bench [symbolic|numeric]``).

``symbolic``: wall time of every proof in the catalogue, in a fresh process (no caches), and the total
against the 60 s target of the symbolic layer.
``numeric``: wall time of every numeric check at ``--networks`` networks on ``--device``.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("layer", choices=["symbolic", "numeric"], nargs="?", default="symbolic")
    ap.add_argument("--networks", type=int, default=16)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    bench(a.layer, a.networks, a.device)


if __name__ == "__main__":
    main()
