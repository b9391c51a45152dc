r"""Numeric cross-checks of the DNFA identities on trained networks (float64).

For the first layer of the zoo's networks (row convention :math:`p = xW_1 + b_1`, so the notes'
:math:`W_i` is :math:`W_1^\top`), with vector output :math:`f(x) \in \mathbb R^q`:

.. math:: \mathrm{AGOP} = \tfrac1n\sum_x J_x(x)^\top J_x(x),\qquad
          G = \tfrac1n\sum_x J_p(x)^\top J_p(x),\qquad \mathrm{AGOP} \overset{?}{=} W_1 G W_1^\top

with Jacobians from ``torch.func.jacrev`` (input and pre-activation), vmapped over samples and networks.
"""

from __future__ import annotations

import dataclasses

import torch
from torch.func import jacrev, vmap

from proofs.record import NumericResult

from .tolerance import rel_err, tolerance
from .zoo import ACTIVATIONS, ZooSpec, trained_zoo

__all__ = ["agop_pieces", "check_chain_rule", "check_chain_rule_naive", "check_agop_factorisation",
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


def _result(claim_id, errs, tol, networks, device, statistic, **details):
    worst = float(errs.max())
    status = "consistent" if worst <= tol else "violated"
    return NumericResult(claim_id, status, statistic, worst, networks, device, tolerance=tol, details=details,
                         witness=None if status == "consistent" else {"network": int(errs.argmax()), "relative_error": worst})


def check_chain_rule(networks=16, device="cpu", seed=0) -> NumericResult:
    """Per sample: ``J_x = J_p W_1ᵀ`` (the pre-activation form of the chain rule)."""
    params, X, _ = _zoo(networks, device, seed, SPEC.activation)
    pc = agop_pieces(params, X, ACTIVATIONS[SPEC.activation])
    want = pc["Jp"] @ params["W1"].transpose(1, 2).unsqueeze(1)
    return _result("dnfa.chain-rule", rel_err(pc["Jx"], want), tolerance(torch.float64, SPEC.h), networks, device,
                   "max rel |J_x − J_p W_1ᵀ| per sample")


def check_chain_rule_naive(networks=16, device="cpu", seed=0) -> NumericResult:
    """The activation-free form ``J_x = J_h W_1ᵀ``: expected to fail for tanh."""
    params, X, _ = _zoo(networks, device, seed, SPEC.activation)
    act = ACTIVATIONS[SPEC.activation]
    pc = agop_pieces(params, X, act)
    naive = params["W1"] @ pc["G_naive"] @ params["W1"].transpose(1, 2)
    return _result("dnfa.chain-rule-naive", rel_err(naive, pc["AGOP"]), tolerance(torch.float64, SPEC.n * SPEC.h),
                   networks, device, "max rel |W_1 G_naive W_1ᵀ − AGOP| (G from post-activation gradients)",
                   activation=SPEC.activation)


def _factorisation_errors(networks, device, seed, activations):
    per = {}
    for name in activations:
        params, X, _ = _zoo(networks, device, seed, name)
        pc = agop_pieces(params, X, ACTIVATIONS[name])
        per[name] = rel_err(params["W1"] @ pc["G"] @ params["W1"].transpose(1, 2), pc["AGOP"])
    return per


def check_agop_factorisation(networks=16, device="cpu", seed=0) -> NumericResult:
    per = _factorisation_errors(networks, device, seed, [SPEC.activation])
    return _result("dnfa.agop-factorisation", per[SPEC.activation], tolerance(torch.float64, SPEC.n * SPEC.h),
                   networks, device, "max rel |W_1 G W_1ᵀ − AGOP|")


def check_any_activation(networks=16, device="cpu", seed=0) -> NumericResult:
    per = _factorisation_errors(networks, device, seed, list(ACTIVATIONS))
    errs = torch.stack(list(per.values())).amax(0)
    return _result("dnfa.any-activation", errs, tolerance(torch.float64, SPEC.n * SPEC.h), networks, device,
                   "max rel |W_1 G W_1ᵀ − AGOP| over relu, tanh, gelu, sigmoid zoos",
                   per_activation={k: float(v.max()) for k, v in per.items()})
