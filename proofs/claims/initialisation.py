"""Constant initialisation and symmetry breaking (seed 001, after D2L §5.4): the claims."""

from ..catalogue import Claim, register

SEED = "001_5c5d71341f241ce8.txt"

register(Claim(
    "init.constant-symmetry",
    "The hidden layer would behave as if it had only a single unit.",
    "With all hidden-layer weights initialised to one constant c, hidden units stay identical "
    "under SGD forever and the layer acts as one unit.",
    proof="nnclaims.proofs.initialisation:prove_constant_symmetry",
    numeric="nnclaims.numeric.initialisation:check_constant_symmetry",
    established="conditional",
    search="nnclaims.proofs.search_random:search_constant_init_breaks",
    source=SEED,
))

register(Claim(
    "init.constant-gradient-all-equal",
    r"the gradient with respect to \(\mathbf{W}^{(1)}\) will have identical elements",
    "Under that initialisation ∇W1 = c′·1 (all entries equal) and every update leaves W1 a "
    "constant matrix.",
    proof="nnclaims.proofs.initialisation:prove_constant_gradient_all_equal",
    numeric="nnclaims.numeric.initialisation:check_constant_gradient_all_equal",
    established="false",
    search="nnclaims.proofs.search_random:search_constant_gradient_entries",
    source=SEED,
))

register(Claim(
    "init.dropout-breaks-symmetry",
    "Note that while minibatch stochastic gradient descent would not break this symmetry, "
    "dropout regularization (to be introduced later) would!",
    "Dropout breaks that symmetry while minibatch SGD does not.",
    proof="nnclaims.proofs.initialisation:prove_dropout_breaks_symmetry",
    numeric="nnclaims.numeric.initialisation:check_dropout_breaks_symmetry",
    established="conditional",
    search="nnclaims.proofs.search_random:search_constant_init_breaks",
    source=SEED,
))
