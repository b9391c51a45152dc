"""Subspace match (seed 000, Johnson 2019 on Wang et al. 2018): the claims."""

from ..catalogue import Claim, Preregistration, register

SEED = "000_e17f2a13b7d88bd0.txt"

register(Claim(
    "subspace.definitions",
    "Definitions 2.1 - 2.3 follow those given in [7].",
    "Activation vector, representation span, exact match (Defs 2.1–2.3); also Wang et al.'s "
    "ε-approximate match, maximum match and its similarity, and simple match.",
    established="open",
    proof="nnclaims.proofs.subspace:prove_definitions",
    numeric="nnclaims.numeric.subspace:check_definitions",
    source=SEED,
))

register(Claim(
    "subspace.johnson-example-3-1",
    "So we have a neural network with identical inputs and identical output activation vectors, "
    "but with no subspace match at the hidden layer.",
    "Example 3.1 as printed (W1 = I, W̃1 = diag(1,−1), W2 = W̃2 = [[1,−1],[1,−1]], ReLU, inputs "
    "(1,1), (−1,−1)) gives identical output activation vectors (zero at each neuron), the hidden "
    "activation sets it prints, and no subspace match at the hidden layer.",
    established="false",
    proof="nnclaims.proofs.subspace:prove_johnson_example",
    numeric="nnclaims.numeric.subspace:check_johnson_example",
    source=SEED,
))

register(Claim(
    "subspace.zero-match-exists",
    "it is easy to construct examples where the intermediate representations have no match, "
    "even when the outputs of the network are identical",
    "Two same-architecture ReLU networks can have identical output activation vectors on the "
    "data and no subspace match at a hidden layer.",
    established="true",
    form="exists",
    search="nnclaims.proofs.search_subspace:zero_match_exists",
    numeric="nnclaims.numeric.subspace:check_zero_match_exists",
    source=SEED,
))

register(Claim(
    "subspace.isomorphic-unmatched",
    "the activation vectors at that layer span isomorphic subspaces",
    "Such unmatched hidden representations may nevertheless span isomorphic subspaces (equal "
    "dimension), with the outputs identical.",
    established="true",
    form="exists",
    search="nnclaims.proofs.search_subspace:isomorphic_unmatched",
    numeric="nnclaims.numeric.subspace:check_isomorphic_unmatched",
    source=SEED,
))

register(Claim(
    "subspace.symmetry-preserves-match",
    "Isomorphism implies structural equivalence from an algebraic perspective",
    "(probe) Networks related by a function-preserving symmetry (permutation, positive "
    "per-neuron scaling for ReLU) match exactly at every layer.",
    established="true",
    proof="nnclaims.proofs.subspace:prove_symmetry_preserves_match",
    numeric="nnclaims.numeric.subspace:check_symmetry_preserves_match",
    source=SEED,
))

register(Claim(
    "subspace.trained-networks-low-hidden-match",
    "we see high similarity at the input and output layers, and low similarity at the hidden "
    "layers",
    "Networks trained from different initialisations show high match at input/output layers "
    "and low match at hidden layers.",
    kind="empirical",
    established="supported",
    numeric="nnclaims.numeric.subspace:check_trained_networks_low_hidden_match",
    preregistered=Preregistration(
        statistic="median over independently trained pairs (at least 64 pairs; the same teacher–student data, "
                  "different initialisations; one-hidden-layer ReLU MLPs d=4, h=6, q=2 on n=32 points, 400 "
                  "full-batch SGD steps, lr 0.05) of the per-pair mean over ε ∈ {0.1, 0.2, 0.3, 0.4, 0.5} of "
                  "(output-layer − hidden-layer) maximum-match similarity (Wang et al.'s ε-approximate maximum "
                  "match on the activation vectors over the n training points)",
        threshold=0.2,
        rule="supported when the 95% percentile-bootstrap interval (10,000 resamples, seed 0) of the median "
             "lies at or above the threshold; the per-ε medians with intervals (ε = 0.05 … 0.5) and the "
             "judgement at thresholds 0.1 … 0.5 are reported as curves and do not enter the verdict; tanh "
             "networks are a reported sensitivity analysis, not a condition",
        date="2026-12-01",
    ),
    source=SEED,
))
