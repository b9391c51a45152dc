"""Every registered sound rewrite is checked against explicit-size evaluation (issue 25, item 8).

A chain step made by a rewrite in :data:`nnclaims.proofs.record.SOUND_REWRITES` holds *without a check*, so a
rewrite made unsound would silently prove false steps.  Each rewrite gets a property test here: Hypothesis builds
random small expressions of the kind the proofs feed it (Kronecker-delta sums with in-range, out-of-range and
permuted targets; sums over a permutation; products of sums; multiple sums with factors free of an index;
non-rectangular ranges it must refuse), the rewrite is applied, and both sides are evaluated at **explicit sizes**
(N, M substituted, sums unrolled by ``doit``, the permutation an explicit table, every ``A[...]``, ``B[...]`` a
random rational, the free indices every value in their ranges): they must be equal exactly (rationals).

Negative controls: the same property tests, run on unsound variants (a guard dropped that the ranges do not
imply, a delta dropped, a reindexing applied to a range one too short, a factor moved out of a sum over a range
that depends on it, a ReLU factor pulled out whatever its sign), must find a counterexample.

Load-independent: ``derandomize=True`` (fixed examples), ``deadline=None``, ``max_examples`` bounded.
"""

from __future__ import annotations

import itertools
import random

import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nnclaims.proofs import _index, _sums, initialisation, record, subspace
from nnclaims.proofs._index import Ranges

pytestmark = pytest.mark.symbolic

SETTINGS = settings(derandomize=True, deadline=None, max_examples=15, database=None, report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck))

N, M = sp.symbols("N M", integer=True, positive=True)
i, j, l, t = sp.symbols("i j l t", integer=True)  # free indices: i, j < N, l < M, t anything
k, m, u = sp.symbols("k m u", integer=True)  # summation indices
A, B, C = sp.IndexedBase("A"), sp.IndexedBase("B"), sp.IndexedBase("C")
pi = sp.Function("pi")
RANGES = Ranges({i: N, j: N, l: M}, perms={pi: N})

PERMS = {2: (1, 0), 3: (2, 0, 1), 1: (0,)}
ENVS = [dict(N=n, M=mm) for n, mm in ((1, 1), (3, 2))]


def _perm(table):
    class P(sp.Function):
        @classmethod
        def eval(cls, x):
            if x.is_Integer:
                return sp.Integer(table[int(x)]) if 0 <= int(x) < len(table) else None

    return P


def explicit(expr, n, mm, free, values, functions=()):
    """``expr`` at N = n, M = mm, the free indices ``free``, π the table :data:`PERMS` [n], each ``X[idx]`` the
    rational ``values[(X, idx)]`` (drawn on first use), and ``functions`` ((undefined f, explicit Lambda), ...)."""
    e = expr.replace(pi, _perm(PERMS[n])) if expr.has(pi) else expr
    for f, g in functions:
        e = e.replace(f, g)
    e = unroll(e.subs({N: n, M: mm, **free})).doit()
    e = e.replace(lambda x: isinstance(x, sp.Indexed), lambda x: values(x)).doit()
    if not e.is_Rational:
        raise AssertionError(f"not a number at explicit sizes: {e}")
    return e


def unroll(e):
    """Every sum written out term by term, outermost limit first (so a range that uses an outer index is a number
    by the time it is reached); SymPy's (Karr's) convention for an upper end below the lower one."""
    if isinstance(e, sp.Sum):
        *inner, (v, lo, hi) = e.limits
        lo, hi = sp.sympify(lo), sp.sympify(hi)
        if not (lo.is_Integer and hi.is_Integer):
            raise AssertionError(f"not a number at explicit sizes: the range {lo}..{hi} of {e}")
        body = sp.Sum(e.function, *inner) if inner else e.function
        lo, hi, sign = (int(lo), int(hi), 1) if hi >= lo - 1 else (int(hi) + 1, int(lo) - 1, -1)
        return sign * sp.Add(*[unroll(body.xreplace({v: sp.Integer(x)})) for x in range(lo, hi + 1)])
    if not e.args or isinstance(e, (sp.Indexed, sp.Symbol)):
        return e
    return e.func(*[unroll(a) for a in e.args])


