r"""Numeric cross-checks of the DNFA identities on trained networks (float64).

For the first layer of the zoo's networks (row convention :math:`p = xW_1 + b_1`, so the notes'
:math:`W_i` is :math:`W_1^\top`), with vector output :math:`f(x) \in \mathbb R^q`:

.. math:: \mathrm{AGOP} = \tfrac1n\sum_x J_x(x)^\top J_x(x),\qquad
          G = \tfrac1n\sum_x J_p(x)^\top J_p(x),\qquad \mathrm{AGOP} \overset{?}{=} W_1 G W_1^\top

with Jacobians from ``torch.func.jacrev`` (input and pre-activation), vmapped over samples and networks.
"""

from __future__ import annotations

import dataclasses
import functools

import torch
from torch.func import jacrev, vmap

from nnclaims.proofs.record import NumericResult

from .tolerance import identity_result, rel_err, tolerance
from .deep import DeepSpec, all_layer_agop, linear_layers, trained_deep_zoo
from .zoo import ACTIVATIONS, ZooSpec, trained_zoo

__all__ = ["agop_pieces", "check_chain_rule", "check_chain_rule_naive", "check_agop_factorisation",
           "check_ansatz_holds_trained", "check_isotropy_holds_trained", "feature_statistics",
           "check_isotropy_equivalence", "check_tight_frame", "check_svd_form",
           "check_any_activation"]

SPEC = ZooSpec()


def agop_pieces(params: dict, X: torch.Tensor, act) -> dict:
    """Per network: AGOP of the input layer, G of the first pre-activations, the naive G of the
    post-activations, and the per-sample Jacobians (all stacked over networks)."""

    def out_from_x(p, x):
        return act(x @ p["W1"] + p["b1"][0]) @ p["W2"] + p["b2"][0]

    def out_from_pre(p, z):
        return act(z) @ p["W2"] + p["b2"][0]

    def out_from_h(p, hh):
        return hh @ p["W2"] + p["b2"][0]

    Jx = vmap(vmap(jacrev(out_from_x, argnums=1), in_dims=(None, 0)))(params, X)  # (K, n, q, d)
    Z = X @ params["W1"] + params["b1"]
    Jp = vmap(vmap(jacrev(out_from_pre, argnums=1), in_dims=(None, 0)))(params, Z)  # (K, n, q, h)
    Jh = vmap(vmap(jacrev(out_from_h, argnums=1), in_dims=(None, 0)))(params, act(Z))
    n = X.shape[1]
    return {
        "Jx": Jx, "Jp": Jp,
        "AGOP": torch.einsum("knqd,knqe->kde", Jx, Jx) / n,
        "G": torch.einsum("knqa,knqb->kab", Jp, Jp) / n,
        "G_naive": torch.einsum("knqa,knqb->kab", Jh, Jh) / n,
    }


def _zoo(networks, device, seed, activation):
    spec = dataclasses.replace(SPEC, activation=activation)
    return trained_zoo(networks, device, seed, spec)


@functools.lru_cache(maxsize=8)
def _zoo_pieces(networks, device, seed, activation):
    """The trained zoo and its :func:`agop_pieces`, computed once per activation."""
    params, X, Y = _zoo(networks, device, seed, activation)
    return params, X, agop_pieces(params, X, ACTIVATIONS[activation])


