"""Benchmark: the similarity measures' speed, side by side with reference implementations.

Speed of the similarity measures, side by side with reference implementations
(run: ``python -m nnclaims.reports.bench_similarity [--points 10000 --neurons 1024] [--reference PATH]``).

Each row times one measure of :mod:`nnclaims.numeric.similarity` on two activation arrays (points × neurons,
float64; B a noisy nonlinear function of A) and, where there is one, a reference computation of the same number
— Kornblith et al.'s Gram-space CKA (n × n Gram matrices, as their notebook computes it), SciPy's subspace angles
for the canonical correlations, SciPy's orthogonal Procrustes, and, with ``--reference`` pointing at
``utils/match_utils.py`` of MeckyWu/subspace-match, Wang et al.'s own maximum match — with the largest
difference between the two values.  The last rows time :func:`~nnclaims.numeric.similarity.similarity_report`
(every measure, each array factorised once, one maximum match shared by both match measures) and check that its
values equal the single-measure ones.  The load average is printed before and after: figures measured on a loaded
machine are not final.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time

import numpy as np
import scipy.linalg
import torch

from nnclaims.numeric import similarity as S


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def _kornblith(A, B, kernel: str, debiased=False):
    """CKA from n × n Gram matrices, as Kornblith et al.'s notebook computes it."""
    def gram(x):
        g = x @ x.T
        if kernel == "rbf":
            sq = np.diag(g)
            d = -2 * g + sq[:, None] + sq[None, :]
            g = np.exp(-d / (2 * np.median(d)))
        return g

    def centre(g):
        g = g.copy()
        if debiased:
            n = g.shape[0]
            np.fill_diagonal(g, 0)
            means = g.sum(0) / (n - 2)
            means -= means.sum() / (2 * (n - 1))
            g -= means[:, None]
            g -= means[None, :]
            np.fill_diagonal(g, 0)
        else:
            means = g.mean(0)
            means -= means.mean() / 2
            g -= means[:, None]
            g -= means[None, :]
        return g

    gx, gy = centre(gram(A)), centre(gram(B))
    return gx.ravel() @ gy.ravel() / (np.linalg.norm(gx) * np.linalg.norm(gy))


def _angles(A, B):
    return float(np.cos(scipy.linalg.subspace_angles(A - A.mean(0), B - B.mean(0))).mean())


def _procrustes(A, B):
    A, B = A - A.mean(0), B - B.mean(0)
    A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    p = max(A.shape[1], B.shape[1])
    A, B = np.pad(A, ((0, 0), (0, p - A.shape[1]))), np.pad(B, ((0, 0), (0, p - B.shape[1])))
    R, _ = scipy.linalg.orthogonal_procrustes(A, B)
    return float(np.linalg.norm(A @ R - B))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--neurons", type=int, default=1_024)
    ap.add_argument("--epsilon", type=float, default=0.25)
    ap.add_argument("--reference", help="path of Wang et al.'s utils/match_utils.py (not shipped)")
    ap.add_argument("--skip-gram", action="store_true", help="skip the n × n Gram-space references")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    A = rng.standard_normal((a.points, a.neurons))
    B = np.tanh(A @ rng.standard_normal((a.neurons, a.neurons)) / np.sqrt(a.neurons)) \
        + 0.1 * rng.standard_normal((a.points, a.neurons))
    ref = None
    if a.reference:
        spec = importlib.util.spec_from_file_location("wang_match_utils", a.reference)
        ref = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ref)
    rows = [
        ("linear_cka", lambda: S.linear_cka(A, B), None if a.skip_gram else lambda: _kornblith(A, B, "linear")),
        ("debiased_linear_cka", lambda: S.debiased_linear_cka(A, B),
         None if a.skip_gram else lambda: _kornblith(A, B, "linear", True)),
        ("rbf_cka", lambda: S.rbf_cka(A, B), None if a.skip_gram else lambda: _kornblith(A, B, "rbf")),
        ("cca_mean", lambda: S.cca_mean(A, B), lambda: _angles(A, B)),
        ("svcca", lambda: S.svcca(A, B), None),
        ("pwcca", lambda: S.pwcca(A, B), None),
        ("procrustes", lambda: S.procrustes(A, B), lambda: _procrustes(A, B)),
        ("max_match_similarity", lambda: S.max_match_similarity(A, B, a.epsilon),
         None if ref is None else lambda: (lambda m: (len(m[0]) + len(m[1])) / (2 * a.neurons))(
             ref.find_maximal_match(A.T, B.T, a.epsilon))),
        ("simple_match", lambda: S.simple_matches(A, B, a.epsilon)["maximum_match"], None),
    ]
    print(f"{a.points} points × {a.neurons} neurons, float64, ε = {a.epsilon}; torch threads "
          f"{torch.get_num_threads()}, {os.cpu_count()} CPUs, load average {_load()}")
    print(f"{'measure':<22} {'nnclaims':>10} {'reference':>10} {'ratio':>7}  max |difference|")
    total, single = 0.0, {}
    for name, ours, theirs in rows:
        v, t = _timed(ours)
        total += t
        single[name] = v
        if theirs is None:
            print(f"{name:<22} {t:9.2f}s {'—':>10} {'':>7}  value {v}")
            continue
        w, tr = _timed(theirs)
        diff = abs(float(v) - float(w)) if not isinstance(v, list) else "—"
        print(f"{name:<22} {t:9.2f}s {tr:9.2f}s {tr / t:6.2f}x  {diff}")
    print(f"{'sum of the rows':<22} {total:9.2f}s")
    report, t = _timed(lambda: S.similarity_report(A, B, epsilon=a.epsilon))
    worst = max(abs(report[k] - single[k]) / max(abs(single[k]), 1e-300) for k in list(single)[:8])
    print(f"{'all measures (report)':<22} {t:9.2f}s {'':>10} {'':>7}  max relative |report − single| {worst:.1e}")
    print(f"load average after: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