def _values(seed):
    rng, table = random.Random(seed), {}

    def value(x):
        idx = tuple(x.indices)
        if not all(v.is_Integer for v in idx):
            raise AssertionError(f"{x}: an index left unevaluated at explicit sizes")
        key = (str(x.base), idx)
        if key not in table:
            table[key] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 4))
        return table[key]

    return value


CHANGED: list[bool] = []
"""Per example of the running property: did the rewrite change the expression (else the equality is trivial)."""


def rewritten_often(prop):
    """Run a property; then at least 3 of its examples must have been changed by the rewrite."""
    CHANGED.clear()
    prop()
    assert sum(CHANGED) >= 3, f"the rewrite changed only {sum(CHANGED)} of {len(CHANGED)} examples: vacuous"


def equal_at_explicit_sizes(lhs, rhs, seed, functions=(), envs=ENVS):
    """lhs == rhs exactly at every environment of ``envs`` and, there, the free indices at the ends of their
    ranges (i, j in {0, N − 1}, l = M − 1) and t just outside, at the top of and beyond [0, N − 1]."""
    CHANGED.append(lhs != rhs)
    if lhs == rhs:
        return
    used = lhs.free_symbols | rhs.free_symbols
    for env in envs:
        n, mm = env["N"], env["M"]
        combos = itertools.product(*[(vals if s in used else vals[:1]) for s, vals in
                                     ((i, (0, n - 1)), (j, (n - 1, 0)), (l, (mm - 1,)), (t, (-1, n - 1, n)))])
        for iv, jv, lv, tv in combos:
            free = {i: iv, j: jv, l: lv, t: tv, k: n - 1, m: 0}  # k, m where they occur free (bound ones stay)
            values = _values(seed)
            a = explicit(lhs, n, mm, free, values, functions)
            b = explicit(rhs, n, mm, free, values, functions)
            assert a == b, (f"not equal at N = {n}, M = {mm}, {free}: {a} ≠ {b}\n"
                                             f"  before: {lhs}\n  after:  {rhs}")


# --- random expressions ----------------------------------------------------------------------------------------------

TARGETS = [j, i, pi(j), pi(i), j + 1, j - 1, l, t, sp.Integer(0), N - 1, N, pi(l)]


@st.composite
def delta_sums(draw):
    """Sums over k < N (sometimes nested in a sum over m < N) of 1–3 factors, at least one a delta on k, with
    targets in range (j, π(j), 0, N − 1), out of range (N, j ± 1, l < M) or unknown (t)."""
    target = st.sampled_from(TARGETS)
    factors = [sp.KroneckerDelta(k, draw(target))]
    for _ in range(draw(st.integers(0, 2))):
        factors.append(draw(st.sampled_from([
            A[i, k], B[k], A[k, j], B[pi(k)], C[k, l], sp.KroneckerDelta(pi(k), pi(j)), sp.KroneckerDelta(k, draw(target)),
            sp.KroneckerDelta(draw(target), draw(target)), sp.Rational(draw(st.integers(-3, 3)), 2)])))
    body = sp.Mul(*factors)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return sp.Sum(body, (k, 0, N - 1))
    if kind == 1:
        return sp.Sum(body, (k, 0, N - 1)) * draw(st.sampled_from([B[j], A[i, j], sp.Integer(2)]))
    if kind == 2:  # the outer index m pinned by an inner delta (the proofs' Σ_a A(a) Σ_k δ(a, x(k)) B(k))
        return sp.Sum(B[m] * sp.Sum(body * sp.KroneckerDelta(m, draw(st.sampled_from([k, pi(k), k + 1]))),
                                    (k, 0, N - 1)), (m, 0, N - 1))
    return sp.Sum(body, (k, 0, N - 1)) + sp.Sum(body.xreplace({k: m}), (m, 0, N - 1))


