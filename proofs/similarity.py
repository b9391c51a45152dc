r"""Proofs and checked counterexamples of what each representation-similarity measure is invariant to.

What each representation-similarity measure is invariant to, proved at general sizes, with checked
counterexamples where it is not (the invariance table of docs/similarity.md).

Measures are those of :mod:`nnclaims.numeric.similarity` (activations ``A``: n points × p neurons, centred
``X = HA``); transformations act on one network's neurons: ``A → AQ`` (orthogonal), ``A → cA`` (isotropic
scaling, c ≠ 0), ``A → AT`` (invertible linear), ``A → AP`` (permutation), ``A → A + 1bᵀ`` (shift).

Invariances are chains (:class:`~nnclaims.proofs.record.Derivation`) on what a measure depends on:

* the centred Gram :math:`K = XX^\top` (linear, debiased and RBF CKA; SVCCA's reduced representation is
  :math:`U_kS_k` from :math:`K = US^2U^\top`; Procrustes through :math:`K/\operatorname{tr}K`):
  :math:`(XQ)(XQ)^\top = XX^\top` when :math:`QQ^\top = I`;
* the projection :math:`P_X = X(X^\top X)^{-1}X^\top` onto the column space (canonical correlations are the
  singular values of :math:`P_XP_Y` restricted): :math:`P_{XT} = P_X` for invertible T;
* centring: :math:`H(A + \mathbf 1b^\top) = HA` because :math:`H\mathbf 1 = 0`;
* scalars: an HSIC estimator is linear in each Gram, so the CKA ratio is homogeneous of degree 0.

Qualifications (stated with the proofs they qualify): PWCCA's permutation invariance holds when the canonical
correlations are distinct — with a tie, the variates within the tied space are any orthonormal basis of it
(:func:`_canonical_basis_freedom`) and the value depends on the basis the SVD returns, so on the neurons' order.
The maximum match's scale invariance is exact in real arithmetic; in float64 it fails when neurons' scales differ
by a factor near or below ``lstsq``'s cut-off ε·max(points, neurons) (1.1e-14 at 50 points; the independent parity
check saw it at ratios ≤ 1e-12 on its cases), where the cut-off and the conditioning decide the residuals: a limit
of the float64 computation, not of the proof.

Non-invariances: Hypothesis searches small integer cases for a change of more than 1e-3 in float64
(:func:`find_counterexample`), and the change is re-checked at 50 significant digits by an independent
implementation of the measure in mpmath (:func:`mp_measure`; the maximum match exactly, in rationals).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from ._index import Ranges, normalise, reindex
from .record import Derivation, Proof, doit

__all__ = ["MEASURES", "TRANSFORMS", "INVARIANT", "prove_invariance", "invariance_table", "render_table",
           "find_counterexample", "mp_measure", "transform"]

MEASURES = ("linear_cka", "debiased_linear_cka", "rbf_cka", "cca_mean", "svcca", "pwcca", "procrustes",
            "max_match_similarity")
TRANSFORMS = ("orthogonal", "isotropic scaling", "invertible linear", "permutation", "shift")
INVARIANT = {
    "linear_cka": {"orthogonal", "isotropic scaling", "permutation", "shift"},
    "debiased_linear_cka": {"orthogonal", "isotropic scaling", "permutation", "shift"},
    "rbf_cka": {"orthogonal", "isotropic scaling", "permutation", "shift"},
    "cca_mean": set(TRANSFORMS),
    "svcca": {"orthogonal", "isotropic scaling", "permutation", "shift"},
    "pwcca": {"isotropic scaling", "permutation", "shift"},
    "procrustes": {"orthogonal", "isotropic scaling", "permutation", "shift"},
    "max_match_similarity": {"isotropic scaling", "permutation"},
}
"""The table as the suite states it; :func:`prove_invariance` proves each ✓ and refutes each ✗."""

n, p = sp.symbols("n p", integer=True, positive=True)
X = sp.MatrixSymbol("X", n, p)
c = sp.Symbol("c", real=True, nonzero=True)
GRAM_MEASURES = ("linear_cka", "debiased_linear_cka", "rbf_cka", "svcca", "procrustes")


# --- lemmas (each adds checked chains to d) ----------------------------------------------------------------------

def _gram_orthogonal(d: Derivation, what: str):
    """K(XQ) = K(X) for QQᵀ = I (a permutation matrix is orthogonal: perm.inverse-is-transpose)."""
    Q = sp.MatrixSymbol("Q" if what == "orthogonal" else "P", p, p)
    (d.chain((X * Q) * (X * Q).T)
     .assuming(f"{Q.name} orthogonal: {Q.name}ᵀ = {Q.name}⁻¹", {Q.T: Q.I})
     .by(f"{Q.name}{Q.name}⁻¹ = I", doit)
     .then(X * X.T, "= XXᵀ: the centred Gram is unchanged, so is every function of it"))


def _projection(d: Derivation, T: sp.MatrixExpr, hyp: dict, why: str):
    """P_{XT} = P_X: the column space survives an invertible map of the neurons."""
    G = sp.MatrixSymbol("G", p, p)
    start = (X * T) * ((X * T).T * (X * T)).I * (X * T).T
    chain = d.chain(start)
    if hyp:
        chain = chain.assuming(why, hyp)
    (chain.assuming("G = XᵀX, invertible (X of full column rank; otherwise restrict to a basis of its columns)",
                    {X.T * X: G})
     .by("(TᵀGT)⁻¹ = T⁻¹G⁻¹T⁻ᵀ and TT⁻¹ = I", doit)
     .then(X * G.I * X.T, "= P_X: the projection onto the column space, hence every canonical correlation"))


def _shift(d: Derivation):
    r"""(H(A + 1bᵀ))_{rj} = (HA)_{rj}: centring removes a shift."""
    r, s, j = sp.symbols("r s j", integer=True)
    A, b = sp.IndexedBase("A"), sp.IndexedBase("b")
    R = Ranges({r: n, s: n, j: p})
    h = lambda r_, s_: sp.KroneckerDelta(r_, s_) - 1 / n  # noqa: E731  H = I − 11ᵀ/n
    (d.chain(sp.Sum(h(r, s) * (A[s, j] + b[j]), (s, 0, n - 1)))
     .by("evaluate the delta: A_{rj} + b_j − Σ_s (A_{sj} + b_j)/n", normalise, R)
     .then(normalise(sp.Sum(h(r, s) * A[s, j], (s, 0, n - 1)), R),
           "= (HA)_{rj}: the shift b_j cancels (H1 = 0)", via=sp.expand))


def _rbf_shift(d: Derivation):
    """Squared distances between points are unchanged by a shift."""
    i, j, k = sp.symbols("i j k", integer=True)
    A, b = sp.IndexedBase("A"), sp.IndexedBase("b")
    (d.chain(sp.Sum(((A[i, k] + b[k]) - (A[j, k] + b[k])) ** 2, (k, 0, p - 1)))
     .then(sp.Sum((A[i, k] - A[j, k]) ** 2, (k, 0, p - 1)), "= ‖a_i − a_j‖²: b cancels in every difference"))


def _hsic_scaling(d: Derivation, debiased: bool):
    """HSIC estimators are linear in each Gram, so the CKA ratio is homogeneous of degree 0 in K."""
    K, L, J = (sp.MatrixSymbol(nm, n, n) for nm in ("K", "L", "J"))
    if debiased:  # Song et al.'s unbiased estimator on zero-diagonal Grams K̃, J = 11ᵀ (the zero diagonal of c²K is c²K̃)
        h = lambda A_, B_: (sp.Trace(A_ * B_) + sp.Trace(A_ * J) * sp.Trace(B_ * J) / ((n - 1) * (n - 2))  # noqa: E731
                            - 2 * sp.Trace(A_ * B_ * J) / (n - 2))
    else:
        h = lambda A_, B_: sp.Trace(A_ * B_)  # noqa: E731
    d.chain(h(c ** 2 * K, L)).by("pull the scalar out of each trace", doit).then(
        c ** 2 * h(K, L), "= c² HSIC(K, L): linear in the first Gram")
    d.chain(h(K, c ** 2 * L)).by("pull the scalar out of each trace", doit).then(
        c ** 2 * h(K, L), "= c² HSIC(K, L): linear in the second Gram")
    hxy, hxx, hyy, gxy, gxx = sp.symbols("h_KL h_KK h_LL h'_KL h'_KK", positive=True)
    (d.chain(gxy / sp.sqrt(gxx * hyy))
     .assuming("K → c²K under A → cA; the two linearity chains give h' = c²h and h'_KK = c⁴h_KK",
               {gxy: c ** 2 * hxy, gxx: c ** 4 * hxx})
     .then(hxy / sp.sqrt(hxx * hyy), "= CKA(K, L): the ratio does not change"))


def _normalised_gram_scaling(d: Derivation):
    """K/tr K is unchanged by K → c²K (Procrustes normalises ‖X‖²_F = tr K)."""
    K = sp.MatrixSymbol("K", n, n)
    d.chain((c ** 2 * K) / sp.Trace(c ** 2 * K)).by("pull c² out of the trace", doit).then(
        K / sp.Trace(K), "= K/tr K")


def _rbf_scaling(d: Derivation):
    dd, m = sp.symbols("d_ij^2 m", positive=True)
    (d.chain(sp.exp(-(c ** 2 * dd) / (2 * sp.Symbol("m_c", positive=True))))
     .assuming("median(c²D) = c² median(D): c² > 0 keeps the order of the squared distances",
               {sp.Symbol("m_c", positive=True): c ** 2 * m})
     .then(sp.exp(-dd / (2 * m)), "= the unscaled kernel entry: the bandwidth scales with the distances"))


def _variance_fraction_scaling(d: Derivation):
    """SVCCA's cut: the variance fractions s_i²/Σ s_j² do not change when every singular value is scaled by |c|."""
    i, j = sp.symbols("i j", integer=True)
    sv = sp.IndexedBase("s", positive=True)
    (d.chain((c ** 2 * sv[i] ** 2) / sp.Sum(c ** 2 * sv[j] ** 2, (j, 0, p - 1)))
     .then(sv[i] ** 2 / sp.Sum(sv[j] ** 2, (j, 0, p - 1)),
           "= s_i²/Σ s_j²: the same directions are kept (K → c²K keeps the eigenvectors U)"))


