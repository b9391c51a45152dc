r"""An example of an empirical claim of a user's own, in one file: most ReLU units stay alive through training.

An empirical claim of a user's own, in a single file (load it with ``nnclaims verify --claims
examples/dead_units.py`` or ``pytest --nnclaims --nnclaims-claims examples/dead_units.py``).

``user.relu-units-stay-alive``: after training, most hidden ReLU units of a small MLP are alive — active
(positive pre-activation) on at least one training input.  The statistic, threshold, rule, sample size and seeds
are registered *before* any run (``Preregistration``), and the check follows the suite's rules for empirical
claims: a distribution-free order-statistic interval for the median at the run's family level (Bonferroni over
every preregistered decision of every registered empirical claim, this one included), its achieved level recorded
(``ci_method``, ``ci_level``, ``family``), the number of networks from the preregistered sample-size rule, the
default ``--seed 0`` on the confirmatory seed, and a control computed the same way where the effect is absent,
whose value depends on the networks (it could come out either way).
"""

from __future__ import annotations

import dataclasses

import torch

import nnclaims
from nnclaims import Claim, Mutation, NumericResult, Preregistration, register
from nnclaims.numeric.statistics import condition_summary, run_seeds, sample_size
from nnclaims.proofs.catalogue import empirical_family

CLAIM_ID = "user.relu-units-stay-alive"
CONTROL_SHIFT = -2.0
"""The control lowers every hidden bias by 2: a unit then stays alive only where some training input drives its
pre-activation 2 above its trained value (inputs and first-layer weights are of unit scale)."""


def alive_fraction(zoo, bias_shift: float = 0.0) -> torch.Tensor:
    """Per network: the fraction of first-hidden-layer units with a positive pre-activation on some input."""
    W, b = zoo.params["0.weight"], zoo.params["0.bias"] + bias_shift
    Z = zoo.X @ W.transpose(1, 2) + b[:, None, :]
    return (Z > 0).any(dim=1).to(torch.float64).mean(dim=1)


def check_units_alive(networks=16, device="cpu", seed=0) -> NumericResult:
    """Median alive fraction over trained ReLU MLPs 8-32-3 (teacher data, 200 SGD steps), with its order-statistic
    interval at the family level, against the preregistered threshold.  Control, by the same pipeline where the
    effect is absent: the same networks with every hidden bias lowered by 2, which must come out unsupported."""
    pre = nnclaims.get_claim(CLAIM_ID).preregistered
    family = empirical_family()
    n = sample_size(max(networks, 2), family["level"])
    run = run_seeds(pre.confirmatory_seeds, seed, 1)  # one generator for the stack, seeded with the run's seed
    zoo = nnclaims.train_zoo(networks=n, seed=run["seeds"][0], device=device, widths=(32,), steps=200)
    stat = condition_summary(alive_fraction(zoo).cpu().numpy(), pre.threshold, level=family["level"])
    shifted = alive_fraction(zoo, bias_shift=CONTROL_SHIFT).cpu().numpy()
    dead = condition_summary(shifted, pre.threshold, level=family["level"])
    status = stat["status"]
    control = {"description": f"every hidden bias lowered by {-CONTROL_SHIFT:g} (most units dead, not all by "
                              "construction)", "value": dead["value"], "interval": dead["interval"],
               "per_network": shifted.tolist(), "fails": dead["status"] == "unsupported"}
    return NumericResult(CLAIM_ID, status if control["fails"] else "error", pre.statistic, stat["value"],
                         zoo.networks, device, threshold=pre.threshold, interval=tuple(stat["interval"]),
                         ci_method=stat["ci_method"], ci_level=stat["ci_level"], family=family,
                         as_stated="holds" if status == "supported" else "violated", control=control,
                         details={**run, "networks_per_condition": n})


PRE = Preregistration(
    statistic="median over networks of the fraction of hidden units active on some training input",
    threshold=0.8,
    rule="supported when the order-statistic interval of the median, at the run's Bonferroni family level (the level "
         "achieved at n recorded), lies at or above the threshold; too few networks for that level → no evidence",
    date="2026-12-03",
    seen_before="earlier runs (one generator seeded 0, 16 networks) found every unit alive in every network "
                "(median 1); on those same networks the control's shift was chosen: lowering every bias by 1, 2, 3 left "
                "0.75-0.97, 0.03-0.25 and 0-0.03 of the units alive, and 2 was kept (the control is exploratory)",
    exploratory_seeds=(0, 0),
    confirmatory_seeds=(5_000_000, 5_099_999),
    sample_size="max(--networks, networks_for(family level, fraction_above=0.9, power=0.8))",
)

register(Claim(
    CLAIM_ID,
    "most ReLU units stay alive through training",
    "After 200 SGD steps on a teacher, at least 80 % of the hidden units of a ReLU MLP 8-32-3 are active on some "
    "training input (median over networks).",
    source="examples/dead_units.py (a user's own claim)",
    kind="empirical",
    numeric=check_units_alive,
    preregistered=PRE,
    mutations=(
        Mutation("threshold at +∞", changes={"preregistered": dataclasses.replace(PRE, threshold=float("inf"))}),
        Mutation("every unit counted as alive", f"{__name__}:alive_fraction",
                 lambda f: lambda zoo, bias_shift=0.0: torch.ones(zoo.networks, dtype=torch.float64)),
    ),
    established="supported",
))