@st.composite
def permuted_sums(draw):
    """Sums over k whose summand depends on k through π(k) only — or also directly, or over a range that is not
    π's — which reindex must rewrite exactly when that is sound."""
    f = draw(st.sampled_from([A[i, pi(k)], B[pi(k)] ** 2, B[pi(k)] * C[pi(k), j], sp.KroneckerDelta(pi(k), j) * B[k],
                              A[pi(k), k], B[pi(k)] * A[i, j]]))
    hi = draw(st.sampled_from([N - 1, N - 1, N - 2, M - 1]))
    lo = draw(st.sampled_from([0, 0, 1]))
    if draw(st.booleans()):
        return sp.Sum(f * B[m], (k, lo, hi), (m, 0, N - 1))
    return sp.Sum(f, (k, lo, hi))


@st.composite
def sum_products(draw):
    """Products of sums, with independent indices or with one sum's index in the other (or in its range)."""
    s1 = sp.Sum(draw(st.sampled_from([B[k], A[i, k], A[k, k]])), (k, 0, draw(st.sampled_from([N - 1, M - 1]))))
    f2 = draw(st.sampled_from([B[m], C[m, j], A[m, k], B[m] * B[m]]))
    hi2 = draw(st.sampled_from([N - 1, M - 1, k]))
    s2 = sp.Sum(f2, (m, 0, hi2))
    extra = draw(st.sampled_from([sp.Integer(1), B[j], sp.Integer(3)]))
    if draw(st.booleans()):
        return s1 * s2 * extra
    return s1 * s2 * sp.Sum(C[u, u], (u, 0, N - 1)) * extra


@st.composite
def multiple_sums(draw):
    """Σ over (k, m) of a product of factors in k, in m, in both, or in neither, with rectangular or
    dependent ranges; returns (expression, the index to factor out)."""
    factors = draw(st.lists(st.sampled_from([B[k], A[k, m], C[m, j], B[m], sp.Integer(2), A[i, k], B[j]]),
                            min_size=1, max_size=3))
    # SymPy sums the first limit innermost: a range may depend on the indices of the limits after it
    limits = draw(st.sampled_from([[(k, 0, N - 1), (m, 0, M - 1)], [(m, 0, N - 1), (k, 0, N - 1)],
                                   [(m, 0, k), (k, 0, N - 1)], [(k, m, N - 1), (m, 0, N - 1)]]))
    return sp.Sum(sp.Mul(*factors), *limits), draw(st.sampled_from([k, m]))


# --- the property, shared by the rewrites and their unsound variants -------------------------------------------------

def property_normalise(rewrite):
    @SETTINGS
    @given(delta_sums(), st.integers(0, 10 ** 6))
    @example(sp.Sum(A[i, k] * sp.KroneckerDelta(k, j + 1), (k, 0, N - 1)), 0)  # in range only for j < N − 1
    @example(sp.Sum(B[k] * sp.KroneckerDelta(k, l), (k, 0, N - 1)), 0)  # l < M: another range
    @example(sp.Sum(B[k] * sp.KroneckerDelta(pi(k), pi(j)), (k, 0, N - 1)), 0)  # injectivity
    def prop(expr, seed):
        equal_at_explicit_sizes(expr, rewrite(expr, RANGES), seed)

    rewritten_often(prop)


def property_reindex(rewrite):
    @SETTINGS
    @given(permuted_sums(), st.integers(0, 10 ** 6))
    @example(sp.Sum(A[i, pi(k)], (k, 0, N - 2)), 0)  # k ≤ N − 2: not π's whole range, no bijection to reindex by
    @example(sp.Sum(B[pi(k)] ** 2, (k, 1, N - 1)), 0)  # k ≥ 1: likewise
    @example(sp.Sum(B[pi(k)] * C[pi(k), j], (k, 0, N - 1)), 0)  # the whole range: reindexing is sound
    def prop(expr, seed):
        equal_at_explicit_sizes(expr, rewrite(expr, RANGES), seed)

    rewritten_often(prop)


