r"""Benchmark: the similarity measures against their fastest independent implementations.

Speed of the similarity measures, each side by side with its fastest independent implementation, measured in
one run (run: ``python -m nnclaims.bench.similarity [--points 10000 --neurons 1024] [--svcca DIR]
[--sim-metric DIR] [--wang PATH]``).

Each row times one measure of :mod:`nnclaims.numeric.similarity` on two activation arrays (points × neurons,
float64; B a noisy nonlinear function of A) and the fastest independent computation of the same number known here,
then prints both times, their ratio (reference time / ours: above 1, ours is faster) and the largest difference:

* linear and debiased CKA: Kornblith et al.'s *feature-space* form (``feature_space_linear_cka`` of their notebook:
  p × p products; the notebook's n × n Gram form is slower and is not the fair reference); RBF CKA: their Gram form
  (there is no feature-space RBF), skipped with ``--skip-gram``;
* cca_mean, svcca, pwcca_authors_code: google/svcca's ``cca_core``/``pwcca.py`` (``--svcca DIR``, not shipped;
  SVCCA as its tutorial does it: SVD, keep 99 % of the variance, then ``get_cca_similarity``); cca_mean is compared
  with the mean of all of ``cca_coef1`` (no trailing-zero trimming);
* pwcca (the paper's formula): Ding et al.'s ``sim_metric`` (``--sim-metric DIR``: ``cca_decomp`` + ``pwcca_dist``);
* procrustes: the closed form :math:`\sqrt{2 - 2\|\hat A^\top\hat B\|_*}` in numpy (netrep is not installable
  here; the closed form is what it computes, and the fastest way);
* the maximum match: Wang et al.'s ``find_maximal_match`` (``--wang`` = ``utils/match_utils.py`` of
  MeckyWu/subspace-match).

A reference that is not given prints "—".  The load average is printed before and after: a loaded machine (a
shared one) slows both sides of a row, not necessarily equally — quote ratios from one run, and say the load.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
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


def _feature_space_cka(X, Y, debiased=False):
    """Linear CKA in feature space, as Kornblith et al.'s notebook computes it (``feature_space_linear_cka``)."""
    X, Y = X - X.mean(0, keepdims=True), Y - Y.mean(0, keepdims=True)
    xy, xx, yy = np.linalg.norm(X.T @ Y) ** 2, np.linalg.norm(X.T @ X), np.linalg.norm(Y.T @ Y)
    if debiased:
        n = X.shape[0]
        rx, ry = np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", Y, Y)
        nx, ny = rx.sum(), ry.sum()

        def helper(xty, r1, r2, s1, s2):
            return xty - n / (n - 2.0) * r1.dot(r2) + s1 * s2 / ((n - 1) * (n - 2))

        xy = helper(xy, rx, ry, nx, ny)
        xx, yy = np.sqrt(helper(xx ** 2, rx, rx, nx, nx)), np.sqrt(helper(yy ** 2, ry, ry, ny, ny))
    return xy / (xx * yy)


def _procrustes_closed_form(A, B):
    A, B = A - A.mean(0), B - B.mean(0)
    A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    return float(np.sqrt(max(0.0, 2 - 2 * np.linalg.svd(A.T @ B, compute_uv=False).sum())))


def _quiet(fn):
    """Call a reference that prints as it goes (google's cca_core), its output discarded."""
    def call():
        with contextlib.redirect_stdout(io.StringIO()):
            return fn()
    return call


def _google_svcca(cca_core, A, B, keep=S.SVCCA_KEEP):
    """SVCCA as google/svcca's tutorial computes it: top singular directions keeping ``keep`` of the variance
    (the project's cut), then ``get_cca_similarity`` on them; the mean of all the correlations."""
    def reduce(M):
        M = M.T - M.T.mean(1, keepdims=True)
        _, s, V = np.linalg.svd(M, full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s ** 2) / np.sum(s ** 2), keep - 1e-12) + 1)
        return s[:k, None] * V[:k]
    return float(np.mean(cca_core.get_cca_similarity(reduce(A), reduce(B), verbose=False)["cca_coef1"]))


def _sim_metric_pwcca(scoring, A, B):
    r1, r2 = A.T - A.T.mean(1, keepdims=True), B.T - B.T.mean(1, keepdims=True)
    r1, r2 = r1 / np.linalg.norm(r1), r2 / np.linalg.norm(r2)
    _, rho, _, ta, _ = scoring.cca_decomp(r1, r2)
    return float(1 - scoring.pwcca_dist(r1, rho, ta))


