r"""An example of an empirical claim of a user's own, in one file: most ReLU units stay alive through training.

An empirical claim of a user's own, in a single file (load it with ``nnclaims verify --claims
examples/dead_units.py`` or ``pytest --nnclaims --nnclaims-claims examples/dead_units.py``).

``user.relu-units-stay-alive``: after training, most hidden ReLU units of a small MLP are alive — active
(positive pre-activation) on at least one training input.  The statistic, threshold and rule are registered
*before* any run (``Preregistration``); the check reports a distribution-free order-statistic interval and calls the claim supported only
when the whole interval lies at or above the threshold.
"""

from __future__ import annotations

import torch

import nnclaims
from nnclaims import Claim, Mutation, NumericResult, Preregistration, register

CLAIM_ID = "user.relu-units-stay-alive"


def alive_fraction(zoo, bias_shift: float = 0.0) -> torch.Tensor:
    """Per network: the fraction of first-hidden-layer units with a positive pre-activation on some input."""
    W, b = zoo.params["0.weight"], zoo.params["0.bias"] + bias_shift
    Z = zoo.X @ W.transpose(1, 2) + b[:, None, :]
    return (Z > 0).any(dim=1).to(torch.float64).mean(dim=1)


def check_units_alive(networks=16, device="cpu", seed=0) -> NumericResult:
    """Median alive fraction over ``networks`` trained ReLU MLPs 8-32-3 (teacher data, 200 SGD steps), with its
    distribution-free 95 % order-statistic interval, against the preregistered threshold.  Control: the same networks with every hidden
    bias lowered by 100 (every unit dead) must come out below the threshold."""
    pre = nnclaims.get_claim(CLAIM_ID).preregistered
    zoo = nnclaims.train_zoo(networks=max(networks, 2), seed=seed, device=device, widths=(32,), steps=200)
    stat = nnclaims.median_interval(alive_fraction(zoo).cpu().numpy())
    dead = nnclaims.median_interval(alive_fraction(zoo, bias_shift=-100.0).cpu().numpy())
    status = nnclaims.judge_median(stat, pre.threshold)
    control = {"description": "every hidden bias lowered by 100 (all units dead)", "value": dead["value"],
               "fails": nnclaims.judge_median(dead, pre.threshold) != status}
    return NumericResult(CLAIM_ID, status if control["fails"] else "error", pre.statistic, stat["value"],
                         zoo.networks, device, threshold=pre.threshold, interval=stat["interval"],
                         as_stated="holds" if status == "supported" else "violated", control=control)


register(Claim(
    CLAIM_ID,
    "most ReLU units stay alive through training",
    "After 200 SGD steps on a teacher, at least 80 % of the hidden units of a ReLU MLP 8-32-3 are active on some "
    "training input (median over networks).",
    source="examples/dead_units.py (a user's own claim)",
    kind="empirical",
    numeric=check_units_alive,
    preregistered=Preregistration(
        statistic="median over networks of the fraction of hidden units active on some training input",
        threshold=0.8,
        rule="supported when the 95% order-statistic interval of the median lies at or above the threshold",
        date="2026-12-01",
    ),
    mutations=(
        Mutation("threshold at +∞", changes={"preregistered": Preregistration(
            "median over networks of the fraction of hidden units active on some training input", float("inf"),
            "supported when the 95% order-statistic interval of the median lies at or above the threshold", "2026-12-01")}),
        Mutation("every unit counted as alive", f"{__name__}:alive_fraction",
                 lambda f: lambda zoo, bias_shift=0.0: torch.ones(zoo.networks, dtype=torch.float64)),
    ),
    established="supported",
))