def property_distribute(rewrite):
    @SETTINGS
    @given(sum_products(), st.integers(0, 10 ** 6))
    def prop(expr, seed):
        equal_at_explicit_sizes(expr, rewrite(expr), seed)

    rewritten_often(prop)


def property_factor_out(rewrite):
    @SETTINGS
    @given(multiple_sums(), st.integers(0, 10 ** 6))
    def prop(case, seed):
        expr, var = case
        equal_at_explicit_sizes(expr, rewrite(expr, var), seed)

    rewritten_often(prop)


def property_canonical(rewrite):
    @SETTINGS
    @given(st.one_of(delta_sums(), multiple_sums().map(lambda c: c[0]), sum_products()), st.integers(0, 10 ** 6))
    def prop(expr, seed):
        equal_at_explicit_sizes(expr, rewrite(expr), seed)

    rewritten_often(prop)


def test_normalise_against_explicit_sizes():
    property_normalise(_index.normalise)


def test_reindex_against_explicit_sizes():
    property_reindex(_index.reindex)


def test_distribute_against_explicit_sizes():
    property_distribute(_sums.distribute)


def test_factor_out_against_explicit_sizes():
    property_factor_out(_sums.factor_out)


def test_canonical_against_explicit_sizes():
    property_canonical(_index.canonical)


def test_canonical_renames_an_index_in_the_ranges_that_use_it():
    """Σ_m Σ_{k ≥ m} B_k: renaming m must rename it in k's range too (it did not: m became free there, so
    equal() took Σ_{m'} Σ_{k ≥ m} B_k, with m free, for the same sum)."""
    dependent = sp.Sum(B[k], (k, m, N - 1), (m, 0, N - 1))
    other = sp.Sum(B[k], (k, m, N - 1), (u, 0, N - 1))  # m free: N · Σ_{k ≥ m} B_k
    assert not _index.canonical(dependent).has(m)
    assert record.equal(dependent, dependent) and not record.equal(dependent, other)
    equal_at_explicit_sizes(dependent, _index.canonical(dependent), 0)


def test_doit_against_explicit_sizes():
    property_canonical(record.doit)


# --- the rewrites actually do something (else the properties above would hold trivially) -----------------------

def test_the_rewrites_change_the_expressions_they_are_given():
    pj = sp.Sum(A[i, k] * sp.KroneckerDelta(k, pi(j)), (k, 0, N - 1))
    assert _index.normalise(pj, RANGES) == A[i, pi(j)]
    assert _index.reindex(sp.Sum(B[pi(k)], (k, 0, N - 1)), RANGES) == sp.Sum(B[k], (k, 0, N - 1))
    assert isinstance(_sums.distribute(sp.Sum(B[k], (k, 0, N - 1)) * sp.Sum(B[m], (m, 0, N - 1))), sp.Sum)
    s = sp.Sum(B[k] * A[k, m], (k, 0, N - 1), (m, 0, M - 1))
    assert _sums.factor_out(s, m) == sp.Sum(B[k] * sp.Sum(A[k, m], (m, 0, M - 1)), (k, 0, N - 1))


# --- negative controls: unsound variants are caught by the same properties ------------------------------------------

def test_control_normalise_dropping_every_guard_is_caught(monkeypatch):
    """Guards dropped whether or not the ranges imply them (e.g. δ(k, j + 1) with j = N − 1)."""
    monkeypatch.setattr(_index, "_implied", lambda rel, ranges: True)
    with pytest.raises(AssertionError, match="not equal"):
        property_normalise(_index.normalise)


def test_control_normalise_off_by_one_range_is_caught(monkeypatch):
    """A guard taken as implied when it is within one of an index's range (0 − 1 <= x <= N − 1 + 1): drops the
    guard of δ(k, j + 1), wrong at j = N − 1."""
    original = _index._implied

    def off_by_one(rel, ranges):
        if original(rel, ranges):
            return True
        if not isinstance(rel, (sp.GreaterThan, sp.LessThan, sp.StrictGreaterThan, sp.StrictLessThan)):
            return False
        gap = sp.expand(rel.gts - rel.lts) - (1 if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)) else 0)
        for x in gap.atoms(sp.Symbol, sp.Function):
            Nx = ranges.bound_of(x)
            if Nx is not None and any(sp.expand(gap - base) in (-1, 0, 1) for base in (x, Nx - 1 - x)):
                return True
        return False

    monkeypatch.setattr(_index, "_implied", off_by_one)
    with pytest.raises(AssertionError, match="not equal"):
        property_normalise(_index.normalise)


