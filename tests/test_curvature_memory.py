"""Peak memory of the dense curvature (numeric/curvature.py, numeric/curvature_summary.py) against the budget it
is given: each run in a fresh Python process with one thread and glibc told to serve every allocation above 64 KiB
by ``mmap`` (``MALLOC_MMAP_THRESHOLD_``, which also turns off its sliding threshold), so that freed tensors leave
the resident set at once and its high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs`` after the
inputs and a warm-up) is the peak of what was alive.  That is a count of pages, the same idle or under load.  The
control holds one extra tensor of 30 % of the budget through the same run and must be caught."""

import json
import os
import subprocess
import sys

import pytest

from nnclaims.numeric import curvature as C

CHILD = r"""
import json, sys, torch
torch.set_num_threads(1)
from nnclaims.numeric import curvature as C
from nnclaims.numeric.curvature_summary import hessian_summary

def rss(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

what, d, widths, q, n, budget, extra = json.loads(sys.argv[1])
arch = C.Arch(d=d, widths=tuple(widths), q=q, activation="tanh")
g = torch.Generator().manual_seed(0)
theta = C.init_theta(arch, 1, g)[0]
X = torch.randn(n, d, generator=g, dtype=torch.float64)
Y = torch.randn(n, q, generator=g, dtype=torch.float64)
Ws = [W.T.clone() for W, _ in C.unflatten(theta, arch)]
bs = [b.clone() for _, b in C.unflatten(theta, arch)]

def run(budget):
    if what == "summary":
        return hessian_summary(Ws, bs, "tanh", X, Y, budget=budget)
    return C.dense(theta, X, Y, arch, budget=budget, parts=tuple(what))

small = C.Arch(d=d, widths=(3,), q=q, activation="tanh")  # warm-up: libraries, kernels, thread pools
C.dense(C.init_theta(small, 1, g)[0], X[:4], Y[:4], small)
hessian_summary([torch.ones(3, d, dtype=torch.float64), torch.ones(q, 3, dtype=torch.float64)], None, "tanh",
                X[:4], Y[:4])
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset VmHWM to the current resident set
base = rss("VmRSS")
waste = torch.ones(int(extra * budget) // 8, dtype=torch.float64) if extra else None  # the control's allocation
out = run(budget)
print(json.dumps({"P": arch.P, "peak": rss("VmHWM") - base,
                  "method": out.get("method") if what == "summary" else None}))
"""

ARCH = dict(d=16, widths=(40, 30), q=4, n=128)  # P = 2,034: H alone is 33 MB


def _peak(what, budget, extra=0.0):
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cfg = [what, ARCH["d"], list(ARCH["widths"]), ARCH["q"], ARCH["n"], budget, extra]
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _control(what, budget, peak):
    """The same run holding one more tensor, sized to take the peak 5 % of the budget past the 1.1× line: the
    measurement must see it."""
    extra = (1.15 * budget - peak) / budget
    bad = _peak(what, budget, extra=extra)
    assert bad["peak"] > 1.1 * budget, (bad, budget, peak)


ARCH_C = C.Arch(d=ARCH["d"], widths=ARCH["widths"], q=ARCH["q"])
P = ARCH_C.P


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc (VmHWM reset)")
@pytest.mark.parametrize("parts", [("H",), ("H", "G", "R"), ("R",), ("H", "J")], ids="+".join)
def test_dense_peak_memory_within_budget_and_control_caught(parts):
    # a budget that leaves room for many column products beyond the one the fixed part needs
    budget = C.dense_bytes(P, ARCH["n"], ARCH_C, chunk=1, parts=parts) + 40 * 2 ** 20
    assert C.dense_chunk(P, ARCH["n"], ARCH_C, budget=budget, parts=parts) > 20  # the chunks fill the budget
    ok = _peak(list(parts), budget)
    assert ok["peak"] <= 1.1 * budget, (ok, budget)
    _control(list(parts), budget, ok["peak"])


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc (VmHWM reset)")
def test_hessian_summary_peak_memory_within_budget_and_control_caught():
    budget = 2 * P * P * 8 + 40 * 2 ** 20  # H, eigvalsh's copy of it, 40 MiB for the chunks and the Gram matrix
    ok = _peak("summary", budget)
    assert ok["method"] == "dense" and ok["peak"] <= 1.1 * budget, (ok, budget)
    _control("summary", budget, ok["peak"])


def test_budget_counts_only_the_parts_asked_for():
    """The 3×64 MLP of issue 28 (d = 32, q = 10, n = 512, P = 11,082): H alone (0.92 GiB) fits the 2 GiB budget,
    H, G, R and J together (3.2 GiB) do not."""
    arch = C.Arch(d=32, widths=(64, 64, 64), q=10)
    assert arch.P == 11_082
    assert C.dense_chunk(arch.P, 512, arch, parts=("H",)) >= 1
    assert C.dense_bytes(arch.P, 512, arch, chunk=1, parts=("H",)) < 1.0 * 2 ** 30
    with pytest.raises(C.MemoryBudgetError):
        C.dense_chunk(arch.P, 512, arch)
    # each P × P part counts once: three parts are three times one, J adds n·q·P
    one = C.dense_bytes(P, 64, ARCH_C, chunk=0, parts=("H",))
    assert C.dense_bytes(P, 64, ARCH_C, chunk=0, parts=("H", "G", "R")) == 3 * one == 3 * 8 * P * P
