"""Deep Neural Feature Ansatz (seed 002, notes on Radhakrishnan et al.): the claims."""

from ..catalogue import Claim, Preregistration, register

SEED = "002_e9420a553cf0c538.txt"

register(Claim(
    "dnfa.chain-rule-naive",
    "∇fi(hi(x))T=∇fi+1(hi+1(x))TWi, so",
    "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ W_i (the activation-free version in the notes).",
    established="conditional",
    proof="nnclaims.proofs.dnfa:prove_chain_rule_naive",
    numeric="nnclaims.numeric.dnfa:check_chain_rule_naive",
    search="nnclaims.proofs.search_random:search_naive_chain_rule",
    source=SEED,
))

register(Claim(
    "dnfa.chain-rule",
    "it should really say ∇fi(hi(x))T=∇fi+1(hi+1(x))TDi+1(x)Wi",
    "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ D_{i+1}(x) W_i, i.e. the pre-activation gradient form.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_chain_rule",
    numeric="nnclaims.numeric.dnfa:check_chain_rule",
    source=SEED,
))

register(Claim(
    "dnfa.agop-factorisation",
    "We now instead get WTiWi∝∼WTi(∑x∈DDi+1(x)∇fi+1(hi+1(x))∇fi+1(hi+1(x))TDi+1(x))Wi",
    "AGOP_i = W_iᵀ G_{i+1} W_i, with G_{i+1} the mean outer product of output gradients w.r.t. "
    "the pre-activations of layer i+1.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_agop_factorisation",
    numeric="nnclaims.numeric.dnfa:check_agop_factorisation",
    source=SEED,
))

register(Claim(
    "dnfa.isotropy-equivalence",
    "assuming Wi is invertible, should be the same as",
    "W_iᵀW_i ∝ AGOP_i is equivalent to G_{i+1} ∝ I (assuming W_i is invertible).",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_isotropy_equivalence",
    numeric="nnclaims.numeric.dnfa:check_isotropy_equivalence",
    source=SEED,
))

register(Claim(
    "dnfa.any-activation",
    "This last thing also totally works with activation functions other than ReLU",
    "The cancellation holds for any activation function, not only ReLU.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_any_activation",
    numeric="nnclaims.numeric.dnfa:check_any_activation",
    source=SEED,
))

register(Claim(
    "dnfa.tight-frame",
    "the data matrix of the gradients is a constant times a semi-orthogonal matrix",
    "G ∝ I ⇔ the gradients form a tight frame ⇔ their data matrix is a constant times a "
    "semi-orthogonal matrix ⇔ equal L2 mass in every direction.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_tight_frame",
    numeric="nnclaims.numeric.dnfa:check_tight_frame",
    source=SEED,
))

register(Claim(
    "dnfa.svd-form",
    "the right singular vectors are the sequence of highest-variance directions of the data "
    "set of gradients",
    "The ansatz ⇔ the right singular vectors of W_i are the eigenvectors of the AGOP, ordered "
    "by variance of the gradients.",
    established="false",
    proof="nnclaims.proofs.dnfa:prove_svd_form",
    search="nnclaims.proofs.search_dnfa:search_svd_form",
    numeric="nnclaims.numeric.dnfa:check_svd_form",
    source=SEED,
))

register(Claim(
    "dnfa.ansatz-holds-trained",
    "Then their Deep Neural Feature Ansatz says that",
    "In trained networks W_iᵀW_i is highly correlated with AGOP_i (the paper's empirical claim).",
    kind="empirical",
    established="conditional",
    numeric="nnclaims.numeric.dnfa:check_ansatz_holds_trained",
    preregistered=Preregistration(
        statistic="least over hidden layers of the median over networks of the uncentred cos(W_lᵀW_l, AGOP_l)",
        threshold=0.9,
        rule="supported when the 95% bootstrap interval of the median lies at or above the threshold at every layer",
        date="2026-11-23",
        conditions=("small init (x0.1)", "rank-1 teacher", "small init (x0.1), rank-1 teacher"),
    ),
    source=SEED,
))

register(Claim(
    "dnfa.isotropy-holds-trained",
    "checking that the isotropic version of the ansatz indeed equally holds in a bunch of models",
    "In the same networks the pre-activation gradients are close to isotropic, equally well.",
    kind="empirical",
    established="unsupported",
    numeric="nnclaims.numeric.dnfa:check_isotropy_holds_trained",
    preregistered=Preregistration(
        statistic="least over hidden layers of the median over networks of the uncentred cos(G_l, I)",
        threshold=0.9,
        rule="supported when the 95% bootstrap interval of the median lies at or above the threshold at every layer",
        date="2026-11-23",
        conditions=("small init (x0.1)", "rank-1 teacher", "small init (x0.1), rank-1 teacher"),
    ),
    source=SEED,
))
