"""The constant-initialisation family's claims (seed 001) and the mutations their checks must catch.

Constant initialisation and symmetry breaking (seed 001, after D2L §5.4): the claims, where their checks
live, and the mutations that each check must catch (one or more per layer the claim has)."""

from dataclasses import replace

from ..registry import Claim, Mutation, register
from .permutation import HOLDS_AS_STATED as _HOLDS_PERM, _accept_anything, _infinite_tolerance, _inverted_screen

SEED = "001_5c5d71341f241ce8.txt"
PROOFS, NUMERIC, SEARCH = ("nnclaims.proofs.initialisation", "nnclaims.numeric.initialisation",
                           "nnclaims.proofs.search_random")


def _outgoing_weights_free(on_symmetric_set):
    """The symmetric set without equal outgoing weights: W2[j, c] left as it is (a wrong condition)."""
    import sympy as sp

    from nnclaims.proofs import _mlp as M
    from nnclaims.proofs.initialisation import beta, w

    W1, b1, _, _ = M.bases(M.indexed_params())
    at = {W1: lambda t: w[t.indices[0]], b1: lambda t: beta}
    return lambda expr: expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base in at, lambda t: at[t.base](t))


def _asymmetric_made_symmetric(case):
    return dict(case, W2=[[1], [1]])


def _non_symmetric_start(constant_init):
    """The numeric "symmetric" start with the rows of W2 left random (the seed's bare start)."""
    return lambda networks, device, seed, *, symmetric_out, **kw: constant_init(networks, device, seed,
                                                                                symmetric_out=False, **kw)


def _not_proved(prove):
    return lambda: replace(prove(), outcome="not proved")


RECHECK_ANYTHING = Mutation("search re-check accepts anything", f"{SEARCH}:recheck_unit_gradients_differ",
                            _accept_anything, layers=("search",))
SCREEN_INVERTED = Mutation("search screen inverted (reports units whose gradients agree)",
                           f"{SEARCH}:screen_units_differ", _inverted_screen, layers=("search",))
INFINITE_TOLERANCE = Mutation("numeric tolerance infinite", f"{NUMERIC}:tolerance", _infinite_tolerance,
                              layers=("numeric",))
HOLDS_AS_STATED = Mutation(_HOLDS_PERM.name, f"{NUMERIC}:as_stated_from", _HOLDS_PERM.replacement,
                           layers=("numeric",))

register(Claim(
    "init.constant-symmetry",
    "The hidden layer would behave as if it had only a single unit.",
    "With all hidden-layer weights initialised to one constant c, hidden units stay identical "
    "under SGD forever and the layer acts as one unit.",
    proof=f"{PROOFS}:prove_constant_symmetry",
    numeric=f"{NUMERIC}:check_constant_symmetry",
    search=f"{SEARCH}:search_constant_init_breaks",
    mutations=(
        Mutation("wrong condition: S without equal outgoing weights", f"{PROOFS}:on_symmetric_set",
                 _outgoing_weights_free, layers=("symbolic",)),
        Mutation("counterexample with equal outgoing weights", f"{PROOFS}:ASYMMETRIC", _asymmetric_made_symmetric,
                 layers=("symbolic",)),
        RECHECK_ANYTHING, SCREEN_INVERTED,
        Mutation("numeric symmetric start with random W2 rows", f"{NUMERIC}:constant_init", _non_symmetric_start,
                 layers=("numeric",)),
        INFINITE_TOLERANCE, HOLDS_AS_STATED,
    ),
    established="conditional",
    source=SEED,
))


def _equal_features(case):
    return dict(case, X=[[1, 1]])


def _entries_for_columns(column_spread):
    """The status's column spread replaced by the entry spread (the claim's statement, not what holds)."""
    from nnclaims.numeric.initialisation import entry_spread

    return entry_spread


register(Claim(
    "init.constant-gradient-all-equal",
    r"the gradient with respect to \(\mathbf{W}^{(1)}\) will have identical elements",
    "Under that initialisation ∇W1 = c′·1 (all entries equal) and every update leaves W1 a "
    "constant matrix.",
    proof=f"{PROOFS}:prove_constant_gradient_all_equal",
    numeric=f"{NUMERIC}:check_constant_gradient_all_equal",
    search=f"{SEARCH}:search_constant_gradient_entries",
    mutations=(
        Mutation("counterexample with equal input features x = (1, 1)", f"{PROOFS}:GRADIENT_CASE", _equal_features,
                 layers=("symbolic",)),
        Mutation("search re-check accepts anything", f"{SEARCH}:recheck_gradient_entries_differ", _accept_anything,
                 layers=("search",)),
        Mutation("search screen inverted (reports a gradient with equal entries)", f"{SEARCH}:screen_entries_differ",
                 _inverted_screen, layers=("search",)),
        Mutation("numeric status measures entries instead of columns", f"{NUMERIC}:column_spread",
                 _entries_for_columns, layers=("numeric",)),
        INFINITE_TOLERANCE, HOLDS_AS_STATED,
    ),
    established="false",
    source=SEED,
))


def _mask_shared(case):
    return dict(case, mask=[[2, 2]])


def _shared_masks(masks):
    """Dropout masks shared by all units of a sample (cannot separate identical units)."""
    return lambda N, n, h, dtype, device, dropout, seed, shared: masks(N, n, h, dtype, device, dropout, seed, True)


register(Claim(
    "init.dropout-breaks-symmetry",
    "Note that while minibatch stochastic gradient descent would not break this symmetry, "
    "dropout regularization (to be introduced later) would!",
    "Dropout breaks that symmetry while minibatch SGD does not.",
    proof=f"{PROOFS}:prove_dropout_breaks_symmetry",
    numeric=f"{NUMERIC}:check_dropout_breaks_symmetry",
    search=f"{SEARCH}:search_constant_init_breaks",
    mutations=(
        Mutation("dropout mask keeps both units", f"{PROOFS}:DROPOUT_CASE", _mask_shared, layers=("symbolic",)),
        Mutation("init.constant-symmetry not proved", f"{PROOFS}:prove_constant_symmetry", _not_proved,
                 layers=("symbolic",)),
        RECHECK_ANYTHING, SCREEN_INVERTED,
        Mutation("numeric dropout masks shared by all units", f"{NUMERIC}:_masks", _shared_masks,
                 layers=("numeric",)),
        INFINITE_TOLERANCE, HOLDS_AS_STATED,
    ),
    established="conditional",
    source=SEED,
))
