r"""Index-level helpers for proofs at general sizes.

Two rewrites that SymPy does not do on its own, each justified by a stated assumption:

* :func:`normalise` — evaluates ``Sum``/``KroneckerDelta`` and drops the ``Piecewise`` guard
  ``0 <= x <= N-1`` that ``Sum(f*KroneckerDelta(k, x), (k, 0, N-1)).doit()`` leaves, *only* when
  ``x`` is an index known to lie in ``[0, N-1]`` (a free index, or ``π(y)`` for a permutation
  ``π`` of that range).  It also uses injectivity: ``δ(π(a), π(b)) = δ(a, b)``.
* :func:`reindex` — ``Σ_{j<N} f(π(j)) = Σ_{u<N} f(u)`` for a bijection ``π`` of ``{0..N-1}``,
  applied only when the summand depends on ``j`` through ``π(j)`` alone.

>>> import sympy as sp
>>> n = sp.Symbol("n", integer=True, positive=True); i, j, k = sp.symbols("i j k", integer=True)
>>> pi = sp.Function("pi"); A = sp.IndexedBase("A")
>>> r = Ranges({i: n, j: n}, perms={pi: n})
>>> normalise(sp.Sum(A[i, k] * sp.KroneckerDelta(k, pi(j)), (k, 0, n - 1)), r)
A[i, pi(j)]
>>> reindex(sp.Sum(A[i, pi(j)], (j, 0, n - 1)), r)
Sum(A[i, j], (j, 0, n - 1))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Ranges", "normalise", "reindex", "perm_entry", "canonical"]


@dataclass
class Ranges:
    """Index ``x`` lies in ``[0, bounds[x]-1]``; each ``π`` in ``perms`` permutes ``[0, N-1]``."""

    bounds: dict = field(default_factory=dict)
    perms: dict = field(default_factory=dict)

    def bound_of(self, x):
        if x in self.bounds:
            return self.bounds[x]
        if isinstance(x, sp.Function) and x.func in self.perms:
            return self.perms[x.func]
        return None


def perm_entry(pi, k, j):
    r"""Entry ``P_{kj} = δ_{k, π(j)}`` of the permutation matrix of ``π``: ``(AP)_{:,j} = A_{:,π(j)}``."""
    return sp.KroneckerDelta(k, pi(j))


def _implied(rel, ranges: Ranges) -> bool:
    """True when the relational ``rel`` follows from some index's range ``0 <= x <= N-1``."""
    if rel is sp.true:
        return True
    if not isinstance(rel, (sp.GreaterThan, sp.LessThan, sp.StrictGreaterThan, sp.StrictLessThan)):
        return False
    gap = sp.expand(rel.gts - rel.lts)  # rel says gap >= 0 (or > 0)
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        gap = gap - 1  # integers: g > 0  <=>  g - 1 >= 0
    for x in gap.atoms(sp.Symbol, sp.Function) | gap.atoms(sp.Indexed):
        N = ranges.bound_of(x)
        if N is None:
            continue
        if sp.expand(gap - x) == 0 or sp.expand(gap - (N - 1 - x)) == 0:
            return True
    return False


def _drop_guards(expr, ranges: Ranges):
    def guarded(p):
        if not isinstance(p, sp.Piecewise) or len(p.args) != 2 or p.args[1].cond is not sp.true:
            return False
        cond = p.args[0].cond
        parts = cond.args if isinstance(cond, sp.And) else (cond,)
        return all(_implied(c, ranges) for c in parts)

    return expr.replace(guarded, lambda p: p.args[0].expr)


def _injective(expr, ranges: Ranges):
    def is_pp(e):
        return (
            isinstance(e, sp.KroneckerDelta)
            and all(isinstance(a, sp.Function) and a.func in ranges.perms for a in e.args)
            and e.args[0].func == e.args[1].func
        )

    return expr.replace(is_pp, lambda e: sp.KroneckerDelta(e.args[0].args[0], e.args[1].args[0]))


def _delta_vars(f) -> set:
    return {v for dlt in f.atoms(sp.KroneckerDelta) for v in dlt.free_symbols}


