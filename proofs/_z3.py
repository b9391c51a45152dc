"""Small Z3 helpers shared by the searches: a solver in a fresh context, ReLU, lexicographic order, rational
orthogonal matrices and the found/none/unknown ending."""

from __future__ import annotations

import time
from typing import Callable

import z3

from .record import SearchResult


def solver(seed: int, timeout: float, logic: str | None = None) -> z3.Solver:
    """A solver in a fresh context (``s.ctx``: build every term in it), so that its answer does not depend on
    what else the process built before."""
    ctx = z3.Context()
    s = z3.SolverFor(logic, ctx=ctx) if logic else z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout * 1000)))
    s.set("random_seed", seed)
    return s


def relu(t):
    return z3.If(t > 0, t, 0)


def lex_less(a, b):
    """Strict lexicographic order of two integer vectors."""
    return z3.Or([z3.And([a[j] == b[j] for j in range(i)] + [a[i] < b[i]]) for i in range(len(a))])


def lex_le(a, b):
    return z3.Or(lex_less(a, b), z3.And([x == y for x, y in zip(a, b)]))


def rational_orthogonal(s: z3.Solver, size: int, denominator: int, prefix: str = "p") -> list[list[z3.ArithRef]]:
    """Integer ``P`` with ``Q = P / denominator`` orthogonal (``PᵀP = D²I``) and *not* a signed permutation
    (some entry other than 0 and ±D); the constraints are added to ``s``."""
    D = denominator
    P = [[z3.Int(f"{prefix}{i}_{j}", s.ctx) for j in range(size)] for i in range(size)]
    s.add([z3.And(p >= -D, p <= D) for row in P for p in row])
    s.add([z3.Sum([P[k][a] * P[k][b] for k in range(size)]) == (D * D if a == b else 0)
           for a in range(size) for b in range(size)])
    s.add(z3.Or([z3.And(p != 0, p != D, p != -D) for row in P for p in row]))
    return P


def finish(s: z3.Solver, name: str, bounds: dict, witness: Callable[[z3.ModelRef], dict],
           recheck: Callable[[dict], bool], none_note: str) -> SearchResult:
    """Run the check: ``found`` with the witness and its independent re-check, ``none`` (UNSAT) with
    ``none_note``, ``unknown`` with Z3's reason."""
    t0 = time.perf_counter()
    res = s.check()
    secs = round(time.perf_counter() - t0, 4)
    if res == z3.sat:
        w = witness(s.model())
        return SearchResult(name, "found", bounds, w, recheck(w), secs)
    if res == z3.unsat:
        return SearchResult(name, "none", bounds, seconds=secs, note=none_note)
    return SearchResult(name, "unknown", bounds, seconds=secs, note=s.reason_unknown())
