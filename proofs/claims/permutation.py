"""The permutation family's claims (seed 001) and the mutations their checks must catch.

Permutation symmetry of MLPs (seed 001, after D2L §5.4): the claims, where their checks live, and the
mutations that each check must catch (one or more per layer the claim has)."""

from dataclasses import replace

from ..registry import Claim, Mutation, register

SEED = "001_5c5d71341f241ce8.txt"
PROOFS, NUMERIC = "nnclaims.proofs.permutation", "nnclaims.numeric.permutation"


# ---- mutants shared by several claims ------------------------------------------------------------------------

def _negated_entry(entry):
    return lambda pi, k, j: -entry(pi, k, j)


def _identity_permutations(random_permutations):
    """Every sampled permutation replaced by the identity (a check with P = I tests nothing)."""
    return lambda networks, size, seed, device: random_permutations(networks, size, seed, device).sort(dim=1).values


def _infinite_tolerance(tolerance):
    return lambda dtype, size: float("inf")


def _w2_not_permuted_numeric(permute_params):
    """The permutation applied on one side only: W1, b1 permuted, W2 left as it is."""
    return lambda params, P: dict(permute_params(params, P), W2=params["W2"])


def _w2_not_permuted_symbolic(matrix_permuted_params):
    from nnclaims.proofs import _mlp as M

    def mutant(p):
        pp = matrix_permuted_params(p)
        return M.Params(pp.W1, pp.b1, p.W2, pp.b2)
    return mutant


def _inverted_status(identity_result):
    """The numeric record's status inverted (consistent ↔ violated), its numbers unchanged."""
    def mutant(*args, **kwargs):
        r = identity_result(*args, **kwargs)
        flip = {"consistent": "violated", "violated": "consistent"}
        return replace(r, status=flip.get(r.status, r.status))
    return mutant


def _holds_as_stated(as_stated_from):
    """The numeric layer reads every claim as holding, whatever its instances show."""
    return lambda errs, tol: "holds"


IDENTITY_PERMUTATION = Mutation("numeric permutations replaced by the identity", f"{NUMERIC}:random_permutations",
                                _identity_permutations, layers=("numeric",))
INFINITE_TOLERANCE = Mutation("numeric tolerance infinite", f"{NUMERIC}:tolerance", _infinite_tolerance,
                              layers=("numeric",))
ONE_SIDE_NUMERIC = Mutation("numeric permutation on one side only (W2 not permuted)", f"{NUMERIC}:permute_params",
                            _w2_not_permuted_numeric, layers=("numeric",))
ONE_SIDE_SYMBOLIC = Mutation("symbolic θ_P with W2 not permuted (PᵀW2 → W2)", f"{PROOFS}:matrix_permuted_params",
                             _w2_not_permuted_symbolic, layers=("symbolic",))
INVERTED_STATUS = Mutation("numeric status inverted", f"{NUMERIC}:identity_result", _inverted_status,
                           layers=("numeric",))
HOLDS_AS_STATED = Mutation("numeric layer reads the claim as holding", f"{NUMERIC}:as_stated_from",
                           _holds_as_stated, layers=("numeric",))


register(Claim(
    "perm.elementwise-commutes",
    r"applying \(\sigma\) before or after the permutation yields the same result",
    "σ(Z)P = σ(ZP) for any element-wise σ and any permutation matrix P (Z any m×n).",
    proof=f"{PROOFS}:prove_elementwise_commutes",
    numeric=f"{NUMERIC}:check_elementwise_commutes",
    mutations=(
        Mutation("permutation matrix entries negated, P_kj = −δ(k, π(j))", f"{PROOFS}:perm_entry", _negated_entry,
                 layers=("symbolic",)),
        Mutation("delta sums left unevaluated (a rewrite that ignores its input)", f"{PROOFS}:normalise",
                 lambda normalise: lambda expr, ranges, **kw: expr, layers=("symbolic",)),
        Mutation("numeric permutations replaced by the identity", f"{NUMERIC}:perm_matrices",
                 lambda perm_matrices: lambda perms, dtype=None: perm_matrices(perms.sort(dim=1).values),
                 layers=("numeric",)),
        INFINITE_TOLERANCE,
    ),
    established="true",
    source=SEED,
))