def test_control_normalise_dropping_a_delta_is_caught():
    """A delta dropped after the sums are evaluated (δ(a, b) → 1)."""
    dropped = lambda e, r: _index.normalise(e, r).replace(sp.KroneckerDelta, lambda a, b: sp.Integer(1))  # noqa: E731
    with pytest.raises(AssertionError, match="not equal"):
        property_normalise(dropped)


def test_control_reindex_on_a_range_one_short_is_caught(monkeypatch):
    """π reindexed over k ≤ N − 2 too: treats π as a bijection of a range it does not permute."""
    def short(expr, ranges):
        def rewrite(s):
            (v, lo, hi), = s.limits[:1]
            return sp.Sum(s.function.subs(pi(v), v), *s.limits)
        return expr.replace(lambda e: isinstance(e, sp.Sum) and e.function.has(pi(e.limits[0][0]))
                            and sp.expand(e.limits[0][2] - (N - 2)) == 0, rewrite)

    with pytest.raises(AssertionError, match="not equal"):
        property_reindex(lambda e, r: _index.reindex(short(e, r), r))


def test_control_reindex_when_the_summand_also_uses_k_is_caught():
    """π(k) → k while k also occurs outside π (e.g. δ(π(k), j)·B[k]): unsound."""
    naive = lambda e, r: e.replace(lambda s: isinstance(s, sp.Sum), lambda s: sp.Sum(  # noqa: E731
        s.function.subs(pi(s.limits[0][0]), s.limits[0][0]), *s.limits))
    with pytest.raises(AssertionError, match="not equal"):
        property_reindex(naive)


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
def test_control_distribute_with_a_dependent_range_is_caught():
    """Products merged with no precondition: (Σ_k a_k)(Σ_{m ≤ k} b_m) becomes a sum whose range uses k."""
    def merge_all(expr):
        def merge(e):
            sums = [f for f in e.args if isinstance(f, sp.Sum)]
            rest = [f for f in e.args if not isinstance(f, sp.Sum)]
            return sp.Sum(sp.Mul(*rest) * sp.Mul(*[s.function for s in sums]), *[lim for s in sums for lim in s.limits])
        return expr.replace(lambda e: isinstance(e, sp.Mul) and sum(isinstance(f, sp.Sum) for f in e.args) >= 2, merge)

    with pytest.raises(AssertionError, match="not equal|not a number|unevaluated"):
        property_distribute(merge_all)


def test_control_factor_out_over_a_dependent_range_is_caught(monkeypatch):
    """Fubini applied to a triangular range (the precondition check removed)."""
    monkeypatch.setattr(_sums, "_bound", lambda limit: set())
    with pytest.raises(AssertionError, match="not equal|not a number|unevaluated"):
        property_factor_out(_sums.factor_out)


def test_control_canonical_capturing_a_free_index_is_caught():
    """Renaming a bound index to a free one (k → j) captures j: not a renaming."""
    capture = lambda e: e.replace(lambda s: isinstance(s, sp.Sum), lambda s: sp.Sum(  # noqa: E731
        s.function.xreplace({s.limits[0][0]: j}), (j,) + tuple(s.limits[0][1:]), *s.limits[1:]))
    with pytest.raises(AssertionError, match="not equal"):
        property_canonical(capture)


# --- the other registered rewrites --------------------------------------------------------------------------------

x_, y_ = sp.symbols("x y")
c_pos = sp.Symbol("c", positive=True)
RELU_EXPLICIT = sp.Lambda(sp.Symbol("_z"), sp.Max(0, sp.Symbol("_z")))


