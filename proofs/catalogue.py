r"""The catalogue: every claim the suite carries, under its ID from ``shared/CLAIMS.md``.

This is the only list of claims in the code base.  The command line, the pytest run and the
report all iterate over :data:`CLAIMS`.  Each :class:`Claim` links (as ``"module:function"``
strings, resolved lazily) to its symbolic proof, its search and its numeric check; any link may
be absent.  ``established`` is the last verdict the suite computed for the claim: it is a
regression guard read only by the tests, never an input to a verdict.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Literal

__all__ = ["Claim", "CLAIMS", "SEEDS", "get_claim", "resolve", "UnknownClaimError"]

Kind = Literal["identity", "empirical"]

SEEDS = {
    "subspace": "000_e17f2a13b7d88bd0.txt",
    "perm": "001_5c5d71341f241ce8.txt",
    "dnfa": "002_e9420a553cf0c538.txt",
    "hessian": "003_df2e47d74155d2f7.txt",
}


@dataclass(frozen=True)
class Claim:
    """One claim: what the seed asserts (not what is true) and where its checks live.

    ``kind`` is ``identity`` for a mathematical statement (verdicts true/false/conditional/open)
    and ``empirical`` for a statement about trained networks (supported/unsupported/open).
    ``form`` is ``forall`` (a witness refutes it) or ``exists`` (a re-checked witness proves it).
    """

    id: str
    seed: str
    quote: str
    statement: str
    kind: Kind = "identity"
    form: Literal["forall", "exists"] = "forall"
    proof: str | None = None
    search: str | None = None
    numeric: str | None = None
    established: str | None = None

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def layers(self) -> dict[str, str | None]:
        return {"symbolic": self.proof, "search": self.search, "numeric": self.numeric}


class UnknownClaimError(KeyError):
    """Raised for an ID that is not in the catalogue."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0])


def resolve(link: str) -> Callable:
    """Import ``"package.module:function"`` and return the function."""
    module, _, name = link.partition(":")
    return getattr(importlib.import_module(module), name)


def _perm(id, quote, statement, **kw):
    return Claim(id, SEEDS["perm"], quote, statement, **kw)


def _sub(id, quote, statement, **kw):
    return Claim(id, SEEDS["subspace"], quote, statement, **kw)


def _dnfa(id, quote, statement, **kw):
    return Claim(id, SEEDS["dnfa"], quote, statement, **kw)


def _hess(id, quote, statement, **kw):
    return Claim(id, SEEDS["hessian"], quote, statement, **kw)


P, N = "nnclaims.proofs.permutation", "nnclaims.numeric.permutation"
I = "nnclaims.proofs.initialisation"
NI = "nnclaims.numeric.initialisation"
D, ND = "nnclaims.proofs.dnfa", "nnclaims.numeric.dnfa"
H, NH = "nnclaims.proofs.hessian", "nnclaims.numeric.hessian"
S, NS = "nnclaims.proofs.subspace", "nnclaims.numeric.subspace"
SS = "nnclaims.proofs.search_subspace"
SR = "nnclaims.proofs.search_random"
SH = "nnclaims.proofs.search_hessian"
SDN = "nnclaims.proofs.search_dnfa"