def _rotation_off_by_a_fifth(rotation):
    import sympy as sp

    return rotation + sp.Matrix([[sp.Rational(1, 5), 0], [0, 0]])


def _even_instead_of_odd(odd_symmetry):
    return lambda act, z: {act(-z): act(z)}


def _accept_anything(recheck):
    return lambda witness: True


def _decoded_off_by_one(decode):
    """Q's first entry read one step (1/D) too high when the Z3 model is decoded."""
    from fractions import Fraction

    def mutant(m, P, Zv, D):
        w = decode(m, P, Zv, D)
        Q = [list(row) for row in w["Q"]]
        Q[0][0] = str(Fraction(Q[0][0]) + Fraction(1, D))
        return dict(w, Q=Q)
    return mutant


def _unsigned(signed_permutations):
    """Signed permutations that flip no sign (plain permutations)."""
    return lambda P: P


register(Claim(
    "perm.orthogonal-commutes",
    r"Consider a permutation matrix \(\mathbf{P} \in \mathbb{R}^{h \times h}\) such that "
    r"\(\mathbf{P} \mathbf{P}^T = \mathbf{I}\)",
    "(probe) σ(Z)P = σ(ZP) for any orthogonal P; the suite must say for which σ and P it fails.",
    proof=f"{PROOFS}:prove_orthogonal_commutes",
    search="nnclaims.proofs.searches:search_orthogonal_relu",
    numeric=f"{NUMERIC}:check_orthogonal_commutes",
    mutations=(
        Mutation("rotation of the counterexamples off by 1/5 (not orthogonal)", f"{PROOFS}:ROTATION",
                 _rotation_off_by_a_fifth, layers=("symbolic",)),
        Mutation("wrong condition: σ assumed even instead of odd", f"{PROOFS}:odd_symmetry", _even_instead_of_odd,
                 layers=("symbolic",)),
        Mutation("search re-check accepts anything", "nnclaims.proofs.searches:recheck_orthogonal_relu",
                 _accept_anything, layers=("search",)),
        Mutation("search witness decoded off by one (Q₀₀ + 1/D)", "nnclaims.proofs.searches:decode_orthogonal",
                 _decoded_off_by_one, layers=("search",)),
        Mutation("numeric signed permutations without a sign flip", f"{NUMERIC}:signed_permutations", _unsigned,
                 layers=("numeric",)),
        INFINITE_TOLERANCE,
        HOLDS_AS_STATED,
    ),
    established="conditional",
    source=SEED,
))


def _forgets_injectivity(normalise):
    """π not known to be a permutation: normalise without the permutation ranges (no δ(π(a), π(b)) = δ(a, b),
    no guard dropped for π(j))."""
    from nnclaims.proofs._index import Ranges

    return lambda expr, ranges, **kw: normalise(expr, Ranges(dict(ranges.bounds), {}), **kw)


register(Claim(
    "perm.inverse-is-transpose",
    "the beauty of permutation matrices is that their inverse is simply their transpose",
    "A permutation matrix's inverse is its transpose.",
    proof=f"{PROOFS}:prove_inverse_is_transpose",
    numeric=f"{NUMERIC}:check_inverse_is_transpose",
    mutations=(
        Mutation("π not known to be a bijection (normalise without the permutation)", f"{PROOFS}:normalise",
                 _forgets_injectivity, layers=("symbolic",)),
        Mutation("permutation matrix entries doubled, P_kj = 2δ(k, π(j))", f"{PROOFS}:perm_entry",
                 lambda entry: lambda pi, k, j: 2 * entry(pi, k, j), layers=("symbolic",)),
        IDENTITY_PERMUTATION,
        INFINITE_TOLERANCE,
    ),
    established="true",
    source=SEED,
))


def _transposed_p(errors):
    """Pᵀ used where P belongs (the inverse permutation)."""
    return lambda A, P, perms: errors(A, P.transpose(1, 2), perms)