def _load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m nnclaims.bench.similarity", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--neurons", type=int, default=1_024)
    ap.add_argument("--epsilon", type=float, default=0.25)
    ap.add_argument("--svcca", help="folder holding google/svcca's cca_core.py and pwcca.py (not shipped)")
    ap.add_argument("--sim-metric", help="folder holding js-d/sim_metric's dists/scoring.py (not shipped)")
    ap.add_argument("--wang", "--reference", dest="wang", help="path of Wang et al.'s utils/match_utils.py (not shipped)")
    ap.add_argument("--skip-gram", action="store_true", help="skip the n × n Gram-space RBF reference")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    A = rng.standard_normal((a.points, a.neurons))
    B = np.tanh(A @ rng.standard_normal((a.neurons, a.neurons)) / np.sqrt(a.neurons)) \
        + 0.1 * rng.standard_normal((a.points, a.neurons))
    cca_core = pwcca = scoring = wang = None
    if a.svcca:
        sys.path.insert(0, a.svcca)
        import cca_core  # noqa: F811  google/svcca
        import pwcca  # noqa: F811
    if a.sim_metric:
        scoring = _load_module("sim_metric_scoring", str(Path(a.sim_metric) / "dists" / "scoring.py"))
    if a.wang:
        wang = _load_module("wang_match_utils", a.wang)
    g = lambda fn: None if cca_core is None else _quiet(fn)  # noqa: E731
    rows = [
        ("linear_cka", "Kornblith feature space", lambda: S.linear_cka(A, B), lambda: _feature_space_cka(A, B)),
        ("debiased_linear_cka", "Kornblith feature space", lambda: S.debiased_linear_cka(A, B),
         lambda: _feature_space_cka(A, B, True)),
        ("rbf_cka", "Kornblith Gram (only form)", lambda: S.rbf_cka(A, B),
         None if a.skip_gram else lambda: _kornblith(A, B, "rbf")),
        ("cca_mean", "google cca_core", lambda: S.cca_mean(A, B),
         g(lambda: float(np.mean(cca_core.get_cca_similarity(A.T, B.T, verbose=False)["cca_coef1"])))),
        ("svcca", "google cca_core (tutorial)", lambda: S.svcca(A, B), g(lambda: _google_svcca(cca_core, A, B))),
        ("pwcca", "Ding et al. sim_metric", lambda: S.pwcca(A, B),
         None if scoring is None else lambda: _sim_metric_pwcca(scoring, A, B)),
        ("pwcca_authors_code", "google pwcca.py", lambda: S.pwcca_authors_code(A, B),
         g(lambda: float(pwcca.compute_pwcca(A.T, B.T)[0]))),
        ("procrustes", "closed form (numpy)", lambda: S.procrustes(A, B), lambda: _procrustes_closed_form(A, B)),
        ("max_match_similarity", "Wang et al. match_utils", lambda: S.max_match_similarity(A, B, a.epsilon),
         None if wang is None else lambda: (lambda m: (len(m[0]) + len(m[1])) / (2 * a.neurons))(
             wang.find_maximal_match(A.T, B.T, a.epsilon))),
        ("simple_match", "", lambda: S.simple_matches(A, B, a.epsilon)["maximum_match"], None),
    ]
    print(f"{a.points} points × {a.neurons} neurons, float64, ε = {a.epsilon}; torch threads "
          f"{torch.get_num_threads()}, {os.cpu_count()} CPUs, load average {_load()}")
    print(f"{'measure':<22} {'reference':<28} {'nnclaims':>10} {'reference':>10} {'ratio':>7}  max |difference|")
    total, single = 0.0, {}
    for name, who, ours, theirs in rows:
        v, t = _timed(ours)
        total += t
        single[name] = v
        if theirs is None:
            print(f"{name:<22} {who or '—':<28} {t:9.2f}s {'—':>10} {'':>7}  value {v}")
            continue
        w, tr = _timed(theirs)
        diff = f"{abs(float(v) - float(w)):.1e}" if not isinstance(v, list) else "—"
        print(f"{name:<22} {who:<28} {t:9.2f}s {tr:9.2f}s {tr / t:6.2f}x  {diff}")
    print(f"{'sum of the rows':<22} {'':<28} {total:9.2f}s")
    report, t = _timed(lambda: S.similarity_report(A, B, epsilon=a.epsilon))
    keys = [k for k in single if k != "simple_match" and report.get(k) is not None]
    worst = max(abs(report[k] - single[k]) / max(abs(single[k]), 1e-300) for k in keys)
    print(f"{'all measures (report)':<22} {'':<28} {t:9.2f}s {'':>10} {'':>7}  max relative |report − single| "
          f"{worst:.1e}")
    print(f"load average after: {_load()} (a loaded machine: the figures are not idle-machine figures)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