@st.composite
def relu_terms(draw):
    """relu(c·u) with c a positive symbol, a negative factor, a number or an unknown-sign symbol, inside sums."""
    fac = draw(st.sampled_from([c_pos, -c_pos, sp.Integer(2), sp.Integer(-3), x_, c_pos * x_, sp.Rational(1, 2)]))
    arg = draw(st.sampled_from([B[k], B[k] - B[j], A[i, k] * 3, x_ - B[k]]))
    term = draw(st.sampled_from([B[k], sp.Integer(1), A[k, j]])) * subspace.RELU(fac * arg)
    return sp.Sum(term, (k, 0, N - 1)) if draw(st.booleans()) else term.xreplace({k: i})


def property_relu(rewrite, c_values=(sp.Rational(3, 2), sp.Rational(1, 3))):
    @SETTINGS
    @given(relu_terms(), st.integers(0, 10 ** 6), st.sampled_from(c_values), st.integers(-3, 3))
    def prop(expr, seed, c, xv):
        equal_at_explicit_sizes(expr.subs({c_pos: c, x_: xv}), rewrite(expr).subs({c_pos: c, x_: xv}), seed,
                                functions=[(subspace.RELU, RELU_EXPLICIT)])

    rewritten_often(prop)


def test_relu_pull_positive_against_explicit_sizes():
    property_relu(subspace.relu_pull_positive)


def test_control_relu_pulling_out_any_factor_is_caught():
    """relu(c u) → c relu(u) for every factor, negative ones included."""
    def any_factor(expr):
        def pull(v):
            if isinstance(v, sp.Mul) and len(v.args) > 1:
                return v.args[0] * subspace.RELU(sp.Mul(*v.args[1:]))
            return subspace.RELU(v)
        return expr.replace(subspace.RELU, pull)

    with pytest.raises(AssertionError, match="not equal"):
        property_relu(any_factor)


F_ = sp.Function("F")
F_EXPLICIT = sp.Lambda(x_, x_ ** 3 - 2 * x_)


@st.composite
def subs_points(draw):
    """ℓ'(p) with p a sum (the points evaluate_points evaluates), times other terms."""
    point = draw(st.sampled_from([sp.Sum(B[k], (k, 0, N - 1)), sp.Sum(sp.Integer(2), (k, 0, N - 1)) + B[j],
                                  sp.Sum(A[i, k] * B[k], (k, 0, N - 1))]))
    return sp.Subs(sp.Derivative(F_(x_), x_), x_, point) * draw(st.sampled_from([sp.Integer(1), B[i]]))


def property_points(rewrite):
    @SETTINGS
    @given(subs_points(), st.integers(0, 10 ** 6))
    def prop(expr, seed):
        equal_at_explicit_sizes(expr, rewrite(expr), seed, functions=[(F_, F_EXPLICIT)])

    rewritten_often(prop)