register(Claim(
    "perm.row-column-action",
    r"\(\mathbf{P} \mathbf{A}\) will permute the rows of \(\mathbf{A}\), and "
    r"\(\mathbf{A} \mathbf{P}\) will permute the columns of \(\mathbf{A}\)",
    "PA permutes the rows of A, AP its columns.",
    proof=f"{PROOFS}:prove_row_column_action",
    numeric=f"{NUMERIC}:check_row_column_action",
    mutations=(
        Mutation("permutation matrix entries negated, P_kj = −δ(k, π(j))", f"{PROOFS}:perm_entry", _negated_entry,
                 layers=("symbolic",)),
        Mutation("numeric Pᵀ used where P belongs", f"{NUMERIC}:_row_column_errors", _transposed_p,
                 layers=("numeric",)),
        IDENTITY_PERMUTATION,
    ),
    established="true",
    source=SEED,
))

register(Claim(
    "perm.forward-invariance",
    r"we could permute the weights \(\mathbf{W}^{(1)}\) of the first layer and likewise "
    "permute the weights of the output layer to obtain the same function",
    "W1→W1P, b1→b1P, W2→PᵀW2, b2 unchanged leaves the output O unchanged (one hidden layer; "
    "also every hidden layer of a deep MLP).",
    proof=f"{PROOFS}:prove_forward_invariance",
    numeric=f"{NUMERIC}:check_forward_invariance",
    mutations=(ONE_SIDE_SYMBOLIC,
               Mutation("permutation matrix entries negated, P_kj = −δ(k, π(j))", f"{PROOFS}:perm_entry",
                        _negated_entry, layers=("symbolic",)),
               ONE_SIDE_NUMERIC, INFINITE_TOLERANCE, IDENTITY_PERMUTATION),
    established="true",
    source=SEED,
))


def _gradient_without_activation(input_gradient_at_zero):
    """The condition's gradient stated without σ'(b1) (the linear network's W1 W2)."""
    import sympy as sp

    from nnclaims.proofs import _mlp as M

    return lambda p, feature, out=M.c: sp.Sum(p.W1(feature, M.j) * p.W2(M.j, out), (M.j, 0, M.h - 1))


def _inverted_screen(screen):
    return lambda w: not screen(w)


def _condition_always_met(meets):
    import torch

    return lambda params, Q, act_name, tol: torch.ones(params["W1"].shape[0], dtype=torch.bool)


register(Claim(
    "perm.input-rows-break-symmetry",
    r"an arbitrary permutation of the rows of \(\mathbf{W}^{(1)}\) would not have a "
    r"corresponding permissible operation on \(\mathbf{W}^{(2)}\), breaking the symmetry",
    "Permuting the rows of W1 (input features) has no matching operation and changes the function.",
    proof=f"{PROOFS}:prove_input_rows_break_symmetry",
    numeric=f"{NUMERIC}:check_input_rows_break_symmetry",
    search="nnclaims.proofs.search_random:search_input_rows_unchanged",
    mutations=(
        Mutation("wrong step: the condition's gradient without σ'(b1)", f"{PROOFS}:input_gradient_at_zero",
                 _gradient_without_activation, layers=("symbolic",)),
        Mutation("permutation matrix entries negated, Q_ak = −δ(a, τ(k))", f"{PROOFS}:perm_entry", _negated_entry,
                 layers=("symbolic",)),
        Mutation("search re-check accepts anything", "nnclaims.proofs.search_random:recheck_rows_unchanged",
                 _accept_anything, layers=("search",)),
        Mutation("search screen inverted (reports a network whose function changes)",
                 "nnclaims.proofs.search_random:screen_rows_unchanged", _inverted_screen, layers=("search",)),
        Mutation("wrong condition: the numeric condition test accepts every network",
                 f"{NUMERIC}:meets_input_rows_condition", _condition_always_met, layers=("numeric",)),
        INFINITE_TOLERANCE,
        IDENTITY_PERMUTATION,
        HOLDS_AS_STATED,
    ),
    established="conditional",
    source=SEED,
))

register(Claim(
    "perm.loss-invariance",
    r"so the loss \(\mathcal{L}\) remains invatiant under the permutation symmetry",
    "The loss is invariant under the hidden-unit permutation.",
    proof=f"{PROOFS}:prove_loss_invariance",
    numeric=f"{NUMERIC}:check_loss_invariance",
    mutations=(ONE_SIDE_SYMBOLIC, ONE_SIDE_NUMERIC, INFINITE_TOLERANCE, INVERTED_STATUS),
    established="true",
    source=SEED,
))


def _mean_loss(mse):
    """The numeric loss averaged over samples where the claim's loss is a sum."""
    return lambda p, x, y, *act: mse(p, x, y, *act) / x.shape[0]


