"""Benchmark: the local backend against Ray on this machine, side by side in one run.

``python -m nnclaims.bench.suite ray``: the local backend against Ray on this machine, side by side in one run —
networks trained per second by the DNFA study and data sets settled per second by the zero-match search's split
method, with 1, 2 and all local cores.

*local, k cores*: the study in this process with k torch threads (its shards one after another; k threads round
the float32 training differently from one, so only the one-thread run has Ray's numbers); the search with
``--jobs k`` worker processes.  *ray, k cores*: a local Ray cluster started with ``num_cpus=k`` (its start-up timed
apart), the study's shards and the search's data sets as tasks, one core each.  Every configuration computes the
same answer (checked here: the study's numbers, the search's status and witness); the
Ray figures are given for the work alone and with the cluster's start-up, which is what a command pays.
"""

from __future__ import annotations

import json
import os
import tempfile
import time

__all__ = ["run", "SEARCH_CASES"]

SEARCH_CASES = (  # (label, zero-match options): the first is found on its first data set, the others settle all (none)
    ("2-2-2, 2 points, R = 1 (the default)", dict()),
    ("2-2-2, 2 points, R = 2, isomorphic", dict(max_weight=2, isomorphic=True)),
    ("2-3-2, 2 points, R = 2, isomorphic", dict(max_weight=2, isomorphic=True, hidden=(3,))),
)


def _numbers(study: dict) -> str:
    return json.dumps({k: v for k, v in study.items() if k != "timing"}, sort_keys=True, default=str)


def _study(profile: str, backend: str, threads: int | None, replicates: int | None = None) -> tuple[float, dict]:
    from nnclaims.cli.study import execute_study

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        study, _, _ = execute_study(os.path.join(tmp, "study"), profile, device="cpu", threads=threads,
                                    backend=backend, replicates=replicates)
        return time.perf_counter() - t0, study


def _search(kw: dict, backend: str, jobs: int):
    from nnclaims.backends import RayRunner
    from nnclaims.proofs.bounded import run_on_cluster
    from nnclaims.proofs.search_subspace import search_zero_match

    t0 = time.perf_counter()
    if backend == "local":
        r = search_zero_match(timeout=3600, jobs=jobs, **kw)
    else:
        r = run_on_cluster(search_zero_match, kw, timeout=3600, runner=RayRunner())
    return time.perf_counter() - t0, r


def run(profile: str = "ci", cores: list[int] | None = None, repeat: int = 2) -> None:
    """Print the table (see the module docstring); every figure is the best of ``repeat`` runs (a shared machine's
    load comes and goes), a Ray run's start-up that of the same run (a fresh local cluster each time)."""
    import torch

    from nnclaims.backends import cluster
    from nnclaims.numeric.dnfa_design import networks

    cores = cores or sorted({1, 2, os.cpu_count() or 1})
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"Ray vs local: CPU figures, {os.cpu_count()} cores, torch {torch.__version__}, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start, best of {repeat}")
    _study("verify", "local", 1, replicates=3)  # warm-up (imports, bundled data), not timed
    best, reference, startups = {}, {}, {}
    n_net = networks(profile)
    study_label = f"study {profile} ({n_net} networks), networks/s"

    def add(workload, backend, k, wall, startup, units, answer, arithmetic=None):
        """``arithmetic``: what decides the numbers besides the workload (the study's torch threads)."""
        key = (workload, arithmetic)
        if key in reference and reference[key] != answer:
            raise AssertionError(f"{workload}: {backend} with {k} cores computed another answer")
        reference.setdefault(key, answer)
        old = best.get((workload, backend, k))
        if old is None or wall + startup < old[0] + old[1]:
            best[(workload, backend, k)] = (wall, startup, units)

    def searches(backend, k, startup):
        for label, kw in SEARCH_CASES:
            wall, r = _search(kw, backend, k)
            add(f"search {label} ({r.bounds['data_sets']} data sets), data sets/s", backend, k, wall, startup,
                r.bounds["data_sets"], (r.status, json.dumps(r.witness)))

    for _ in range(repeat):
        for k in cores:
            wall, study = _study(profile, "local", k)
            add(study_label, "local", k, wall, 0.0, n_net, _numbers(study), arithmetic=k)
            searches("local", k, 0.0)
        for k in cores:
            t0 = time.perf_counter()
            with cluster(num_cpus=k):
                startup = time.perf_counter() - t0
                wall, study = _study(profile, "ray", None)
                add(study_label, "ray", k, wall, startup, n_net, _numbers(study), arithmetic=1)
                searches("ray", k, startup)
                t1 = time.perf_counter()
            startups.setdefault(k, []).append((startup, time.perf_counter() - t1))
    print("Ray's local cluster: " + "; ".join(
        f"{k} cores: start-up {min(a for a, _ in v):.1f}-{max(a for a, _ in v):.1f} s, shutdown "
        f"{min(b for _, b in v):.1f}-{max(b for _, b in v):.1f} s" for k, v in startups.items()))
    print("(a Ray run's work includes its workers starting and importing torch or z3; its start-up is the cluster's)")
    width = max(len(w) for w, _, _ in best)
    print(f"{'workload':<{width}}  {'backend':<7} {'cores':>5} {'work s':>8} {'start-up s':>10} {'rate':>9} "
          f"{'rate incl. start-up':>20} {'vs local, 1 core':>17}")
    for workload in dict.fromkeys(w for w, _, _ in best):
        base = best[(workload, "local", 1)]
        for (w, backend, k), (wall, startup, units) in best.items():
            if w == workload:
                print(f"{w:<{width}}  {backend:<7} {k:>5} {wall:8.2f} {startup:10.2f} {units / wall:9.2f} "
                      f"{units / (wall + startup):20.2f} {(base[0] + base[1]) / (wall + startup):16.2f}x")
    print("every configuration computed the same answers (search statuses and witnesses; the study's numbers on Ray "
          "equal the local run's with one torch thread — with k threads the float32 training rounds otherwise)")


if __name__ == "__main__":
    run()