CLAIMS: tuple[Claim, ...] = (
    # --- Permutation symmetry and initialisation (001) -------------------------------------
    _perm(
        "perm.elementwise-commutes",
        r"applying \(\sigma\) before or after the permutation yields the same result",
        "σ(Z)P = σ(ZP) for any element-wise σ and any permutation matrix P (Z any m×n).",
        proof=f"{P}:prove_elementwise_commutes",
        numeric=f"{N}:check_elementwise_commutes",
        established="true",
    ),
    _perm(
        "perm.orthogonal-commutes",
        r"Consider a permutation matrix \(\mathbf{P} \in \mathbb{R}^{h \times h}\) such that "
        r"\(\mathbf{P} \mathbf{P}^T = \mathbf{I}\)",
        "(probe) σ(Z)P = σ(ZP) for any orthogonal P; the suite must say for which σ and P it fails.",
        proof=f"{P}:prove_orthogonal_commutes",
        search="nnclaims.proofs.searches:search_orthogonal_relu",
        numeric=f"{N}:check_orthogonal_commutes",
        established="conditional",
    ),
    _perm(
        "perm.inverse-is-transpose",
        "the beauty of permutation matrices is that their inverse is simply their transpose",
        "A permutation matrix's inverse is its transpose.",
        proof=f"{P}:prove_inverse_is_transpose",
        numeric=f"{N}:check_inverse_is_transpose",
        established="true",
    ),
    _perm(
        "perm.row-column-action",
        r"\(\mathbf{P} \mathbf{A}\) will permute the rows of \(\mathbf{A}\), and "
        r"\(\mathbf{A} \mathbf{P}\) will permute the columns of \(\mathbf{A}\)",
        "PA permutes the rows of A, AP its columns.",
        proof=f"{P}:prove_row_column_action",
        numeric=f"{N}:check_row_column_action",
        established="true",
    ),
    _perm(
        "perm.forward-invariance",
        r"we could permute the weights \(\mathbf{W}^{(1)}\) of the first layer and likewise "
        "permute the weights of the output layer to obtain the same function",
        "W1→W1P, b1→b1P, W2→PᵀW2, b2 unchanged leaves the output O unchanged (one hidden layer; "
        "also every hidden layer of a deep MLP).",
        proof=f"{P}:prove_forward_invariance",
        numeric=f"{N}:check_forward_invariance",
        established="true",
    ),
    _perm(
        "perm.input-rows-break-symmetry",
        r"an arbitrary permutation of the rows of \(\mathbf{W}^{(1)}\) would not have a "
        r"corresponding permissible operation on \(\mathbf{W}^{(2)}\), breaking the symmetry",
        "Permuting the rows of W1 (input features) has no matching operation and changes the function.",
        proof=f"{P}:prove_input_rows_break_symmetry",
        numeric=f"{N}:check_input_rows_break_symmetry",
        established="conditional",
        search=f"{SR}:search_input_rows_unchanged",
    ),
    _perm(
        "perm.loss-invariance",
        r"so the loss \(\mathcal{L}\) remains invatiant under the permutation symmetry",
        "The loss is invariant under the hidden-unit permutation.",
        proof=f"{P}:prove_loss_invariance",
        numeric=f"{N}:check_loss_invariance",
        established="true",
    ),
    _perm(
        "perm.mse-output-gradient",
        r"\(\mathbf{H}^T (\mathbf{O} - \mathbf{Y})\) follows from the chain rule of calculus",
        "For L = ½‖O−Y‖², ∂L/∂W2 = Hᵀ(O−Y) and ∂L/∂b2 = Σ rows of (O−Y).",
        proof=f"{P}:prove_mse_output_gradient",
        numeric=f"{N}:check_mse_output_gradient",
        established="true",
    ),
    _perm(
        "perm.gradient-equivariance",
        "This means the gradient with respect to the output layer weights has also been permuted "
        "in a consistent manner.",
        "The permuted network's gradients are (∂L/∂W1)P, (∂L/∂b1)P, Pᵀ∂L/∂W2, ∂L/∂b2.",
        proof=f"{P}:prove_gradient_equivariance",
        numeric=f"{N}:check_gradient_equivariance",
        established="true",
    ),
    _perm(
        "perm.sgd-equivariance",
        r"remain valid permuted versions of the newly updated \(\mathbf{W}^{(1)}\) and "
        r"\(\mathbf{W}^{(2)}\)",
        "An SGD step keeps the permuted weights a permutation of the updated weights, hence for every "
        "step (also momentum, Adam, weight decay).",
        proof=f"{P}:prove_sgd_equivariance",
        numeric=f"{N}:check_sgd_equivariance",
        established="true",
    ),
    _perm(
        "perm.nonunique-minima",
        "multiple sets of weights can yield the same minimum loss",
        "A minimum with distinct hidden units has h! distinct parameter vectors with the same loss.",
        proof=f"{P}:prove_nonunique_minima",
        numeric=f"{N}:check_nonunique_minima",
        established="true",
    ),
    _perm(
        "init.constant-symmetry",
        "The hidden layer would behave as if it had only a single unit.",
        "With all hidden-layer weights initialised to one constant c, hidden units stay identical "
        "under SGD forever and the layer acts as one unit.",
        proof=f"{I}:prove_constant_symmetry",
        numeric=f"{NI}:check_constant_symmetry",
        established="conditional",
        search=f"{SR}:search_constant_init_breaks",
    ),
    _perm(
        "init.constant-gradient-all-equal",
        r"the gradient with respect to \(\mathbf{W}^{(1)}\) will have identical elements",
        "Under that initialisation ∇W1 = c′·1 (all entries equal) and every update leaves W1 a "
        "constant matrix.",
        proof=f"{I}:prove_constant_gradient_all_equal",
        numeric=f"{NI}:check_constant_gradient_all_equal",
        established="false",
        search=f"{SR}:search_constant_gradient_entries",
    ),
    _perm(
        "init.dropout-breaks-symmetry",
        "Note that while minibatch stochastic gradient descent would not break this symmetry, "
        "dropout regularization (to be introduced later) would!",
        "Dropout breaks that symmetry while minibatch SGD does not.",
        proof=f"{I}:prove_dropout_breaks_symmetry",
        numeric=f"{NI}:check_dropout_breaks_symmetry",
        established="conditional",
        search=f"{SR}:search_constant_init_breaks",
    ),
    # --- Subspace match (000, after Wang et al. 2018) ---------------------------------------
    _sub(
        "subspace.definitions",
        "Definitions 2.1 - 2.3 follow those given in [7].",
        "Activation vector, representation span, exact match (Defs 2.1–2.3); also Wang et al.'s "
        "ε-approximate match, maximum match and its similarity, and simple match.",
        established="open",
        proof=f"{S}:prove_definitions",
        numeric=f"{NS}:check_definitions",
    ),
    _sub(
        "subspace.johnson-example-3-1",
        "So we have a neural network with identical inputs and identical output activation vectors, "
        "but with no subspace match at the hidden layer.",
        "Example 3.1 as printed (W1 = I, W̃1 = diag(1,−1), W2 = W̃2 = [[1,−1],[1,−1]], ReLU, inputs "
        "(1,1), (−1,−1)) gives identical output activation vectors (zero at each neuron), the hidden "
        "activation sets it prints, and no subspace match at the hidden layer.",
        established="false",
        proof=f"{S}:prove_johnson_example",
        numeric=f"{NS}:check_johnson_example",
    ),
    _sub(
        "subspace.zero-match-exists",
        "it is easy to construct examples where the intermediate representations have no match, "
        "even when the outputs of the network are identical",
        "Two same-architecture ReLU networks can have identical output activation vectors on the "
        "data and no subspace match at a hidden layer.",
        established="true",
        form="exists",
        search=f"{SS}:zero_match_exists",
        numeric=f"{NS}:check_zero_match_exists",
    ),
    _sub(
        "subspace.isomorphic-unmatched",
        "the activation vectors at that layer span isomorphic subspaces",
        "Such unmatched hidden representations may nevertheless span isomorphic subspaces (equal "
        "dimension), with the outputs identical.",
        established="true",
        form="exists",
        search=f"{SS}:isomorphic_unmatched",
        numeric=f"{NS}:check_isomorphic_unmatched",
    ),
    _sub(
        "subspace.symmetry-preserves-match",
        "Isomorphism implies structural equivalence from an algebraic perspective",
        "(probe) Networks related by a function-preserving symmetry (permutation, positive "
        "per-neuron scaling for ReLU) match exactly at every layer.",
        established="true",
        proof=f"{S}:prove_symmetry_preserves_match",
        numeric=f"{NS}:check_symmetry_preserves_match",
    ),
    _sub(
        "subspace.trained-networks-low-hidden-match",
        "we see high similarity at the input and output layers, and low similarity at the hidden "
        "layers",
        "Networks trained from different initialisations show high match at input/output layers "
        "and low match at hidden layers.",
        kind="empirical",
        established="supported",
        numeric=f"{NS}:check_trained_networks_low_hidden_match",
    ),
    # --- Deep Neural Feature Ansatz (002) ---------------------------------------------------
    _dnfa(
        "dnfa.chain-rule-naive",
        "∇fi(hi(x))T=∇fi+1(hi+1(x))TWi, so",
        "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ W_i (the activation-free version in the notes).",
        established="conditional",
        proof=f"{D}:prove_chain_rule_naive",
        numeric=f"{ND}:check_chain_rule_naive",
        search=f"{SR}:search_naive_chain_rule",
    ),
    _dnfa(
        "dnfa.chain-rule",
        "it should really say ∇fi(hi(x))T=∇fi+1(hi+1(x))TDi+1(x)Wi",
        "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ D_{i+1}(x) W_i, i.e. the pre-activation gradient form.",
        established="true",
        proof=f"{D}:prove_chain_rule",
        numeric=f"{ND}:check_chain_rule",
    ),
    _dnfa(
        "dnfa.agop-factorisation",
        "We now instead get WTiWi∝∼WTi(∑x∈DDi+1(x)∇fi+1(hi+1(x))∇fi+1(hi+1(x))TDi+1(x))Wi",
        "AGOP_i = W_iᵀ G_{i+1} W_i, with G_{i+1} the mean outer product of output gradients w.r.t. "
        "the pre-activations of layer i+1.",
        established="true",
        proof=f"{D}:prove_agop_factorisation",
        numeric=f"{ND}:check_agop_factorisation",
    ),
    _dnfa(
        "dnfa.isotropy-equivalence",
        "assuming Wi is invertible, should be the same as",
        "W_iᵀW_i ∝ AGOP_i is equivalent to G_{i+1} ∝ I (assuming W_i is invertible).",
        established="true",
        proof=f"{D}:prove_isotropy_equivalence",
        numeric=f"{ND}:check_isotropy_equivalence",
    ),
    _dnfa(
        "dnfa.any-activation",
        "This last thing also totally works with activation functions other than ReLU",
        "The cancellation holds for any activation function, not only ReLU.",
        established="true",
        proof=f"{D}:prove_any_activation",
        numeric=f"{ND}:check_any_activation",
    ),
    _dnfa(
        "dnfa.tight-frame",
        "the data matrix of the gradients is a constant times a semi-orthogonal matrix",
        "G ∝ I ⇔ the gradients form a tight frame ⇔ their data matrix is a constant times a "
        "semi-orthogonal matrix ⇔ equal L2 mass in every direction.",
        established="true",
        proof=f"{D}:prove_tight_frame",
        numeric=f"{ND}:check_tight_frame",
    ),
    _dnfa(
        "dnfa.svd-form",
        "the right singular vectors are the sequence of highest-variance directions of the data "
        "set of gradients",
        "The ansatz ⇔ the right singular vectors of W_i are the eigenvectors of the AGOP, ordered "
        "by variance of the gradients.",
        established="false",
        proof=f"{D}:prove_svd_form",
        search=f"{SDN}:search_svd_form",
        numeric=f"{ND}:check_svd_form",
    ),
    _dnfa(
        "dnfa.ansatz-holds-trained",
        "Then their Deep Neural Feature Ansatz says that",
        "In trained networks W_iᵀW_i is highly correlated with AGOP_i (the paper's empirical claim).",
        kind="empirical",
        established="conditional",
        numeric=f"{ND}:check_ansatz_holds_trained",
    ),
    _dnfa(
        "dnfa.isotropy-holds-trained",
        "checking that the isotropic version of the ansatz indeed equally holds in a bunch of models",
        "In the same networks the pre-activation gradients are close to isotropic, equally well.",
        kind="empirical",
        established="unsupported",
        numeric=f"{ND}:check_isotropy_holds_trained",
    ),
    # --- Hessian and feature geometry (003) -------------------------------------------------
    _hess(
        "hessian.gauss-newton-split",
        "Let's explicitly work out what that matrix, which is also called the Hessian of the "
        "network, will look like",
        "The loss Hessian is the Jacobian (Gauss–Newton) term plus a term with the loss's first "
        "derivative times the network's second derivatives.",
        established="true",
        proof=f"{H}:prove_gauss_newton_split",
        numeric=f"{NH}:check_gauss_newton_split",
    ),
    _hess(
        "hessian.residual-vanishes",
        "The second term vanishes again, because the loss function is required to be convex at "
        "optima",
        "At a perfect-loss optimum the second term vanishes because the loss is convex at optima "
        "(the reason is checked as well as the conclusion).",
        established="conditional",
        proof=f"{H}:prove_residual_vanishes",
        search=f"{SH}:search_residual_at_optimum",
        numeric=f"{NH}:check_residual_vanishes",
    ),
    _hess(
        "hessian.linear-features-example",
        "So, each entry in the gradient corresponds to one feature of the network.",
        "For f(x) = Σ θ_i g_i(x) + c the Hessian is the Gram matrix of the features g_i and the "
        "constant 1 over the data.",
        established="conditional",
        proof=f"{H}:prove_linear_features_example",
        numeric=f"{NH}:check_linear_features_example",
    ),
    _hess(
        "hessian.feature-gram-at-optimum",
        "inner products of the features over the training data set",
        "At a perfect-loss optimum the Hessian equals the L2 (data) Gram matrix of the features "
        "∂f/∂θ_j.",
        established="conditional",
        proof=f"{H}:prove_feature_gram_at_optimum",
        numeric=f"{NH}:check_feature_gram_at_optimum",
    ),
    _hess(
        "hessian.zero-eigs-feature-rank",
        "Eigenvalues of zero mean the network actually had less independent, orthogonal features "
        "inside it than it had parameters",
        "The number of zero Hessian eigenvalues equals the number of parameters minus the number of "
        "independent features over the data.",
        established="conditional",
        proof=f"{H}:prove_zero_eigs_feature_rank",
        numeric=f"{NH}:check_zero_eigs_feature_rank",
    ),
    _hess(
        "hessian.vector-output",
        "The math should stay the same for multi-dimensional outputs though.",
        "The same math holds for vector outputs and other losses (MSE; softmax cross-entropy, whose "
        "loss Hessian has cross terms).",
        established="conditional",
        proof=f"{H}:prove_vector_output",
        numeric=f"{NH}:check_vector_output",
    ),
    _hess(
        "hessian.earlier-layers-act-derivs",
        "features in earlier layers enter multiplied with derivatives of activation functions",
        "Features of earlier layers enter multiplied by derivatives of activation functions.",
        established="true",
        proof=f"{H}:prove_earlier_layers_act_derivs",
        numeric=f"{NH}:check_earlier_layers_act_derivs",
    ),
    _hess(
        "hessian.layer-orthogonal-basis",
        "Once the bases of two adjacent layers are found, the weight matrix connecting the two "
        "layers can also be transformed into the new basis.",
        "The eigenbasis of a layer's activation Gram (Σ_x a aᵀ) gives mutually orthogonal features; "
        "re-expressing the adjacent weight matrices in it leaves the network's function unchanged.",
        established="conditional",
        proof=f"{H}:prove_layer_orthogonal_basis",
        search=f"{SH}:search_basis_change",
        numeric=f"{NH}:check_layer_orthogonal_basis",
    ),
    _hess(
        "hessian.next-layer-gradient-same",
        "You take the gradient with respect to any preactivation of the next layer.",
        "The gradient of any next-layer pre-activation w.r.t. that neuron's incoming weights is the "
        "same vector (the layer's activations), whichever pre-activation is chosen.",
        established="true",
        proof=f"{H}:prove_next_layer_gradient_same",
        numeric=f"{NH}:check_next_layer_gradient_same",
    ),
    _hess(
        "hessian.information-loss-broadness",
        "information loss about the input tends to lead to basin broadness",
        "Features that depend on the same parts of the input span fewer dimensions, giving more "
        "zero eigenvalues (a broader basin).",
        kind="empirical",
        established="supported",
        numeric=f"{NH}:check_information_loss_broadness",
    ),
)

_BY_ID = {c.id: c for c in CLAIMS}


def get_claim(claim_id: str) -> Claim:
    """Return the claim with this ID or raise :class:`UnknownClaimError` with a one-line message."""
    try:
        return _BY_ID[claim_id]
    except KeyError:
        raise UnknownClaimError(
            f"unknown claim ID {claim_id!r} (run 'nnclaims list' for the {len(CLAIMS)} IDs)"
        ) from None
