"""Hessian and feature geometry (seed 003): the claims."""

from ..catalogue import Claim, Preregistration, register

SEED = "003_df2e47d74155d2f7.txt"

register(Claim(
    "hessian.gauss-newton-split",
    "Let's explicitly work out what that matrix, which is also called the Hessian of the "
    "network, will look like",
    "The loss Hessian is the Jacobian (Gauss–Newton) term plus a term with the loss's first "
    "derivative times the network's second derivatives.",
    established="true",
    proof="nnclaims.proofs.hessian:prove_gauss_newton_split",
    numeric="nnclaims.numeric.hessian:check_gauss_newton_split",
    source=SEED,
))

register(Claim(
    "hessian.residual-vanishes",
    "The second term vanishes again, because the loss function is required to be convex at "
    "optima",
    "At a perfect-loss optimum the second term vanishes because the loss is convex at optima "
    "(the reason is checked as well as the conclusion).",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_residual_vanishes",
    search="nnclaims.proofs.search_hessian:search_residual_at_optimum",
    numeric="nnclaims.numeric.hessian:check_residual_vanishes",
    source=SEED,
))

register(Claim(
    "hessian.linear-features-example",
    "So, each entry in the gradient corresponds to one feature of the network.",
    "For f(x) = Σ θ_i g_i(x) + c the Hessian is the Gram matrix of the features g_i and the "
    "constant 1 over the data.",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_linear_features_example",
    numeric="nnclaims.numeric.hessian:check_linear_features_example",
    source=SEED,
))

register(Claim(
    "hessian.feature-gram-at-optimum",
    "inner products of the features over the training data set",
    "At a perfect-loss optimum the Hessian equals the L2 (data) Gram matrix of the features "
    "∂f/∂θ_j.",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_feature_gram_at_optimum",
    numeric="nnclaims.numeric.hessian:check_feature_gram_at_optimum",
    source=SEED,
))

register(Claim(
    "hessian.zero-eigs-feature-rank",
    "Eigenvalues of zero mean the network actually had less independent, orthogonal features "
    "inside it than it had parameters",
    "The number of zero Hessian eigenvalues equals the number of parameters minus the number of "
    "independent features over the data.",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_zero_eigs_feature_rank",
    numeric="nnclaims.numeric.hessian:check_zero_eigs_feature_rank",
    source=SEED,
))

register(Claim(
    "hessian.vector-output",
    "The math should stay the same for multi-dimensional outputs though.",
    "The same math holds for vector outputs and other losses (MSE; softmax cross-entropy, whose "
    "loss Hessian has cross terms).",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_vector_output",
    numeric="nnclaims.numeric.hessian:check_vector_output",
    source=SEED,
))

register(Claim(
    "hessian.earlier-layers-act-derivs",
    "features in earlier layers enter multiplied with derivatives of activation functions",
    "Features of earlier layers enter multiplied by derivatives of activation functions.",
    established="true",
    proof="nnclaims.proofs.hessian:prove_earlier_layers_act_derivs",
    numeric="nnclaims.numeric.hessian:check_earlier_layers_act_derivs",
    source=SEED,
))

register(Claim(
    "hessian.layer-orthogonal-basis",
    "Once the bases of two adjacent layers are found, the weight matrix connecting the two "
    "layers can also be transformed into the new basis.",
    "The eigenbasis of a layer's activation Gram (Σ_x a aᵀ) gives mutually orthogonal features; "
    "re-expressing the adjacent weight matrices in it leaves the network's function unchanged.",
    established="conditional",
    proof="nnclaims.proofs.hessian:prove_layer_orthogonal_basis",
    search="nnclaims.proofs.search_hessian:search_basis_change",
    numeric="nnclaims.numeric.hessian:check_layer_orthogonal_basis",
    source=SEED,
))

register(Claim(
    "hessian.next-layer-gradient-same",
    "You take the gradient with respect to any preactivation of the next layer.",
    "The gradient of any next-layer pre-activation w.r.t. that neuron's incoming weights is the "
    "same vector (the layer's activations), whichever pre-activation is chosen.",
    established="true",
    proof="nnclaims.proofs.hessian:prove_next_layer_gradient_same",
    numeric="nnclaims.numeric.hessian:check_next_layer_gradient_same",
    source=SEED,
))

register(Claim(
    "hessian.information-loss-broadness",
    "information loss about the input tends to lead to basin broadness",
    "Features that depend on the same parts of the input span fewer dimensions, giving more "
    "zero eigenvalues (a broader basin).",
    kind="empirical",
    established="supported",
    numeric="nnclaims.numeric.hessian:check_information_loss_broadness",
    preregistered=Preregistration(
        statistic="median over networks of (#zero eigenvalues, shared-input design) − (#zero eigenvalues, independent design)",
        threshold=1.0,
        rule="supported when the 95% bootstrap interval of the median lies at or above the threshold",
        date="2026-11-23",
    ),
    source=SEED,
))
