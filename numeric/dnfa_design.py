r"""The DNFA study's preregistered design in machine-readable form: profiles, conditions, metrics, rule.

The DNFA study's design, fixed before any of its results were computed (preregistered; see
``numeric/dnfa_study_design.md`` for the reasoning and the git history for the date).

Everything the study measures and decides is here as data: the profiles (``verify``, ``cpu``, ``gpu``), the
conditions of each (every one ``preregistered``; one ``calibration`` condition close to the paper's own setting),
the training criterion, the metrics, the two claims' primary statistics, the threshold, the multiple-comparison
correction and the decision rule.  :mod:`numeric.dnfa_study` runs it; the catalogue's
:class:`~nnclaims.proofs.catalogue.Preregistration` of ``dnfa.ansatz-holds-trained`` and
``dnfa.isotropy-holds-trained`` is built from it (:func:`preregistration`), so the two cannot drift apart.

>>> [len(condition_names(p)) for p in PROFILES], [networks(p) for p in ("cpu", "gpu")], networks("verify", 16)
([4, 35, 35, 55], [184, 1144], 64)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

__all__ = ["DESIGN_DATE", "THRESHOLD", "ALPHA", "CORRECTION", "CLAIMS", "METRICS", "Condition", "Profile", "PROFILES",
           "NEGATIVE_CONTROLS", "NETWORK_METRICS", "CALIBRATION_METRICS", "conditions", "condition_names", "networks", "sweep_scales", "preregistration", "all_condition_names",
           "RULE", "min_networks", "sweep_name"]

DESIGN_DATE = "2026-12-01"
THRESHOLD = 0.9  # "highly correlated" / "close to isotropic": uncentred cosine at least 0.9 at every hidden layer
ALPHA = 0.05
CORRECTION = "Bonferroni over the conditions of a profile: every verdict interval at level 1 − 0.05/m"
CRITERION_TARGET = 0.01  # training loss at most 1 % of the loss of the constant-zero predictor

CLAIMS = {  # claim → (primary metric, what it measures)
    "dnfa.ansatz-holds-trained": ("ansatz_cos", "uncentred cos(W_lᵀW_l, AGOP_l)"),
    "dnfa.isotropy-holds-trained": ("isotropy_cos", "uncentred cos(G_l, I) of the pre-activation gradients"),
}

METRICS = {  # per hidden layer l, on the training data, at the network's criterion point
    "ansatz_cos": "uncentred cos(W_lᵀW_l, AGOP_l) — primary for dnfa.ansatz-holds-trained",
    "paper_metric": "uncentred cos((W_l − W_l⁰)ᵀ(W_l − W_l⁰), AGOP_l): the official code's correlate() with "
                    "remove_init=True and the uncentred EGOP, on the trained network at layer l's inputs",
    "paper_metric_centred": "the same with the centred AGOP (gradients minus their mean per output), the official "
                            "code's 'centered' variant",
    "ansatz_pearson": "Pearson correlation of the entries of W_lᵀW_l and AGOP_l",
    "ansatz_cos_sqrt_agop": "uncentred cos(W_lᵀW_l, AGOP_l^{1/2})",
    "isotropy_cos": "uncentred cos(G_l, I) — primary for dnfa.isotropy-holds-trained",
    "isotropy_cos_on_range": "uncentred cos(P G_l P, P), P the orthogonal projector onto range(W_l)",
    "feature_movement": "‖W_l − W_l⁰‖_F / ‖W_l⁰‖_F (how far the layer moved from its initialisation)",
}
NEGATIVE_CONTROLS = {  # the same statistics on cases built to fail: the rule must call them unsupported
    "control_ansatz": "uncentred cos(W_lᵀW_l, u uᵀ), u W_l's weakest right singular vector (at most 1/√k)",
    "control_isotropy": "uncentred cos(u uᵀ, I), u G_l's leading eigenvector (exactly 1/√n_l)",
}
NETWORK_METRICS = {  # per network
    "test": "test accuracy (class data) or test loss / zero-predictor test loss (teacher data), held-out samples",
    "train_relative_loss": "training loss / loss of the constant-zero predictor at the criterion point",
    "steps": "steps to the criterion (the cap where it was not met)",
}
CALIBRATION_METRICS = {
    "paper_code_replica": "the official verify_deep_NFA.py computation literally: its load_nn subtracts W⁰ in place, "
                          "so the AGOP is that of the network with W_l − W_l⁰ in layer l, and for layer index ≥ 2 its "
                          "get_layer_output returns the inputs of layer l + 1 (computed through W_l − W_l⁰)",
}

RULE = ("Per condition and claim: among the networks that met the training criterion (at least max(3, ⌈R/2⌉) of "
        "its R networks, else the condition is excluded), the median over networks of the primary metric at every "
        "hidden layer, with a percentile-bootstrap interval (10,000 resamples) at the corrected level 1 − 0.05/m; "
        "the condition supports the claim when every layer's interval lies at or above 0.9.  The claim is "
        "supported when every non-excluded condition supports it, conditional (on the conditions listed) when some "
        "do, unsupported when none does.  Isotropy explains the ansatz (secondary question) when isotropy is "
        "supported in every condition where the ansatz is.")


@dataclass(frozen=True)
class Condition:
    """One preregistered condition: ``R`` networks of one :class:`~numeric.deep.DeepSpec` (seeds ``seed0 + k``)."""

    name: str
    spec: "DeepSpec"  # noqa: F821  (numeric.deep, imported when the conditions are built)
    replicates: int
    group: str  # conditions of one group share everything but the initial scale: trained as one stacked zoo
    factors: dict = field(default_factory=dict)
    calibration: bool = False
    preregistered: bool = True
    seed0: int = 0


@dataclass(frozen=True)
class Profile:
    """Sizes of one run of the design."""

    name: str
    d: int  # teacher input dimension
    width: int  # hidden width (the sweep and the named conditions)
    wide: int  # the 'wide' condition's width
    n: int  # training samples per network
    n_test: int
    cap: int  # step cap
    scales: tuple  # the sweep's initial scales (× PyTorch's default)
    sweep_replicates: int
    replicates: int  # per named condition (0: as many as ``verify --networks`` asks for)
    named: tuple  # which named conditions run
    paper_width: int
    paper_n: int


def sweep_scales(levels: int) -> tuple:
    """``levels`` initial scales log-spaced from 0.05 to 2 (× the default), rounded to 3 significant digits;
    11 levels contain the 6 levels."""
    return tuple(float(f"{0.05 * 40 ** (i / (levels - 1)):.3g}") for i in range(levels))


NAMED = ("paper (calibration)", "base: rank-1 teacher, SGD", "full-rank teacher", "no bias", "Adam",
         "SGD, smaller learning rate (0.02)", "small init (x0.1), SGD", "MSE, digits", "cross-entropy, digits",
         "cross-entropy, breast cancer", "wide")

PROFILES = {
    "verify": Profile("verify", d=8, width=32, wide=64, n=128, n_test=128, cap=2000, scales=(), sweep_replicates=0,
                      replicates=0, named=("paper (calibration)", "base: rank-1 teacher, SGD", "small init (x0.1), SGD",
                                           "cross-entropy, digits"), paper_width=64, paper_n=256),
    "ci": Profile("ci", d=8, width=32, wide=64, n=128, n_test=128, cap=2000, scales=sweep_scales(6),
                  sweep_replicates=4, replicates=4, named=NAMED, paper_width=64, paper_n=256),
    "cpu": Profile("cpu", d=16, width=64, wide=256, n=256, n_test=256, cap=4000, scales=sweep_scales(6),
                   sweep_replicates=4, replicates=8, named=NAMED, paper_width=128, paper_n=512),
    "gpu": Profile("gpu", d=32, width=256, wide=1024, n=1024, n_test=512, cap=8000, scales=sweep_scales(11),
                   sweep_replicates=16, replicates=40, named=NAMED, paper_width=1024, paper_n=1000),
}


def _base(p: Profile):
    """Common settings: ReLU, biases, MSE, full-batch SGD (lr 0.05), rank-1 teacher, 2 hidden layers."""
    from .deep import DeepSpec

    return DeepSpec(d=p.d, widths=(p.width, p.width), q=2, n=p.n, n_test=p.n_test, activation="relu", bias=True,
                    data="teacher", teacher_rank=1, loss="mse", optimizer="sgd", lr=0.05, steps=p.cap,
                    target=CRITERION_TARGET, check_every=20)


def _named(p: Profile) -> dict:
    b = _base(p)
    r = dataclasses.replace
    digits = dict(d=64, q=10, data="digits", n=min(p.n, 1000), n_test=min(p.n_test, 797))
    return {
        # the paper's main.py: ReLU, no biases, depth 3, SGD lr 0.1, batch 128, MSE on one-hot targets, default init
        "paper (calibration)": r(b, widths=(p.paper_width,) * 3, bias=False, lr=0.1, batch_size=128,
                                 **{**digits, "n": min(p.paper_n, 1000), "n_test": min(p.n_test, 797)}),
        "base: rank-1 teacher, SGD": b,
        "full-rank teacher": r(b, teacher_rank=p.d),
        "no bias": r(b, bias=False),
        "Adam": r(b, optimizer="adam", lr=1e-3),
        "SGD, smaller learning rate (0.02)": r(b, lr=0.02, steps=2 * p.cap),  # 2.5x fewer per step: twice the cap
        "small init (x0.1), SGD": r(b, init_scale=0.1),
        "MSE, digits": r(b, lr=0.1, **digits),
        "cross-entropy, digits": r(b, loss="xent", lr=0.1, **digits),
        "cross-entropy, breast cancer": r(b, d=30, q=2, data="breast-cancer", loss="xent", lr=0.1,
                                          n=min(p.n, 400), n_test=min(p.n_test, 169)),
        "wide": r(b, widths=(p.wide, p.wide)),
    }


def _factors(spec) -> dict:
    return {"depth": len(spec.widths), "width": spec.widths[0], "bias": spec.bias, "init_scale": spec.init_scale,
            "optimizer": spec.optimizer, "lr": spec.lr, "loss": spec.loss,
            "data": (f"teacher rank {spec.teacher_rank}" if spec.data == "teacher" else spec.data),
            "batch": spec.batch_size or "full"}


def _group(spec) -> str:
    return repr(dataclasses.replace(spec, init_scale=1.0))


def sweep_name(depth: int, scale: float) -> str:
    return f"sweep: depth {depth}, init x{scale:g}"


def condition_names(profile: str) -> tuple:
    """The profile's condition names, in order (computed without building any spec)."""
    p = PROFILES[profile]
    return tuple(p.named) + tuple(sweep_name(depth, s) for depth in (1, 2, 3, 4) for s in p.scales)