def _pwcca_scaling(d: Derivation):
    i, j = sp.symbols("i j", integer=True)
    k = sp.Symbol("k", integer=True, positive=True)
    w, alpha, rho = sp.IndexedBase("w", real=True), sp.IndexedBase("alpha"), sp.IndexedBase("rho")
    (d.chain(sp.Sum(sp.Abs(c * w[j]), (j, 0, p - 1)))
     .by("|c w_j| = |c| |w_j|", lambda e: e.replace(sp.Abs, lambda t: sp.Abs(c) * sp.Abs(sp.cancel(t / c))))
     .then(sp.Abs(c) * sp.Sum(sp.Abs(w[j]), (j, 0, p - 1)), "= |c| α_i: each weight scales by |c|",
           via=sp.factor_terms))
    (d.chain(sp.Sum(sp.Abs(c) * alpha[i] * rho[i], (i, 0, k - 1)) / sp.Sum(sp.Abs(c) * alpha[i], (i, 0, k - 1)))
     .then(sp.Sum(alpha[i] * rho[i], (i, 0, k - 1)) / sp.Sum(alpha[i], (i, 0, k - 1)),
           "= PWCCA: |c| cancels (the canonical correlations ρ_i are scale-free: the projection chain)"))


def _canonical_basis_freedom(d: Derivation):
    r"""Why the permutation invariance of PWCCA needs distinct canonical correlations: within a tied correlation
    ρ, :math:`U_tR\,(\rho I)\,R^\top V_t^\top = \rho\,U_tV_t^\top` for every orthogonal R, so the SVD may return
    any rotation :math:`U_tR` of the tied variates, and :math:`\sum_j|\langle h_i, a_j\rangle|` is not
    rotation-invariant (an L1 sum).  With distinct correlations the variates are fixed up to sign, which |·|
    removes."""
    t = sp.Symbol("t", integer=True, positive=True)
    rho = sp.Symbol("rho", positive=True)
    Ut, Vt, R = sp.MatrixSymbol("U_t", n, t), sp.MatrixSymbol("V_t", n, t), sp.MatrixSymbol("R", t, t)
    (d.chain((Ut * R) * (rho * sp.Identity(t)) * (Vt * R).T)
     .assuming("R orthogonal: Rᵀ = R⁻¹", {R.T: R.I})
     .by("RR⁻¹ = I", doit)
     .then(rho * Ut * Vt.T, "= the same block of the SVD: a tied correlation leaves its variates' basis free, so "
                            "the weights (and PWCCA) are a function of the input only when the correlations are distinct"))


