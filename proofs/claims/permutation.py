"""Permutation symmetry of MLPs (seed 001, after D2L §5.4): the claims and where their checks live."""

from ..catalogue import Claim, Mutation, register

SEED = "001_5c5d71341f241ce8.txt"

register(Claim(
    "perm.elementwise-commutes",
    r"applying \(\sigma\) before or after the permutation yields the same result",
    "σ(Z)P = σ(ZP) for any element-wise σ and any permutation matrix P (Z any m×n).",
    proof="nnclaims.proofs.permutation:prove_elementwise_commutes",
    numeric="nnclaims.numeric.permutation:check_elementwise_commutes",
    mutations=(
        Mutation("permutation matrix entries negated, P_kj = −δ(k, π(j))", "nnclaims.proofs.permutation:perm_entry",
                 lambda entry: lambda pi, k, j: -entry(pi, k, j), layers=("symbolic",)),
        Mutation("delta sums left unevaluated (a rewrite that ignores its input)", "nnclaims.proofs.permutation:normalise",
                 lambda normalise: lambda expr, ranges, **kw: expr, layers=("symbolic",)),
        Mutation("numeric permutations replaced by the identity", "nnclaims.numeric.permutation:perm_matrices",
                 lambda perm_matrices: lambda perms, dtype=None: perm_matrices(perms.sort(dim=1).values),
                 layers=("numeric",)),
        Mutation("numeric tolerance infinite", "nnclaims.numeric.permutation:tolerance",
                 lambda tolerance: lambda dtype, size: float("inf"), layers=("numeric",)),
    ),
    established="true",
    source=SEED,
))

register(Claim(
    "perm.orthogonal-commutes",
    r"Consider a permutation matrix \(\mathbf{P} \in \mathbb{R}^{h \times h}\) such that "
    r"\(\mathbf{P} \mathbf{P}^T = \mathbf{I}\)",
    "(probe) σ(Z)P = σ(ZP) for any orthogonal P; the suite must say for which σ and P it fails.",
    proof="nnclaims.proofs.permutation:prove_orthogonal_commutes",
    search="nnclaims.proofs.searches:search_orthogonal_relu",
    numeric="nnclaims.numeric.permutation:check_orthogonal_commutes",
    established="conditional",
    source=SEED,
))

register(Claim(
    "perm.inverse-is-transpose",
    "the beauty of permutation matrices is that their inverse is simply their transpose",
    "A permutation matrix's inverse is its transpose.",
    proof="nnclaims.proofs.permutation:prove_inverse_is_transpose",
    numeric="nnclaims.numeric.permutation:check_inverse_is_transpose",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.row-column-action",
    r"\(\mathbf{P} \mathbf{A}\) will permute the rows of \(\mathbf{A}\), and "
    r"\(\mathbf{A} \mathbf{P}\) will permute the columns of \(\mathbf{A}\)",
    "PA permutes the rows of A, AP its columns.",
    proof="nnclaims.proofs.permutation:prove_row_column_action",
    numeric="nnclaims.numeric.permutation:check_row_column_action",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.forward-invariance",
    r"we could permute the weights \(\mathbf{W}^{(1)}\) of the first layer and likewise "
    "permute the weights of the output layer to obtain the same function",
    "W1→W1P, b1→b1P, W2→PᵀW2, b2 unchanged leaves the output O unchanged (one hidden layer; "
    "also every hidden layer of a deep MLP).",
    proof="nnclaims.proofs.permutation:prove_forward_invariance",
    numeric="nnclaims.numeric.permutation:check_forward_invariance",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.input-rows-break-symmetry",
    r"an arbitrary permutation of the rows of \(\mathbf{W}^{(1)}\) would not have a "
    r"corresponding permissible operation on \(\mathbf{W}^{(2)}\), breaking the symmetry",
    "Permuting the rows of W1 (input features) has no matching operation and changes the function.",
    proof="nnclaims.proofs.permutation:prove_input_rows_break_symmetry",
    numeric="nnclaims.numeric.permutation:check_input_rows_break_symmetry",
    established="conditional",
    search="nnclaims.proofs.search_random:search_input_rows_unchanged",
    source=SEED,
))

register(Claim(
    "perm.loss-invariance",
    r"so the loss \(\mathcal{L}\) remains invatiant under the permutation symmetry",
    "The loss is invariant under the hidden-unit permutation.",
    proof="nnclaims.proofs.permutation:prove_loss_invariance",
    numeric="nnclaims.numeric.permutation:check_loss_invariance",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.mse-output-gradient",
    r"\(\mathbf{H}^T (\mathbf{O} - \mathbf{Y})\) follows from the chain rule of calculus",
    "For L = ½‖O−Y‖², ∂L/∂W2 = Hᵀ(O−Y) and ∂L/∂b2 = Σ rows of (O−Y).",
    proof="nnclaims.proofs.permutation:prove_mse_output_gradient",
    numeric="nnclaims.numeric.permutation:check_mse_output_gradient",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.gradient-equivariance",
    "This means the gradient with respect to the output layer weights has also been permuted "
    "in a consistent manner.",
    "The permuted network's gradients are (∂L/∂W1)P, (∂L/∂b1)P, Pᵀ∂L/∂W2, ∂L/∂b2.",
    proof="nnclaims.proofs.permutation:prove_gradient_equivariance",
    numeric="nnclaims.numeric.permutation:check_gradient_equivariance",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.sgd-equivariance",
    r"remain valid permuted versions of the newly updated \(\mathbf{W}^{(1)}\) and "
    r"\(\mathbf{W}^{(2)}\)",
    "An SGD step keeps the permuted weights a permutation of the updated weights, hence for every "
    "step (also momentum, Adam, weight decay).",
    proof="nnclaims.proofs.permutation:prove_sgd_equivariance",
    numeric="nnclaims.numeric.permutation:check_sgd_equivariance",
    established="true",
    source=SEED,
))

register(Claim(
    "perm.nonunique-minima",
    "multiple sets of weights can yield the same minimum loss",
    "A minimum with distinct hidden units has h! distinct parameter vectors with the same loss.",
    proof="nnclaims.proofs.permutation:prove_nonunique_minima",
    numeric="nnclaims.numeric.permutation:check_nonunique_minima",
    established="true",
    source=SEED,
))