def test_evaluate_points_against_explicit_sizes():
    property_points(initialisation.evaluate_points)


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
def test_control_evaluate_points_off_by_one_is_caught():
    """The point's sum evaluated over one term too many."""
    def one_more(expr):
        return expr.replace(lambda e: isinstance(e, sp.Subs), lambda e: sp.Subs(e.expr, e.variables, tuple(
            p.replace(lambda s: isinstance(s, sp.Sum), lambda s: sp.Sum(s.function, (s.limits[0][0], s.limits[0][1],
                                                                               s.limits[0][2] + 1))).doit()
            for p in e.point)))

    with pytest.raises(AssertionError, match="not equal"):
        property_points(one_more)


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
def test_example_pull_out_scale_against_explicit_sizes():
    """The example plugin's rewrite (relu_homogeneity.claims.pull_out_scale), sound for α_j > 0: checked with
    positive α; its control, α of either sign, is caught."""
    claims = pytest.importorskip("relu_homogeneity.claims")
    alpha, relu = claims.alpha, claims.relu

    def prop_for(sign):
        @SETTINGS
        @given(st.sampled_from([B[k], B[k] - B[j], A[i, k]]), st.integers(0, 10 ** 6))
        def prop(arg, seed):
            expr = sp.Sum(B[k] * relu(alpha[k] * arg), (k, 0, N - 1))
            rng = random.Random(seed)
            vals = {}
            positive = lambda e: vals.setdefault(e, sign * sp.Rational(rng.randint(1, 9), rng.randint(1, 4)))  # noqa: E731
            fix = lambda e: e.replace(lambda s: isinstance(s, sp.Indexed) and s.base == alpha,  # noqa: E731
                                      lambda s: alpha[s.indices[0]])
            lhs, rhs = expr, claims.pull_out_scale(expr)
            assert lhs != rhs
            for n in (1, 2, 3):
                values = _values(seed)
                both = [fix(e).subs(N, n).doit() for e in (lhs, rhs)]
                both = [e.replace(lambda s: isinstance(s, sp.Indexed) and s.base == alpha, positive) for e in both]
                a, b = (explicit(e, n, 1, {i: n - 1, j: 0}, values, [(relu, RELU_EXPLICIT)]) for e in both)
                assert a == b, f"not equal at N = {n}: {a} ≠ {b}"

        prop()

    prop_for(1)
    with pytest.raises(AssertionError, match="not equal"):
        prop_for(-1)


@st.composite
def rational_functions(draw):
    """Small rational functions of x, y with integer coefficients, powers and products (for SymPy's own rewrites)."""
    atom = st.sampled_from([x_, y_, x_ + 1, x_ - y_, 2 * x_ + 3, y_ ** 2 + 1])
    power = st.sampled_from([sp.Integer(1), x_ ** y_ * x_, x_ ** y_ * x_ ** 2, (x_ + 1) ** y_ * (x_ + 1)])
    terms = draw(st.lists(st.tuples(atom, st.integers(-2, 3), st.integers(-3, 3), atom, power),
                          min_size=1, max_size=3))
    return sp.Add(*[c * a ** p * b * e for a, p, c, b, e in terms])


def property_sympy(rewrite):
    @SETTINGS
    @given(rational_functions(), st.integers(1, 5), st.integers(-4, 4).filter(lambda v: v not in (-1, 0, 1)))
    def prop(expr, xv, yv):
        after = rewrite(expr)
        at = {x_: sp.Rational(xv, 3), y_: yv}
        CHANGED.append(after != expr)
        a, b = expr.subs(at), after.subs(at)
        assert a.is_Rational and b.is_Rational and a == b, f"not equal at {at}: {a} ≠ {b} ({expr} → {after})"

    rewritten_often(prop)


BUILTINS = [sp.expand, sp.expand_mul, sp.factor, sp.together, sp.cancel, sp.powsimp, sp.simplify]


@pytest.mark.parametrize("rewrite", BUILTINS, ids=lambda f: f.__name__)
def test_sympy_rewrites_against_explicit_values(rewrite):
    property_sympy(rewrite)


@pytest.mark.slow  # over 9 s alone on an idle 2-core machine (fast-tier budget: docs/getting-started.md)
def test_control_a_wrong_sympy_rewrite_is_caught():
    """expand with the last term dropped."""
    with pytest.raises(AssertionError, match="not equal"):
        property_sympy(lambda e: sp.Add(*sp.Add.make_args(sp.expand(e))[:-1]) if len(sp.Add.make_args(sp.expand(e))) > 1
                       else sp.expand(e) + 1)


def test_every_registered_rewrite_has_a_property_test():
    """A rewrite registered as sound without a property test here fails this test."""
    pytest.importorskip("relu_homogeneity.claims")
    from relu_homogeneity.claims import pull_out_scale

    tested = {_index.normalise, _index.reindex, _index.canonical, record.doit, _sums.distribute, _sums.factor_out,
              subspace.relu_pull_positive, initialisation.evaluate_points, pull_out_scale, *BUILTINS}
    missing = [getattr(f, "__qualname__", f) for f in record.SOUND_REWRITES if f not in tested]
    assert not missing, f"registered as sound with no property test: {missing}"