def _pwcca_permutation(d: Derivation):
    _canonical_basis_freedom(d)
    j = sp.Symbol("j", integer=True)
    pi = sp.Function("pi")
    w = sp.IndexedBase("w", real=True)
    R = Ranges({j: p}, perms={pi: p})
    d.chain(sp.Sum(sp.Abs(w[pi(j)]), (j, 0, p - 1))).by("reindex j ↦ π(j)", reindex, R).then(
        sp.Sum(sp.Abs(w[j]), (j, 0, p - 1)), "= α_i: a weight sums over all neurons, in any order")


def _match_scaling(d: Derivation):
    r, nx = sp.symbols("r_x n_x", positive=True)
    Z = sp.MatrixSymbol("Z", sp.Symbol("m", integer=True, positive=True), n)
    G = sp.MatrixSymbol("G", Z.shape[0], Z.shape[0])
    (d.chain((c * Z).T * ((c * Z) * (c * Z).T).I * (c * Z))
     .assuming("G = ZZᵀ invertible (independent neurons; otherwise a basis)", {Z * Z.T: G})
     .by("evaluate", doit)
     .then(Z.T * G.I * Z, "= the projection onto span Z: cZ spans the same space"))
    (d.chain((sp.Abs(c) * r) / (sp.Abs(c) * nx))
     .then(r / nx, "relative distance |c| r / (|c| ‖z‖) = r/‖z‖: every pruning decision is the same"))


