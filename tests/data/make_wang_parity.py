"""Write the parity fixtures for Wang et al.'s subspace-match algorithm (``wang_parity.npz``).

The answers come from the authors' own code, which is *not* part of this repository: pass the path of
``utils/match_utils.py`` from a checkout of MeckyWu/subspace-match (the fixtures were made at commit
``0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c``)::

    python tests/data/make_wang_parity.py /path/to/subspace-match/utils/match_utils.py

Cases (seeded): Gaussian layers of several shapes; layers sharing a subspace (the reference's own unittest
construction); near-zero rows on both sides of the zero thresholds (norms 1e-17 … 1e-10); exact zero rows;
rank-deficient layers; duplicated and rescaled neurons; rows at a relative distance just below and just above
ε.  For each case: the maximum match at ε, the maximal ε, the first neuron's deterministic v-minimal match, a
randomised v-minimal match (``np.random.seed(case)`` before the call) and the minimal ε for a match of size 1.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

COMMIT = "0d184204fd6f55c3b1cb14778c1b2af0ccd4ff0c"
OUT = Path(__file__).with_name("wang_parity.npz")


def _load(path: str):
    spec = importlib.util.spec_from_file_location("wang_match_utils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases(seed: int = 0):
    """``(kind, X, Y, eps)`` tuples, rows = neurons."""
    rng = np.random.default_rng(seed)
    out = []
    g = lambda *s: rng.standard_normal(s)  # noqa: E731
    for k in range(20):  # Gaussian, several shapes and ε
        n1, n2, d = int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(2, 16))
        out.append(("gaussian", g(n1, d), g(n2, d), float(rng.choice([0.1, 0.3, 0.5, 0.8, 0.95]))))
    for k in range(15):  # a shared subspace plus independent neurons (the reference's unittest construction)
        r, d = int(rng.integers(1, 4)), int(rng.integers(6, 20))
        U = g(r, d)
        X = np.vstack([g(int(rng.integers(1, 4)), r) @ U, g(int(rng.integers(0, 4)), d)])
        Y = np.vstack([g(int(rng.integers(1, 4)), r) @ U, g(int(rng.integers(0, 4)), d)])
        X, Y = X + 1e-3 * float(rng.choice([0, 1])) * g(*X.shape), Y + 1e-3 * float(rng.choice([0, 1])) * g(*Y.shape)
        out.append(("shared subspace", X[rng.permutation(len(X))], Y[rng.permutation(len(Y))],
                    float(rng.choice([1e-6, 0.01, 0.1, 0.25]))))
    for k in range(20):  # near-zero rows around both thresholds (1e-16 reference, 1e-12 the project's old one)
        d = int(rng.integers(2, 8))
        X, Y = g(int(rng.integers(1, 5)), d), g(int(rng.integers(1, 5)), d)
        tiny = float(rng.choice([1e-18, 1e-17, 1e-16 / 2, 2e-16, 1e-15, 1e-13, 1e-12 / 2, 2e-12, 1e-10]))
        row = tiny * g(1, d) / np.linalg.norm(g(1, d))
        if k % 2:
            X = np.vstack([X, row])
        else:
            Y = np.vstack([row, Y])
        if k % 5 == 0:
            X, Y = np.vstack([X, np.zeros((1, d))]), Y
        out.append(("near-zero row", X, Y, float(rng.choice([0.1, 0.5, 0.99]))))
    for k in range(15):  # rank-deficient layers: more neurons than the rank
        d, r = int(rng.integers(4, 12)), int(rng.integers(1, 4))
        X = g(int(rng.integers(2, 7)), r) @ g(r, d)
        Y = g(int(rng.integers(2, 7)), r) @ (g(r, d) if k % 3 else X[:r] if len(X) >= r else g(r, d))
        out.append(("rank-deficient", X, Y, float(rng.choice([1e-8, 0.05, 0.3]))))
    for k in range(15):  # duplicated and rescaled neurons, and exact zeros
        d = int(rng.integers(3, 10))
        X = g(int(rng.integers(1, 5)), d)
        dup = X[rng.integers(0, len(X), size=int(rng.integers(1, 4)))] * rng.uniform(-3, 3, size=(1, 1))
        Y = np.vstack([dup, g(int(rng.integers(0, 3)), d), np.zeros((k % 2, d))])
        X = np.vstack([X, X[:1]])
        out.append(("duplicated neurons", X, Y, float(rng.choice([1e-9, 0.2, 0.6]))))
    for k in range(15):  # a row at relative distance just below / just above ε from the other side's span
        d = int(rng.integers(3, 9))
        Y = g(int(rng.integers(1, 3)), d)
        Q, _ = np.linalg.qr(Y.T, mode="complete")
        inside, normal = Q[:, 0], Q[:, -1]
        eps = float(rng.choice([0.1, 0.3]))
        delta = float(rng.choice([-1e-6, 1e-6, -1e-3, 1e-3]))
        t = eps + delta  # sin of the angle to span Y
        x = np.sqrt(1 - t ** 2) * inside + t * normal
        X = np.vstack([x * rng.uniform(0.5, 2), g(int(rng.integers(0, 3)), d)])
        out.append(("at the ε boundary", X, np.vstack([Y, x[None, :] * 0.0 + inside[None, :]]), eps))
    return out


def main(path: str) -> None:
    ref = _load(path)
    data = {"commit": np.array(COMMIT)}
    for k, (kind, X, Y, eps) in enumerate(cases()):
        key = f"{k:03d}"
        data[f"{key}/kind"] = np.array(kind)
        data[f"{key}/X"], data[f"{key}/Y"], data[f"{key}/eps"] = X, Y, np.array(eps)
        mx, my = ref.find_maximal_match(X, Y, eps)
        data[f"{key}/max_x"], data[f"{key}/max_y"] = np.asarray(mx, dtype=np.int64), np.asarray(my, dtype=np.int64)
        data[f"{key}/maximal_epsilon"] = np.array(float(ref.find_maximal_epsilon(X, Y)))
        v = int(mx[0]) if len(mx) else -1
        data[f"{key}/v"] = np.array(v)
        if v >= 0:
            m = ref.find_minimal_match(X, Y, 0, v, eps)
            data[f"{key}/min_x"], data[f"{key}/min_y"] = np.asarray(m[0], dtype=np.int64), np.asarray(m[1], dtype=np.int64)
            np.random.seed(k)
            m = ref.find_minimal_match(X, Y, 0, v, eps, is_random=True)
            data[f"{key}/rmin_x"], data[f"{key}/rmin_y"] = np.asarray(m[0], dtype=np.int64), np.asarray(m[1], dtype=np.int64)
        hi = max(float(ref.find_maximal_epsilon(X, Y)), 1e-3) + 1e-3
        e, ix, iy = ref.find_minimal_epsilon(X, Y, 0.0, hi, min_size=1)
        data[f"{key}/minimal_epsilon"] = np.array(float(e))
        data[f"{key}/minimal_epsilon_hi"] = np.array(hi)
        data[f"{key}/minimal_epsilon_x"], data[f"{key}/minimal_epsilon_y"] = (np.asarray(ix, dtype=np.int64),
                                                                              np.asarray(iy, dtype=np.int64))
    np.savez_compressed(OUT, **data)
    print(f"{OUT}: {len(cases())} cases from the reference at {COMMIT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