register(Claim(
    "perm.mse-output-gradient",
    r"\(\mathbf{H}^T (\mathbf{O} - \mathbf{Y})\) follows from the chain rule of calculus",
    "For L = ½‖O−Y‖², ∂L/∂W2 = Hᵀ(O−Y) and ∂L/∂b2 = Σ rows of (O−Y).",
    proof=f"{PROOFS}:prove_mse_output_gradient",
    numeric=f"{NUMERIC}:check_mse_output_gradient",
    mutations=(
        Mutation("loss without the ½", f"{PROOFS}:half_squared_error", lambda f: lambda o, y: (o - y) ** 2,
                 layers=("symbolic",)),
        Mutation("numeric loss a mean instead of a sum", f"{NUMERIC}:mse", _mean_loss, layers=("numeric",)),
        INFINITE_TOLERANCE,
    ),
    established="true",
    source=SEED,
))


def _w2_not_permuted_entries(permuted_params):
    from nnclaims.proofs import _mlp as M

    def mutant(p, perm=None):
        pp = permuted_params(p) if perm is None else permuted_params(p, perm)
        return M.Params(pp.W1, pp.b1, p.W2, pp.b2)
    return mutant


register(Claim(
    "perm.gradient-equivariance",
    "This means the gradient with respect to the output layer weights has also been permuted "
    "in a consistent manner.",
    "The permuted network's gradients are (∂L/∂W1)P, (∂L/∂b1)P, Pᵀ∂L/∂W2, ∂L/∂b2.",
    proof=f"{PROOFS}:prove_gradient_equivariance",
    numeric=f"{NUMERIC}:check_gradient_equivariance",
    mutations=(
        Mutation("symbolic θ_P with W2 not permuted (PᵀW2 → W2)", f"{PROOFS}:permuted_params",
                 _w2_not_permuted_entries, layers=("symbolic",)),
        ONE_SIDE_NUMERIC, INFINITE_TOLERANCE, IDENTITY_PERMUTATION,
    ),
    established="true",
    source=SEED,
))


def _adam_reads_neighbour(update_rules):
    """Adam's second moment reads the gradient at the neighbouring entry k + 1 (not element-wise)."""
    def mutant():
        kk, state, rules = update_rules()
        th, g, mo, v = state
        rules = dict(rules)
        rules["adam"] = [u.subs(g[kk] ** 2, g[kk + 1] ** 2) for u in rules["adam"]]
        return kk, state, rules
    return mutant


def _not_proved(prove):
    return lambda: replace(prove(), outcome="not proved")


register(Claim(
    "perm.sgd-equivariance",
    r"remain valid permuted versions of the newly updated \(\mathbf{W}^{(1)}\) and "
    r"\(\mathbf{W}^{(2)}\)",
    "An SGD step keeps the permuted weights a permutation of the updated weights, hence for every "
    "step (also momentum, Adam, weight decay).",
    proof=f"{PROOFS}:prove_sgd_equivariance",
    numeric=f"{NUMERIC}:check_sgd_equivariance",
    mutations=(
        Mutation("Adam's second moment reads entry k + 1", f"{PROOFS}:_update_rules", _adam_reads_neighbour,
                 layers=("symbolic",)),
        Mutation("gradient equivariance not proved", f"{PROOFS}:prove_gradient_equivariance", _not_proved,
                 layers=("symbolic",)),
        ONE_SIDE_NUMERIC, INFINITE_TOLERANCE,
    ),
    established="true",
    source=SEED,
))


def _units_may_coincide(distinct_units):
    return lambda z3, uf, x, y: z3.BoolVal(True, ctx=uf.ctx)


register(Claim(
    "perm.nonunique-minima",
    "multiple sets of weights can yield the same minimum loss",
    "A minimum with distinct hidden units has h! distinct parameter vectors with the same loss.",
    proof=f"{PROOFS}:prove_nonunique_minima",
    numeric=f"{NUMERIC}:check_nonunique_minima",
    mutations=(
        Mutation("wrong condition: hidden units not required distinct", f"{PROOFS}:distinct_units",
                 _units_may_coincide, layers=("symbolic",)),
        ONE_SIDE_NUMERIC, INFINITE_TOLERANCE,
    ),
    established="true",
    source=SEED,
))