def _match_permutation(d: Derivation):
    m = sp.Symbol("m", integer=True, positive=True)
    Z, P = sp.MatrixSymbol("Z", m, n), sp.MatrixSymbol("P", m, m)
    G = sp.MatrixSymbol("G", m, m)
    (d.chain((P * Z).T * ((P * Z) * (P * Z).T).I * (P * Z))
     .assuming("G = ZZᵀ invertible", {Z * Z.T: G})
     .assuming("P orthogonal: Pᵀ = P⁻¹", {P.T: P.I})
     .by("evaluate", doit)
     .then(Z.T * G.I * Z, "= the projection onto span Z: permuted neurons span the same space, and the maximum "
                          "match is a set of neurons, relabelled by the permutation"))


# --- counterexamples -----------------------------------------------------------------------------------------------

ROTATION = np.array([[0.6, -0.8], [0.8, 0.6]])
ROTATION_EXACT = [[Fraction(3, 5), Fraction(-4, 5)], [Fraction(4, 5), Fraction(3, 5)]]


def transform(name: str, A: np.ndarray, param) -> np.ndarray:
    """Apply transformation ``name`` with parameter ``param`` to the neurons (columns) of ``A``."""
    if name == "orthogonal":
        return A @ ROTATION
    if name == "isotropic scaling":
        return A * param
    if name == "invertible linear":
        return A @ np.asarray(param, dtype=float)
    if name == "permutation":
        return A[:, ::-1]
    if name == "shift":
        return A + np.asarray(param, dtype=float)[None, :]
    raise ValueError(name)


