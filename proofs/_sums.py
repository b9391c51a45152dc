r"""Rewrites of finite sums at symbolic sizes, registered as sound (:func:`nnclaims.proofs.record.sound_rewrite`).

SymPy does not merge a product of sums into a multiple sum, nor move a factor out of one index of a multiple
sum; both are elementary for *finite rectangular* sums (every range is fixed, none depends on another
summation index).  Each rewrite checks its preconditions and returns the expression unchanged when they fail,
so a chain step made with it is an equality by construction; ``tests/test_dnfa.py`` checks both against
explicit sizes (``doit``) and checks that they refuse the cases they must refuse.

>>> import sympy as sp
>>> n = sp.Symbol("n", integer=True, positive=True); j, l = sp.symbols("j l", integer=True)
>>> u, v = sp.IndexedBase("u"), sp.IndexedBase("v")
>>> distribute(sp.Sum(u[j], (j, 0, n - 1)) * sp.Sum(v[l], (l, 0, n - 1)))
Sum(u[j]*v[l], (j, 0, n - 1), (l, 0, n - 1))
>>> factor_out(sp.Sum(u[j] * v[l], (j, 0, n - 1), (l, 0, n - 1)), j)
Sum(v[l]*Sum(u[j], (j, 0, n - 1)), (l, 0, n - 1))
"""

from __future__ import annotations

import sympy as sp

from .record import sound_rewrite

__all__ = ["distribute", "factor_out"]


def _bound(limit) -> set:
    """Symbols the range of a limit ``(var, lo, hi)`` depends on."""
    return set().union(*(sp.sympify(e).free_symbols for e in limit[1:]))


def _merge(m: sp.Mul):
    sums = [f for f in m.args if isinstance(f, sp.Sum)]
    rest = [f for f in m.args if not isinstance(f, sp.Sum)]
    if len(sums) < 2:
        return m
    for s in sums:
        others = [f for f in m.args if f is not s]
        bound = {lim[0] for lim in s.limits}
        if any(bound & f.free_symbols for f in others) or any(bound & _bound(lim) for t in sums for lim in t.limits):
            return m  # an index of one sum occurs outside it (or in a range): not a rectangular product
    return sp.Sum(sp.Mul(*rest) * sp.Mul(*[s.function for s in sums]), *[lim for s in sums for lim in s.limits])


@sound_rewrite("distributivity of finite sums: (Σ_j u_j)(Σ_l v_l) = Σ_j Σ_l u_j v_l when no index of one factor "
               "occurs in another factor or in a range")
def distribute(expr):
    """Every product of two or more finite sums with independent indices, as one multiple sum."""
    return expr.replace(lambda e: isinstance(e, sp.Mul) and sum(isinstance(f, sp.Sum) for f in e.args) >= 2, _merge)


def _split(s: sp.Sum, var):
    pos = [i for i, lim in enumerate(s.limits) if lim[0] == var]
    if len(pos) != 1:
        return s
    lim = s.limits[pos[0]]
    others = [t for i, t in enumerate(s.limits) if i != pos[0]]
    if _bound(lim) & {t[0] for t in others} or any(var in _bound(t) for t in others):
        return s  # not rectangular: Fubini as used here does not apply
    factors = sp.Mul.make_args(s.function)
    dep = [f for f in factors if f.has(var)]
    indep = [f for f in factors if not f.has(var)]
    if not indep:
        return s
    inner = sp.Sum(sp.Mul(*dep), lim)
    return sp.Sum(sp.Mul(*indep) * inner, *others) if others else sp.Mul(*indep) * inner


@sound_rewrite("linearity and Fubini for finite rectangular sums: Σ_{j,x} c_j f(j, x) = Σ_j c_j Σ_x f(j, x) for c_j "
               "free of x, every range free of the other indices")
def factor_out(expr, var):
    """In every sum over ``var`` (among other indices), sum ``var`` innermost and move the factors free of it out."""
    return expr.replace(lambda e: isinstance(e, sp.Sum) and any(lim[0] == var for lim in e.limits),
                        lambda e: _split(e, var))