def check_chain_rule(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per sample: ``J_x = J_p W_1ᵀ`` (the pre-activation form of the chain rule)."""
    params, X, pc = _zoo_pieces(networks, device, seed, SPEC.activation)
    want = pc["Jp"] @ params["W1"].transpose(1, 2).unsqueeze(1)
    return identity_result("dnfa.chain-rule", rel_err(pc["Jx"], want), tolerance(torch.float64, SPEC.h), networks, device,
                   "max rel |J_x − J_p W_1ᵀ| per sample")


def check_chain_rule_naive(networks=16, device="cpu", seed=0) -> NumericResult:
    """The activation-free form ``J_x = J_h W_1ᵀ``: expected to fail for tanh."""
    params, X, pc = _zoo_pieces(networks, device, seed, SPEC.activation)
    naive = params["W1"] @ pc["G_naive"] @ params["W1"].transpose(1, 2)
    return identity_result("dnfa.chain-rule-naive", rel_err(naive, pc["AGOP"]), tolerance(torch.float64, SPEC.n * SPEC.h),
                   networks, device, "max rel |W_1 G_naive W_1ᵀ − AGOP| (G from post-activation gradients)",
                   activation=SPEC.activation)


def _factorisation_errors(networks, device, seed, activations):
    per = {}
    for name in activations:
        params, X, pc = _zoo_pieces(networks, device, seed, name)
        per[name] = rel_err(params["W1"] @ pc["G"] @ params["W1"].transpose(1, 2), pc["AGOP"])
    return per


def check_agop_factorisation(networks=16, device="cpu", seed=0) -> NumericResult:
    per = _factorisation_errors(networks, device, seed, [SPEC.activation])
    return identity_result("dnfa.agop-factorisation", per[SPEC.activation], tolerance(torch.float64, SPEC.n * SPEC.h),
                   networks, device, "max rel |W_1 G W_1ᵀ − AGOP|")


def check_any_activation(networks=16, device="cpu", seed=0) -> NumericResult:
    per = _factorisation_errors(networks, device, seed, list(ACTIVATIONS))
    errs = torch.stack(list(per.values())).amax(0)
    return identity_result("dnfa.any-activation", errs, tolerance(torch.float64, SPEC.n * SPEC.h), networks, device,
                   "max rel |W_1 G W_1ᵀ − AGOP| over relu, tanh, gelu, sigmoid zoos",
                   per_activation={k: float(v.max()) for k, v in per.items()})


# --- empirical: the ansatz and the isotropy of G on trained networks, every layer ------------------

FEATURE_SPEC = DeepSpec(d=8, widths=(32, 32), q=2, n=64, activation="relu", data="teacher", loss="mse",
                        optimizer="sgd", lr=0.05, steps=1000)
THRESHOLD = 0.9  # "highly correlated": at every layer, median uncentred cosine at least 0.9


def _cos(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Uncentred cosine ``<A, B>_F / (|A|_F |B|_F)`` per network."""
    return (A * B).flatten(1).sum(1) / (A.flatten(1).norm(dim=1) * B.flatten(1).norm(dim=1)).clamp_min(1e-300)


def _pearson(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    a = A.flatten(1) - A.flatten(1).mean(1, keepdim=True)
    b = B.flatten(1) - B.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-300)


def _psd_sqrt(M: torch.Tensor) -> torch.Tensor:
    ev, V = torch.linalg.eigh(M)
    return V @ torch.diag_embed(ev.clamp_min(0).sqrt()) @ V.transpose(1, 2)


def feature_statistics(networks: int, device: str, seed: int) -> dict:
    """:func:`spec_feature_statistics` (cached) on :data:`FEATURE_SPEC`."""
    return spec_feature_statistics(FEATURE_SPEC, networks, device, seed)


@functools.lru_cache(maxsize=8)
def spec_feature_statistics(spec: DeepSpec, networks: int, device: str, seed: int) -> dict:
    """Train ``networks`` MLPs of ``spec`` (the deep zoo) and measure,
    per network and per layer ``l`` (column convention, :math:`z_l = W_l h_{l-1} + b_l`): the ansatz
    cosine cos(W_lᵀW_l, AGOP_l), its √AGOP and Pearson variants, the same with W_l − W_l(0), the
    isotropy cosine cos(G_l, I), cos(P G_l P, P) with P the projector onto range(W_l), and the condition
    number of G_l — at initialisation and after training.  All layers' AGOP and G come from one pass
    (:func:`numeric.deep.all_layer_agop`).  Entries are tensors of shape (layers, networks)."""
    p0, p1, X, losses = trained_deep_zoo(spec, networks, device, seed)
    names = linear_layers(spec)[:-1]
    out = {"loss": {"init": losses["before"], "trained": losses["after"]}}
    for tag, p in (("init", p0), ("trained", p1)):
        pc = all_layer_agop(spec, p, X)
        rows = {k: [] for k in ("ansatz_cos", "ansatz_cos_sqrt_agop", "ansatz_pearson", "ansatz_cos_minus_init",
                                "isotropy_cos", "isotropy_cos_on_range", "G_condition")}
        for l, name in enumerate(names):
            W, A, G = p[f"{name}.weight"], pc["AGOP"][l], pc["G"][l]
            WtW = W.transpose(1, 2) @ W
            dW = W - p0[f"{name}.weight"]
            eye = torch.eye(G.shape[-1], dtype=W.dtype, device=W.device).expand_as(G)
            Pr = W @ torch.linalg.pinv(W)  # projector onto range(W_l) ⊆ R^{n_l}
            rows["ansatz_cos"].append(_cos(WtW, A))
            rows["ansatz_cos_sqrt_agop"].append(_cos(WtW, _psd_sqrt(A)))
            rows["ansatz_pearson"].append(_pearson(WtW, A))
            rows["ansatz_cos_minus_init"].append(_cos(dW.transpose(1, 2) @ dW, A) if tag == "trained"
                                                 else torch.full_like(rows["ansatz_cos"][-1], float("nan")))
            rows["isotropy_cos"].append(_cos(G, eye))
            rows["isotropy_cos_on_range"].append(_cos(Pr @ G @ Pr, Pr))
            rows["G_condition"].append(torch.linalg.cond(G))
        out[tag] = {k: torch.stack(v) for k, v in rows.items()}
    return out


def _distributions(stats: dict) -> dict:
    """Per-network ansatz and isotropy cosines per layer, at initialisation and trained (for the plots)."""
    keys = ("ansatz_cos", "isotropy_cos", "isotropy_cos_on_range")
    return {f"{k} {tag} layer {l + 1}": stats[tag][k][l].tolist()
            for tag in ("init", "trained") for k in keys for l in range(stats[tag][k].shape[0])}


def _summary(stats: dict) -> dict:
    def q(v):
        v = v[~v.isnan()]
        return {"median": float(v.median()), "min": float(v.min()), "max": float(v.max())} if v.numel() else None

    out = {"loss": {tag: q(v) for tag, v in stats["loss"].items()}}
    for tag in ("init", "trained"):
        out[tag] = {f"layer {l + 1}": {k: q(v[l]) for k, v in stats[tag].items()}
                    for l in range(stats[tag]["ansatz_cos"].shape[0])}
    return out


CONDITIONS = {  # designed in advance: the regimes in which feature learning is expected to be strongest
    "small init (x0.1)": {"init_scale": 0.1},
    "rank-1 teacher": {"teacher_rank": 1},
    "small init (x0.1), rank-1 teacher": {"init_scale": 0.1, "teacher_rank": 1},
}


VARIANTS = ("ansatz_pearson", "ansatz_cos_sqrt_agop", "ansatz_cos_minus_init", "isotropy_cos_on_range")


def _least_layer_median(st: dict, key: str) -> tuple[float, list[float]]:
    medians = st["trained"][key].median(dim=1).values
    return float(medians.min()), [round(float(m), 4) for m in medians]


def _regime(st: dict, key: str) -> dict:
    """One zoo's statistic: the least over layers of the median over trained networks of ``key``, its status
    against :data:`THRESHOLD`, the same for the :data:`VARIANTS` (Pearson, √AGOP, W − W₀, isotropy on
    range(W)), per-layer medians (trained and at initialisation) and the median final loss."""
    v, per_layer = _least_layer_median(st, key)
    return {"value": v, "status": "supported" if v >= THRESHOLD else "unsupported",
            "variants": {k: round(_least_layer_median(st, k)[0], 4) for k in VARIANTS},
            "per_layer_trained": per_layer,
            "per_layer_init": [round(float(m), 4) for m in st["init"][key].median(dim=1).values],
            "loss_median": float(st["loss"]["trained"].median())}


def condition_statistics(key: str, networks: int, device: str, seed: int) -> dict:
    """:func:`_regime` on the zoo changed by each of :data:`CONDITIONS` (with the change recorded)."""
    return {name: {**_regime(spec_feature_statistics(dataclasses.replace(FEATURE_SPEC, **change), networks, device,
                                                     seed), key), "change": change}
            for name, change in CONDITIONS.items()}


def _per_layer_check(claim: str, key: str, what: str, networks, device, seed) -> NumericResult:
    """Statistic: the least over layers of the median over trained networks of ``key``; supported when
    at least :data:`THRESHOLD` (the claim is about every layer).  The same statistic under each of
    :data:`CONDITIONS` goes into ``details["conditions"]`` (the verdict reads it: see reports.verdict)."""
    st = feature_statistics(networks, device, seed)
    main = _regime(st, key)
    return NumericResult(claim, main["status"], f"least over layers of the median {what}, trained", main["value"],
                         networks, device, threshold=THRESHOLD,
                         details={"spec": dataclasses.asdict(FEATURE_SPEC), "per_layer_median": main["per_layer_trained"],
                                  "variants": main["variants"],
                                  "conditions": condition_statistics(key, networks, device, seed),
                                  **_summary(st), "per_network": _distributions(st)})


def check_ansatz_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per layer, median over trained networks of cos(W_lᵀW_l, AGOP_l); supported when every layer's is ≥ 0.9."""
    return _per_layer_check("dnfa.ansatz-holds-trained", "ansatz_cos", "uncentred cosine(WᵀW, AGOP)",
                            networks, device, seed)


def check_isotropy_holds_trained(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per layer, median over the same trained networks of cos(G_l, I); supported when every layer's is ≥ 0.9."""
    return _per_layer_check("dnfa.isotropy-holds-trained", "isotropy_cos",
                            "uncentred cosine(G, I) of the pre-activation gradients", networks, device, seed)


# --- the algebraic equivalences on trained weights -------------------------------------------------

def _square_zoo(networks, device, seed):
    spec = dataclasses.replace(SPEC, d=6, h=6)
    return trained_zoo(networks, device, seed, spec)


def check_isotropy_equivalence(networks=16, device="cpu", seed=0) -> NumericResult:
    """Square trained W (invertible): G = cI gives AGOP ∝ WᵀW to rounding (⇐); the trained, non-isotropic G
    gives cos(WᵀW, WᵀGW) < 1 (⇒ contrapositive).  The tall case is reported: G = I + (projector onto
    ker W₁) keeps W₁GW₁ᵀ = W₁W₁ᵀ with G not ∝ I — the invertibility assumption is needed."""
    params, X, _ = _square_zoo(networks, device, seed)
    W = params["W1"].transpose(1, 2)  # notes' convention: p = W h
    WtW = W.transpose(1, 2) @ W
    c = 2.5
    err = rel_err(W.transpose(1, 2) @ (c * torch.eye(6, dtype=W.dtype, device=W.device)) @ W, c * WtW)
    pc = agop_pieces(params, X, ACTIVATIONS[SPEC.activation])
    cos_ag = _cos(WtW, W.transpose(1, 2) @ pc["G"] @ W)
    cos_iso = _cos(pc["G"], torch.eye(6, dtype=W.dtype, device=W.device).expand_as(pc["G"]))
    both_below = bool(((cos_ag < 1 - 1e-9) == (cos_iso < 1 - 1e-9)).all())
    tall, Xt, _ = trained_zoo(networks, device, seed, SPEC)  # d = 4 < h = 6: Wᵢ = W₁ᵀ is tall
    Wt = tall["W1"]  # (d × h): W₁ G W₁ᵀ uses G on the h side
    Pnull = torch.eye(SPEC.h, dtype=Wt.dtype, device=Wt.device) - torch.linalg.pinv(Wt) @ Wt
    Gt = torch.eye(SPEC.h, dtype=Wt.dtype, device=Wt.device) + Pnull
    tall_err = rel_err(Wt @ Gt @ Wt.transpose(1, 2), Wt @ Wt.transpose(1, 2))
    tol = tolerance(torch.float64, 6 * 6)
    ok = float(err.max()) <= tol and both_below
    return NumericResult("dnfa.isotropy-equivalence", "consistent" if ok else "violated",
                         "max rel |Wᵀ(cI)W − cWᵀW| on trained square W", float(err.max()), networks, device,
                         tolerance=tol, details={"ansatz_cos_median": float(cos_ag.median()),
                                                 "isotropy_cos_median": float(cos_iso.median()),
                                                 "both_sides_not_exact_together": both_below,
                                                 "tall_W_counterexample_max_rel_err": float(tall_err.max())})


def check_tight_frame(networks=16, device="cpu", seed=0) -> NumericResult:
    """Γ = √(Nc)·S with S semi-orthogonal (SSᵀ = I) gives G = cI and equal mass Σ(vᵀg)² = Nc in 64 random
    unit directions; a non-tight Γ (negative control) does not."""
    g = torch.Generator().manual_seed(seed + 3)
    k, N, c = 5, 40, 0.7
    S = torch.linalg.qr(torch.randn(networks, N, k, generator=g, dtype=torch.float64))[0].transpose(1, 2)
    Gam = (N * c) ** 0.5 * S
    G = Gam @ Gam.transpose(1, 2) / N
    eye = torch.eye(k, dtype=torch.float64).expand_as(G)
    v = torch.randn(64, k, generator=g, dtype=torch.float64)
    v = v / v.norm(dim=1, keepdim=True)
    mass = ((v @ Gam) ** 2).sum(-1)  # (K, 64)
    err = torch.maximum(rel_err(G, c * eye), (mass / (N * c) - 1).abs().amax(1))
    bad = torch.randn(networks, k, N, generator=g, dtype=torch.float64)
    bad_mass = ((v @ bad) ** 2).sum(-1)
    spread = (bad_mass.amax(1) / bad_mass.amin(1) - 1)
    tol = tolerance(torch.float64, N)
    ok = float(err.max()) <= tol and bool((spread > 1e-3).all())
    return NumericResult("dnfa.tight-frame", "consistent" if ok else "violated",
                         "max rel |G − cI| and |mass/(Nc) − 1| over 64 directions", float(err.max()), networks,
                         device, tolerance=tol, details={"non_tight_mass_spread_min": float(spread.min())})


def check_svd_form(networks=16, device="cpu", seed=0) -> NumericResult:
    """On trained W₁: M = WᵀW/λ has the right singular vectors as eigenvectors (⇒).  M' = V diag(μ) Vᵀ with
    random μ shares them (same order) but cos(WᵀW, M') < 1: the converse fails (expected violation)."""
    params, _, _ = trained_zoo(networks, device, seed, SPEC)
    W = params["W1"].transpose(1, 2)
    _, sv, Vh = torch.linalg.svd(W, full_matrices=False)
    V = Vh.transpose(1, 2)
    WtW = W.transpose(1, 2) @ W
    M = WtW / 3.0
    fwd = rel_err(M @ V, V * (sv ** 2 / 3.0)[:, None, :])
    g = torch.Generator().manual_seed(seed + 9)
    mu = torch.sort(torch.rand(networks, sv.shape[1], generator=g, dtype=torch.float64), descending=True).values
    Mp = V @ torch.diag_embed(mu) @ V.transpose(1, 2)
    cos = _cos(WtW, Mp)
    tol = tolerance(torch.float64, SPEC.h * SPEC.d)
    converse_fails = bool((cos < 1 - 1e-6).all())
    status = "violated" if float(fwd.max()) <= tol and converse_fails else "consistent"
    return NumericResult("dnfa.svd-form", status, "max cos(WᵀW, V diag(μ) Vᵀ) for shared eigenvectors, random μ",
                         float(cos.max()), networks, device, tolerance=tol,
                         details={"forward_direction_max_rel_err": float(fwd.max())})
