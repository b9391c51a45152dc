"""The DNFA family's claims (seed 002) and the mutations their checks must catch.

Deep Neural Feature Ansatz (seed 002, notes on Radhakrishnan et al.): the claims, and the deliberately broken
variants of their checks that the mutation tests must catch (at least one per layer of each claim)."""

import dataclasses
import importlib

from ..registry import Claim, Mutation, Preregistration, register

SEED = "002_e9420a553cf0c538.txt"
INF = float("inf")


# --- mutants (imports inside, so that listing the claims imports neither SymPy nor torch) ------------------------

def _attr(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _transposed_W(expr):
    """Every W_{ij} in ``expr`` replaced by W_{ji} (a wrong index order)."""
    import sympy as sp

    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base.label.name == "W",
                        lambda e: e.base[tuple(reversed(e.indices))])


def _anisotropic(isotropic):
    def mutant(c, size):
        import sympy as sp

        return isotropic(c, size) + sp.MatrixSymbol("E", size, size)
    return mutant


def _ones_derivative(original):
    def mutant(act, Z):
        import torch

        return torch.ones_like(Z)
    return mutant


def _largest_singular_value(original):
    def mutant(W):
        import torch

        return torch.linalg.svdvals(W)[..., 0]
    return mutant


def _gaussian_frame(original):
    def mutant(networks, k, N, generator):
        import torch

        return torch.randn(networks, k, N, generator=generator, dtype=torch.float64) / N ** 0.5
    return mutant


def _G_from_post_activations(agop_pieces):
    def mutant(params, X, act):
        pc = agop_pieces(params, X, act)
        return {**pc, "G": pc["G_naive"]}
    return mutant


def _naive_with_D(naive_jacobian):
    def mutant(params, pc):
        return naive_jacobian(params, {**pc, "Jh": pc["Jh"] * pc["D"][:, :, None, :]})
    return mutant


def _flipped_order(same_order):
    def mutant(M, A):
        import z3

        return z3.Not(same_order(M, A))
    return mutant


def _isotropic_G(all_layer_agop):
    def mutant(spec, params, X):
        import torch

        pc = all_layer_agop(spec, params, X)
        return {**pc, "G": [torch.eye(G.shape[-1], dtype=G.dtype, device=G.device).expand_as(G) for G in pc["G"]]}
    return mutant


def _threshold(pre: Preregistration, value: float) -> dict:
    return {"preregistered": dataclasses.replace(pre, threshold=value)}


# --- claims ----------------------------------------------------------------------------------------------------

register(Claim(
    "dnfa.chain-rule-naive",
    "∇fi(hi(x))T=∇fi+1(hi+1(x))TWi, so",
    "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ W_i (the activation-free version in the notes).",
    established="conditional",
    proof="nnclaims.proofs.dnfa:prove_chain_rule_naive",
    numeric="nnclaims.numeric.dnfa:check_chain_rule_naive",
    search="nnclaims.proofs.search_random:search_naive_chain_rule",
    mutations=(
        Mutation("naive form stated with a factor 2", "nnclaims.proofs.dnfa:naive_form",
                 lambda naive_form: lambda: 2 * naive_form(), layers=("symbolic",)),
        Mutation("counterexample with σ = identity (no counterexample)",
                 "nnclaims.proofs.dnfa:CHAIN_RULE_COUNTEREXAMPLE",
                 lambda cex: {**cex, "activation": "identity"}, layers=("symbolic",)),
        Mutation("search re-check on the witness with v changed to 0", "nnclaims.proofs.search_random:recheck_naive_chain_rule",
                 lambda recheck: lambda w: recheck(dict(w, v=[0, 0])), layers=("search",)),
        Mutation("numeric naive prediction multiplied by D (the correct chain rule)",
                 "nnclaims.numeric.dnfa:naive_jacobian", _naive_with_D, layers=("numeric",)),
    ),
    source=SEED,
))

register(Claim(
    "dnfa.chain-rule",
    "it should really say ∇fi(hi(x))T=∇fi+1(hi+1(x))TDi+1(x)Wi",
    "∇f_i(h_i)ᵀ = ∇f_{i+1}(h_{i+1})ᵀ D_{i+1}(x) W_i, i.e. the pre-activation gradient form.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_chain_rule",
    numeric="nnclaims.numeric.dnfa:check_chain_rule",
    mutations=(
        Mutation("D dropped from the stated chain rule", "nnclaims.proofs.dnfa:chain_rule_form",
                 lambda form: lambda act=None: _attr("nnclaims.proofs.dnfa", "naive_form")(), layers=("symbolic",)),
        Mutation("W transposed in the stated chain rule", "nnclaims.proofs.dnfa:chain_rule_form",
                 lambda form: lambda act=None: _transposed_W(form() if act is None else form(act)),
                 layers=("symbolic",)),
        Mutation("numeric σ' replaced by 1", "nnclaims.numeric.dnfa:activation_derivative", _ones_derivative,
                 layers=("numeric",)),
        Mutation("numeric tolerance infinite", "nnclaims.numeric.dnfa:tolerance",
                 lambda tolerance: lambda dtype, size: INF, layers=("numeric",)),
    ),
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
    mutations=(
        Mutation("W_i instead of W_iᵀ in the stated factorisation", "nnclaims.proofs.dnfa:factorised_agop",
                 lambda form: lambda: _transposed_W(form()), layers=("symbolic",)),
        Mutation("distributivity rewrite ignores its input", "nnclaims.proofs.dnfa:distribute",
                 lambda distribute: lambda expr: expr, layers=("symbolic",)),
        Mutation("numeric G from post-activation gradients (D dropped)", "nnclaims.numeric.dnfa:agop_pieces",
                 _G_from_post_activations, layers=("numeric",)),
    ),
    source=SEED,
))

