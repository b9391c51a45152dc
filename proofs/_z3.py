"""Small Z3 helpers shared by the searches.

Small Z3 helpers shared by the searches: a solver in a fresh context, ReLU, lexicographic order, rational
orthogonal matrices and the found/none/unknown ending.

*Limits.*  What decides a search's answer is a deterministic count, never the clock: each solve is limited by
Z3's resource counter (``rlimit``, :data:`RLIMIT` by default), which counts the solver's own steps and so
gives the same answer, idle or under load, locally or on a Ray worker.  The time limit stays as an outer guard
only (a solve that would outlast it is stopped), and a search it stopped says so: its note begins with
:data:`GUARD_NOTE` (``unknown (wall-clock guard)``), since that answer depends on the machine's load.  Every
record gives both: the resources the solver used (``bounds["rlimit"]`` is the limit, ``resources`` the count
used) and its ``seconds``.

*Integer arithmetic.*  Z3's default strategy for nonlinear integer problems (``qfnia``) tries its SMT core for
2 s and nlsat for 3 s of wall-clock time (``try_for``) before other methods, so which method answers, the witness
it gives and the resources it uses depended on the machine's load (the same search gave different witnesses in
processes running side by side).  :func:`solver` therefore solves integer problems with a fixed pipeline without
time-limited steps, :data:`INT_TACTICS`: simplify, then ``nla2bv`` (the bounded integers as bit-vectors; every
variable of these searches has explicit bounds, and ``nla2bv`` fails rather than answer when it finds none) and
``qfbv``, the strategy the bit-vector searches use too (it has no time-limited step).
"""

from __future__ import annotations

import math
import time
from typing import Callable

import z3

from .record import SearchResult


MAX_TIME_LIMIT = 7 * 24 * 3600.0
"""The longest time limit a search accepts, in seconds (a week; Z3 counts milliseconds in 32 bits, 49 days)."""

RLIMIT = 60_000_000
"""The default resource limit of one solve (Z3's ``rlimit``, a count of solver steps, deterministic): about 4× what
the largest search of the catalogue uses (svd-form, 14 million; the record gives each search's count,
``resources``)."""

MAX_RLIMIT = 2 ** 32 - 1
"""Z3's ``rlimit`` is an unsigned 32-bit integer."""

GUARD_NOTE = "wall-clock guard"
"""How an ``unknown`` that the time limit (not the resource limit) decided begins its note."""

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


def check_rlimit(rlimit: int) -> int:
    """A resource limit: an integer from 1 to :data:`MAX_RLIMIT`, else :class:`ValueError`."""
    if isinstance(rlimit, bool) or not isinstance(rlimit, int) or not 1 <= rlimit <= MAX_RLIMIT:
        raise ValueError(f"the resource limit must be an integer from 1 to {MAX_RLIMIT} (got {rlimit})")
    return rlimit


def solver(seed: int, timeout: float, logic: str | None = None, rlimit: int = RLIMIT) -> z3.Solver:
    """A solver in a fresh context (``s.ctx``: build every term in it), so that its answer does not depend on
    what else the process built before.  ``rlimit``: the deterministic limit of each check (Z3 resource
    units); ``timeout`` in seconds (at least 1 ms): the wall-clock guard."""
    check_seed(seed)
    check_rlimit(rlimit)
    if not math.isfinite(timeout):
        raise ValueError(f"the time limit must be a finite number of seconds (got {timeout})")
    ctx = z3.Context()
    s = z3.SolverFor(logic, ctx=ctx) if logic else _int_tactic(ctx).solver()
    s.set("timeout", max(1, min(int(timeout * 1000), 2 ** 32 - 1)))
    s.set("rlimit", rlimit)
    s.set("random_seed", seed)
    return s


def resources(s: z3.Solver) -> int:
    """The resource units (Z3's ``rlimit count``) the solver's checks used so far: deterministic, unlike time."""
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def unknown_note(reason: str, rlimit: int, timeout: float | None = None) -> str:
    """Why a check answered ``unknown``, saying which limit decided: the resource limit (deterministic) or
    the wall-clock guard (reported as such: it depends on the load), else Z3's own reason."""
    if "resource" in reason or "rlimit" in reason:
        return f"resource limit of {rlimit} reached (a deterministic count: the same answer under any load)"
    if reason in ("timeout", "canceled") or "timeout" in reason:
        limit = f" of {timeout:g} s" if timeout is not None else ""
        return f"{GUARD_NOTE}: the time limit{limit} passed before the resource limit (depends on the load)"
    return reason


INT_TACTICS = ("simplify", "propagate-values", "solve-eqs", "elim-uncnstr", "simplify hoist_mul", "nla2bv", "qfbv")
"""The steps of the integer pipeline, in order (no step limited by time)."""


def _int_tactic(ctx: z3.Context) -> z3.Tactic:
    steps = [z3.With(z3.Tactic(t.split()[0], ctx=ctx), hoist_mul=True) if t.endswith("hoist_mul")
             else z3.Tactic(t, ctx=ctx) for t in INT_TACTICS]
    return z3.Then(*steps)


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
           recheck: Callable[[dict], bool], none_note: str, rlimit: int = RLIMIT,
           timeout: float | None = None) -> SearchResult:
    """Run the check: ``found`` with the witness and its independent re-check, ``none`` (UNSAT) with
    ``none_note``, ``unknown`` saying which limit decided (:func:`unknown_note`).  ``bounds`` gains the
    resource limit; the record gives the resources used and the seconds."""
    bounds = {**bounds, "rlimit": rlimit}
    t0 = time.perf_counter()
    res = s.check()
    secs = round(time.perf_counter() - t0, 4)
    used = resources(s)
    if res == z3.sat:
        w = witness(s.model())
        return SearchResult(name, "found", bounds, w, recheck(w), secs, resources=used)
    if res == z3.unsat:
        return SearchResult(name, "none", bounds, seconds=secs, note=none_note, resources=used)
    return SearchResult(name, "unknown", bounds, seconds=secs, note=unknown_note(s.reason_unknown(), rlimit, timeout),
                        resources=used)