def _numeric_measure(name: str, A, B) -> float:
    from nnclaims.numeric import similarity as S

    if name == "max_match_similarity":
        return S.max_match_similarity(A, B, 1e-9)
    return getattr(S, name)(A, B)


def find_counterexample(measure: str, name: str, *, max_examples: int = 2000) -> dict | None:
    """Hypothesis search over integer 6×2 activations (entries in [−3, 3]) and integer transformation parameters
    for a change of the measure by more than 1e-3 (float64); ``None`` when none is found."""
    from hypothesis import find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    mats = st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=6, max_size=6)
    params = {"orthogonal": st.just(None), "isotropic scaling": st.sampled_from([-3, -1, 2]),
              "invertible linear": st.lists(st.lists(st.integers(-30, 30), min_size=2, max_size=2),
                                            min_size=2, max_size=2).filter(lambda T: T[0][0] * T[1][1] != T[0][1] * T[1][0]),
              "permutation": st.just(None), "shift": st.lists(st.integers(-3, 3), min_size=2, max_size=2)}[name]

    def changes(case):
        A, B, param = (np.array(case[0], dtype=float), np.array(case[1], dtype=float), case[2])
        before, after = _numeric_measure(measure, A, B), _numeric_measure(measure, transform(name, A, param), B)
        return bool(np.isfinite(before) and np.isfinite(after) and abs(after - before) > 1e-3)

    try:
        case = find(st.tuples(mats, mats, params), changes,
                    settings=settings(max_examples=max_examples, derandomize=True, database=None, deadline=None))
    except NoSuchExample:
        return None
    return {"A": case[0], "B": case[1], "param": case[2]}


def _exact_transform(name: str, A, param):
    A = [[Fraction(v) for v in row] for row in A]
    if name == "orthogonal":
        return [[sum(r[k] * ROTATION_EXACT[k][j] for k in range(2)) for j in range(2)] for r in A]
    if name == "isotropic scaling":
        return [[v * param for v in r] for r in A]
    if name == "invertible linear":
        return [[sum(r[k] * param[k][j] for k in range(2)) for j in range(2)] for r in A]
    if name == "permutation":
        return [r[::-1] for r in A]
    return [[v + b for v, b in zip(r, param)] for r in A]