register(Claim(
    "dnfa.isotropy-equivalence",
    "assuming Wi is invertible, should be the same as",
    "W_iᵀW_i ∝ AGOP_i is equivalent to G_{i+1} ∝ I (assuming W_i is invertible).",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_isotropy_equivalence",
    numeric="nnclaims.numeric.dnfa:check_isotropy_equivalence",
    mutations=(
        Mutation("isotropic G stated as cI + E", "nnclaims.proofs.dnfa:isotropic", _anisotropic, layers=("symbolic",)),
        Mutation("numeric lower bound with σ_max in place of σ_min", "nnclaims.numeric.dnfa:smallest_singular_value",
                 _largest_singular_value, layers=("numeric",)),
        Mutation("numeric tolerance infinite", "nnclaims.numeric.dnfa:tolerance",
                 lambda tolerance: lambda dtype, size: INF, layers=("numeric",)),
    ),
    source=SEED,
))

register(Claim(
    "dnfa.any-activation",
    "This last thing also totally works with activation functions other than ReLU",
    "The cancellation holds for any activation function, not only ReLU.",
    established="true",
    proof="nnclaims.proofs.dnfa:prove_any_activation",
    numeric="nnclaims.numeric.dnfa:check_any_activation",
    mutations=(
        Mutation("σ' dropped from the layer Jacobian", "nnclaims.proofs.dnfa:chain_rule_form",
                 lambda form: lambda act=None: _attr("nnclaims.proofs.dnfa", "naive_form")(), layers=("symbolic",)),
        Mutation("sum-exchange rewrite ignores its input", "nnclaims.proofs.dnfa:factor_out",
                 lambda factor_out: lambda expr, var: expr, layers=("symbolic",)),
        Mutation("numeric G from post-activation gradients (D dropped)", "nnclaims.numeric.dnfa:agop_pieces",
                 _G_from_post_activations, layers=("numeric",)),
    ),
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
    mutations=(
        Mutation("delta sums left unevaluated (a rewrite that ignores its input)", "nnclaims.proofs.dnfa:normalise",
                 lambda normalise: lambda expr, ranges, **kw: expr, layers=("symbolic",)),
        Mutation("numeric frame not semi-orthogonal (raw Gaussian)", "nnclaims.numeric.dnfa:semi_orthogonal",
                 _gaussian_frame, layers=("numeric",)),
    ),
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
    mutations=(
        Mutation("counterexample M = WᵀW (proportional)", "nnclaims.proofs.dnfa:SVD_COUNTEREXAMPLE",
                 lambda cex: {**cex, "M": [[4, 0], [0, 1]]}, layers=("symbolic",)),
        Mutation("search asks for the opposite eigenvalue order (β ≤ 0)", "nnclaims.proofs.search_dnfa:same_order",
                 _flipped_order, layers=("search",)),
        Mutation("numeric converse instances compared with WᵀW itself", "nnclaims.numeric.dnfa:proportionality_error",
                 lambda err: lambda A, M: err(A, A), layers=("numeric",)),
    ),
    source=SEED,
))

def _preregistration(claim_id: str) -> Preregistration:
    from nnclaims.numeric.dnfa_design import preregistration

    return preregistration(claim_id)


ANSATZ_PRE = _preregistration("dnfa.ansatz-holds-trained")  # built from the study's design (numeric/dnfa_design.py)

register(Claim(
    "dnfa.ansatz-holds-trained",
    "Then their Deep Neural Feature Ansatz says that",
    "In trained networks W_iᵀW_i is highly correlated with AGOP_i (the paper's empirical claim).",
    kind="empirical",
    established="conditional",
    numeric="nnclaims.numeric.dnfa_trained:check_ansatz_holds_trained",
    preregistered=ANSATZ_PRE,
    mutations=(
        Mutation("threshold +inf", changes=_threshold(ANSATZ_PRE, INF)),
        Mutation("threshold -inf", changes=_threshold(ANSATZ_PRE, -INF)),
        Mutation("no preregistered condition", changes={"preregistered": dataclasses.replace(ANSATZ_PRE, conditions=())}),
        Mutation("cosine replaced by 1", "nnclaims.numeric.dnfa_study:cos", lambda c: lambda A, B: c(A, A),
                 layers=("numeric",)),
    ),
    source=SEED,
))

ISOTROPY_PRE = _preregistration("dnfa.isotropy-holds-trained")

register(Claim(
    "dnfa.isotropy-holds-trained",
    "checking that the isotropic version of the ansatz indeed equally holds in a bunch of models",
    "In the same networks the pre-activation gradients are close to isotropic, equally well.",
    kind="empirical",
    established="unsupported",
    numeric="nnclaims.numeric.dnfa_trained:check_isotropy_holds_trained",
    preregistered=ISOTROPY_PRE,
    mutations=(
        Mutation("threshold -inf", changes=_threshold(ISOTROPY_PRE, -INF)),
        Mutation("cosine replaced by 1", "nnclaims.numeric.dnfa_study:cos", lambda c: lambda A, B: c(A, A),
                 layers=("numeric",)),
        Mutation("G replaced by the identity in the study's metrics", "nnclaims.numeric.dnfa_study:all_layer_agop",
                 _isotropic_G, layers=("numeric",)),
    ),
    source=SEED,
))