def conditions(profile: str, replicates: int | None = None) -> tuple:
    """The profile's conditions: the named ones, then the sweep (Adam, lr 1e-3, rank-1 teacher; init scale ×
    depth 1–4).  Seeds are disjoint across conditions.  ``replicates`` overrides the profile's counts (the
    ``verify`` profile takes it from ``--networks``)."""
    p = PROFILES[profile]
    out, seed = [], 0
    named = _named(p)
    for name in p.named:
        spec = named[name]
        out.append(Condition(name, spec, replicates or p.replicates, _group(spec), _factors(spec),
                             calibration=name.startswith("paper"), seed0=seed))
        seed += 1000
    b = _base(p)
    for depth in (1, 2, 3, 4):
        for s in p.scales:
            spec = dataclasses.replace(b, widths=(p.width,) * depth, optimizer="adam", lr=1e-3, init_scale=s)
            out.append(Condition(sweep_name(depth, s), spec, replicates or p.sweep_replicates, _group(spec),
                                 _factors(spec), seed0=seed))
            seed += 1000
    if [c.name for c in out] != list(condition_names(profile)):
        raise AssertionError("condition names out of step with condition_names")
    return tuple(out)


def networks(profile: str, replicates: int | None = None) -> int:
    """Networks the profile trains (``replicates`` per condition for ``verify``)."""
    p = PROFILES[profile]
    per = [replicates or p.replicates] * len(p.named) + [replicates or p.sweep_replicates] * (4 * len(p.scales))
    return sum(per)


def min_networks(replicates: int) -> int:
    """A condition enters the verdict when at least this many of its networks met the criterion."""
    return max(3, math.ceil(replicates / 2))


def all_condition_names() -> tuple:
    """Every condition name of every profile (the catalogue's preregistered conditions), without repeats."""
    seen = {}
    for prof in PROFILES:
        for name in condition_names(prof):
            seen.setdefault(name, None)
    return tuple(seen)


def preregistration(claim_id: str):
    """The catalogue's :class:`~nnclaims.proofs.catalogue.Preregistration` for one of :data:`CLAIMS`."""
    from nnclaims.proofs.catalogue import Preregistration

    metric, what = CLAIMS[claim_id]
    return Preregistration(statistic=f"per condition, the least over hidden layers of the median over networks of "
                                     f"the {what}; the claim's value is the least over conditions",
                           threshold=THRESHOLD, rule=RULE, date=DESIGN_DATE, conditions=all_condition_names())