def mp_measure(name: str, A, B, dps: int = 50):
    """The measure at ``dps`` significant digits (mpmath), written independently of the float64 code: Grams and
    traces for CKA, SVDs for the canonical correlations and Procrustes; the maximum match exactly (ε = 0)."""
    if name == "max_match_similarity":
        from .subspace import maximum_match

        cols = lambda M: [tuple(Fraction(M[i][j]) for i in range(len(M))) for j in range(len(M[0]))]  # noqa: E731
        X_, Y_ = maximum_match(cols(A), cols(B))
        return mp.mpf(len(X_) + len(Y_)) / (len(A[0]) + len(B[0]))
    with mp.workdps(dps):
        def mat(M):
            M = mp.matrix([[mp.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in r] for r in M])
            for j in range(M.cols):
                mean = sum(M[i, j] for i in range(M.rows)) / M.rows
                for i in range(M.rows):
                    M[i, j] -= mean
            return M

        Xc, Yc = mat(A), mat(B)
        N = Xc.rows
        tr = lambda M: sum(M[i, i] for i in range(M.rows))  # noqa: E731
        if name in ("linear_cka", "debiased_linear_cka", "rbf_cka"):
            def gram(M):
                if name != "rbf_cka":
                    return M * M.T
                G = M * M.T
                D = mp.matrix(N, N)
                for i in range(N):
                    for j in range(N):
                        D[i, j] = G[i, i] + G[j, j] - 2 * G[i, j]
                vals = sorted(D[i, j] for i in range(N) for j in range(N))
                med = (vals[len(vals) // 2 - 1] + vals[len(vals) // 2]) / 2 if len(vals) % 2 == 0 else vals[len(vals) // 2]
                return mp.matrix([[mp.exp(-D[i, j] / (2 * med)) for j in range(N)] for i in range(N)])

            def centre_gram(G):
                G = G.copy()
                if name == "debiased_linear_cka":
                    for i in range(N):
                        G[i, i] = 0
                    means = [sum(G[i, j] for i in range(N)) / (N - 2) for j in range(N)]
                    shift = sum(means) / (2 * (N - 1))
                    means = [m_ - shift for m_ in means]
                    out = mp.matrix([[G[i, j] - means[i] - means[j] for j in range(N)] for i in range(N)])
                    for i in range(N):
                        out[i, i] = 0
                    return out
                means = [sum(G[i, j] for i in range(N)) / N for j in range(N)]
                shift = sum(means) / (2 * N)
                return mp.matrix([[G[i, j] - (means[i] - shift) - (means[j] - shift) for j in range(N)]
                                  for i in range(N)])

            K, L = centre_gram(gram(Xc)), centre_gram(gram(Yc))
            dot = lambda P, Q: sum(P[i, j] * Q[i, j] for i in range(N) for j in range(N))  # noqa: E731
            return dot(K, L) / mp.sqrt(dot(K, K) * dot(L, L))
        if name == "procrustes":
            Xn, Yn = Xc / mp.sqrt(tr(Xc.T * Xc)), Yc / mp.sqrt(tr(Yc.T * Yc))
            s = mp.svd_r(Xn.T * Yn, compute_uv=False)
            return mp.sqrt(max(mp.mpf(0), 2 - 2 * sum(s)))

        def basis(M, keep=None):
            U, S, _ = mp.svd_r(M)
            r = [i for i in range(len(S)) if S[i] > mp.mpf(10) ** (-dps // 2) * S[0]]
            if keep is not None:
                total = sum(S[i] ** 2 for i in r)
                acc, kept = 0, []
                for i in r:
                    kept.append(i)
                    acc += S[i] ** 2
                    if acc >= keep * total - mp.mpf(10) ** -12:
                        break
                r = kept
            return mp.matrix([[U[a, i] for i in r] for a in range(M.rows)]), [S[i] for i in r]

        keep = 0.99 if name == "svcca" else None
        if name == "svcca":
            Ua, Sa = basis(Xc, keep)
            Ub, Sb = basis(Yc, keep)
            Xc = mp.matrix([[Ua[a, i] * Sa[i] for i in range(Ua.cols)] for a in range(N)])
            Yc = mp.matrix([[Ub[a, i] * Sb[i] for i in range(Ub.cols)] for a in range(N)])
        Qa, _ = basis(Xc)
        Qb, _ = basis(Yc)
        U, rho, _ = mp.svd_r(Qa.T * Qb)
        k = min(Qa.cols, Qb.cols)
        rho = [rho[i] for i in range(k)]
        if name in ("cca_mean", "svcca"):
            return sum(rho) / k
        # pwcca: weights from the side with fewer non-constant neurons (A on a tie)
        live = lambda M: sum(1 for j in range(M.cols) if any(M[i, j] != 0 for i in range(N)))  # noqa: E731
        if live(Xc) <= live(Yc):
            H, M = Qa * U, Xc
        else:
            _, _, V = mp.svd_r(Qa.T * Qb)
            H, M = Qb * V.T, Yc
        alpha = [sum(abs(sum(H[a, i] * M[a, j] for a in range(N))) for j in range(M.cols)) for i in range(k)]
        return sum(a * r_ for a, r_ in zip(alpha, rho)) / sum(alpha)


# --- the table ----------------------------------------------------------------------------------------------------

def prove_invariance(measure: str, name: str) -> Proof:
    """Prove that ``measure`` is invariant under transformation ``name`` (general sizes), or refute it with a
    searched counterexample re-checked at 50 digits, as :data:`INVARIANT` says."""
    d = Derivation(f"similarity.{measure}.{name.replace(' ', '-')}",
                   rf"\mathrm{{{measure.replace('_', ' ')}}}(T(A), B) = \mathrm{{{measure.replace('_', ' ')}}}(A, B)",
                   [f"T: {name} of A's neurons", "X = HA (centred), full column rank where an inverse appears"])
    if name not in INVARIANT[measure]:
        cx = find_counterexample(measure, name)
        if cx is None:
            d.fact(f"no counterexample found by the search ({name})", r"\text{search: none}", "Hypothesis", False,
                   refutes=True)
            return d.close(generality="search", general=False, refuted=True)
        A, B, param = cx["A"], cx["B"], cx["param"]
        before = mp_measure(measure, A, B)
        after = mp_measure(measure, _exact_transform(name, A, param), B)
        with mp.workdps(50):
            differs = abs(after - before) > mp.mpf(10) ** -20
        d.fact(f"counterexample (Hypothesis, integer 6×2 activations): A = {A}, B = {B}, parameter {param}: "
               f"{measure} {mp.nstr(before, 12)} → {mp.nstr(after, 12)} (50-digit re-check, independent code)",
               rf"{mp.nstr(before, 12)} \ne {mp.nstr(after, 12)}", "mpmath at 50 digits (exact for the match)",
               differs, refutes=True)
        return d.close(generality="one checked counterexample", general=True, refuted=True,
                       counterexample={"A": A, "B": B, "param": param, "before": float(before), "after": float(after)})
    if name == "shift":
        (_rbf_shift if measure == "rbf_cka" else _shift)(d)
    elif measure in GRAM_MEASURES and name in ("orthogonal", "permutation"):
        _gram_orthogonal(d, name)
    elif measure in ("linear_cka", "debiased_linear_cka") and name == "isotropic scaling":
        _hsic_scaling(d, measure == "debiased_linear_cka")
    elif measure == "rbf_cka" and name == "isotropic scaling":
        _rbf_scaling(d)
    elif measure == "procrustes" and name == "isotropic scaling":
        _normalised_gram_scaling(d)
    elif measure in ("cca_mean", "svcca") and name == "isotropic scaling":
        if measure == "svcca":
            _variance_fraction_scaling(d)
        _projection(d, c * sp.Identity(p), {}, "")
    elif measure == "cca_mean":
        T = sp.MatrixSymbol({"orthogonal": "Q", "permutation": "P"}.get(name, "T"), p, p)
        _projection(d, T, {}, "")
    elif measure == "pwcca" and name == "isotropic scaling":
        _projection(d, c * sp.Identity(p), {}, "")
        _pwcca_scaling(d)
    elif measure == "pwcca" and name == "permutation":
        d.assumptions += ("distinct canonical correlations (with a tie the SVD may return any rotation of the tied "
                          "variates, and permuting the neurons can move PWCCA)",)
        _projection(d, sp.MatrixSymbol("P", p, p), {}, "")
        _pwcca_permutation(d)
        return d.close(generality="general sizes (matrix symbols n × p, index-level sums)", general=True,
                       condition="the canonical correlations are distinct")
    elif measure == "max_match_similarity" and name == "isotropic scaling":
        _match_scaling(d)
    elif measure == "max_match_similarity" and name == "permutation":
        _match_permutation(d)
    else:
        raise AssertionError(f"no proof for {measure} under {name}")
    return d.close(generality="general sizes (matrix symbols n × p, index-level sums)", general=True)


def invariance_table() -> dict[tuple[str, str], Proof]:
    """Every cell of the table: ``{(measure, transformation): Proof}``."""
    return {(m, t): prove_invariance(m, t) for m in MEASURES for t in TRANSFORMS}


def render_table(table: dict[tuple[str, str], Proof]) -> str:
    """Markdown: ✓ proved invariant, ✗ refuted by a checked counterexample, ? otherwise."""
    mark = lambda pr: {"proved": "✓", "refuted": "✗"}.get(pr.outcome, "?")  # noqa: E731
    lines = ["| measure | " + " | ".join(TRANSFORMS) + " |", "|---|" + "---|" * len(TRANSFORMS)]
    lines += [f"| `{m}` | " + " | ".join(mark(table[m, t]) for t in TRANSFORMS) + " |" for m in MEASURES]
    return "\n".join(lines)