def _delta_first(expr):
    """Reorder a multiple sum so that variables occurring in a Kronecker delta are summed innermost."""

    def target(s):
        if not isinstance(s, sp.Sum) or len(s.limits) < 2:
            return False
        dv = _delta_vars(s.function)
        flags = [lim[0] in dv for lim in s.limits]
        return flags != sorted(flags, reverse=True)

    def rewrite(s):
        dv = _delta_vars(s.function)
        lims = sorted(s.limits, key=lambda lim: lim[0] not in dv)
        return sp.Sum(s.function, *lims)

    return expr.replace(target, rewrite)


def _swap_into(expr):
    """``Σ_a A(a) Σ_k δ(a, x(k)) B(k)`` → ``Σ_k Σ_a A(a) δ(a, x(k)) B(k)`` so the delta can act on ``a``."""

    def split(s):
        if not isinstance(s, sp.Sum) or len(s.limits) != 1 or not isinstance(s.function, sp.Mul):
            return None
        a_ = s.limits[0][0]
        def blocked(f):  # the inner delta pins the outer index a but not its own index
            k_ = f.limits[0][0]
            return any(a_ in dl.args and k_ not in dl.args for dl in f.function.atoms(sp.KroneckerDelta))

        inner = [f for f in s.function.args if isinstance(f, sp.Sum) and len(f.limits) == 1 and blocked(f)]
        if len(inner) != 1:
            return None
        S = inner[0]
        rest = sp.Mul(*[f for f in s.function.args if f is not S])
        if S.limits[0][0] in rest.free_symbols:
            return None
        return sp.Sum(sp.Sum(rest * S.function, s.limits[0]), S.limits[0])

    return expr.replace(lambda t: split(t) is not None, split)


def normalise(expr, ranges: Ranges, *, rounds: int = 8):
    """Evaluate sums of Kronecker deltas to a fixed point, dropping only guards implied by ``ranges``."""
    for _ in range(rounds):
        new = _swap_into(_delta_first(sp.expand(expr)))
        new = _injective(_drop_guards(sp.expand(new.doit()), ranges), ranges)
        if new == expr:
            break
        expr = new
    return expr


def canonical(expr):
    """Rename summation variables by nesting depth and position, so alpha-equivalent sums compare equal."""

    def walk(e, depth):
        if isinstance(e, sp.Sum):
            names = [sp.Symbol(f"_s{depth}_{pos}", integer=True) for pos in range(len(e.limits))]
            body = e.function.xreplace({lim[0]: w for lim, w in zip(e.limits, names)})
            lims = []
            for pos, ((v, lo, hi), w) in enumerate(zip(e.limits, names)):
                # a range may use the indices of the limits after it (summed outside it): renamed there too
                outer = {lim[0]: nw for lim, nw in zip(e.limits[pos + 1:], names[pos + 1:])}
                lims.append((w, sp.sympify(lo).xreplace(outer), sp.sympify(hi).xreplace(outer)))
            return sp.Sum(walk(body, depth + 1), *lims)
        if not e.args:
            return e
        return e.func(*[walk(x, depth) for x in e.args])

    return walk(expr, 0)


def reindex(expr, ranges: Ranges):
    """Rewrite ``Σ_{j=0}^{N-1} f(π(j))`` as ``Σ_{j=0}^{N-1} f(j)`` for each permutation ``π`` of ``[0, N-1]``.

    Applies to any limit of a (multiple) sum whose summand depends on ``j`` only through ``π(j)``
    and whose other limits do not depend on ``j``.
    """

    def rewritable(s):
        for pos, (j, lo, hi) in enumerate(s.limits):
            others = [x for p_, lim in enumerate(s.limits) if p_ != pos for x in lim[1:]]
            if lo != 0 or any(sp.sympify(x).has(j) for x in others):
                continue
            for pi, N in ranges.perms.items():
                if sp.expand(hi - (N - 1)) == 0 and s.function.has(pi(j)):
                    if j not in s.function.subs(pi(j), sp.Dummy("u")).free_symbols:
                        return pos, pi
        return None

    def rewrite(s):
        pos, pi = rewritable(s)
        j = s.limits[pos][0]
        return sp.Sum(s.function.subs(pi(j), j), *s.limits)

    for _ in range(4):
        new = expr.replace(lambda t: isinstance(t, sp.Sum) and rewritable(t) is not None, rewrite)
        if new == expr:
            break
        expr = new
    return expr
