"""Small Z3 helpers shared by the searches.

Small Z3 helpers shared by the searches: a solver in a fresh context, ReLU, lexicographic order, rational
orthogonal matrices and the found/none/unknown ending."""

from __future__ import annotations

import math
import time
from typing import Callable

import z3

from .record import SearchResult


MAX_TIME_LIMIT = 7 * 24 * 3600.0
"""The longest time limit a search accepts, in seconds (a week; Z3 counts milliseconds in 32 bits, 49 days)."""

MAX_SEED = 2 ** 32 - 1
"""Z3's ``random_seed`` is an unsigned 32-bit integer."""


def check_time_limit(timeout: float) -> float:
    """A time limit in seconds: positive, finite and at most :data:`MAX_TIME_LIMIT`, else :class:`ValueError`.

    >>> check_time_limit(2.5)
    2.5
    >>> check_time_limit(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: the time limit must be a positive number of seconds up to 604800 (got nan)
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or not 0 < timeout <= MAX_TIME_LIMIT:
        raise ValueError(f"the time limit must be a positive number of seconds up to {MAX_TIME_LIMIT:.0f} (got {timeout})")
    return timeout


def check_seed(seed: int) -> int:
    """A solver seed in ``0..MAX_SEED``, else :class:`ValueError`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be an integer from 0 to {MAX_SEED} (got {seed})")
    return seed


def solver(seed: int, timeout: float, logic: str | None = None) -> z3.Solver:
    """A solver in a fresh context (``s.ctx``: build every term in it), so that its answer does not depend on
    what else the process built before.  ``timeout`` in seconds (at least 1 ms)."""
    check_seed(seed)
    if not math.isfinite(timeout):
        raise ValueError(f"the time limit must be a finite number of seconds (got {timeout})")
    ctx = z3.Context()
    s = z3.SolverFor(logic, ctx=ctx) if logic else z3.Solver(ctx=ctx)
    s.set("timeout", max(1, min(int(timeout * 1000), 2 ** 32 - 1)))
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
