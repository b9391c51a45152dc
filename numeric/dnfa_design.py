r"""The DNFA study's preregistered design in machine-readable form: profiles, conditions, metrics, rule.

The DNFA study's design, fixed before any of its results were computed (preregistered; see
``numeric/dnfa_study_design.md`` for the reasoning and the git history for the date).

Everything the study measures and decides is here as data: the profiles (``verify``, ``cpu``, ``gpu``), the
conditions of each (every one ``preregistered``; one ``calibration`` condition close to the paper's own setting),
the training criterion, the metrics, the two claims' primary statistics, the threshold, the multiple-comparison
correction and the decision rule.  :mod:`numeric.dnfa_study` runs it; the catalogue's
:class:`~nnclaims.proofs.catalogue.Preregistration` of ``dnfa.ansatz-holds-trained`` and
``dnfa.isotropy-holds-trained`` is built from it (:func:`preregistration`), so the two cannot drift apart.

>>> [len(condition_names(p)) for p in PROFILES], networks("cpu"), networks("verify", 16)
([4, 3, 18, 71], 396, 64)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

__all__ = ["DESIGN_DATE", "THRESHOLD", "ALPHA", "CORRECTION", "CLAIMS", "METRICS", "INIT_KEYS", "Condition",
           "Profile", "PROFILES", "NEGATIVE_CONTROLS", "NETWORK_METRICS", "CALIBRATION_METRICS", "conditions",
           "condition_names", "networks", "sweep_scales", "preregistration", "all_condition_names", "RULE",
           "sweep_name", "family", "replicates", "seed0", "seed_range", "SEEN_BEFORE", "EXPLORATORY_SEEDS",
           "CONFIRMATORY_BASE", "GAP_CONTRASTS", "GAP_STATISTICS", "SAMPLE_SIZE_RULE", "LEARNED_BELOW", "PRIMARY_WHY", "CPU_DROPPED",
           "DECISIONS_PER_CONDITION", "ADDED", "OFFICIAL_TRAINING", "OFFICIAL_EPOCHS", "width_name", "SEED_BLOCK"]

DESIGN_DATE = "2026-12-04"  # this revision (issues 25 and 26); earlier: 2026-12-03, the first 2026-12-01
FIRST_DESIGN_DATE = "2026-12-01"
THRESHOLD = 0.9  # "highly correlated" / "close to isotropic": uncentred cosine at least 0.9 at every hidden layer
ALPHA = 0.05
CRITERION_TARGET = 0.01  # training loss at most 1 % of the loss of the constant-zero predictor
#: decisions per condition: the ansatz, isotropy, and whether the networks learned (each an interval at the family
#: level; the ansatz decision needs two intervals — the statistic and its excess over the null — an
#: intersection-union test, level α without further correction)
DECISIONS_PER_CONDITION = ("dnfa.ansatz-holds-trained", "dnfa.isotropy-holds-trained", "learned")
CORRECTION = ("Bonferroni over every decision of the run (3 per condition: the ansatz, isotropy, and whether the "
              "networks learned): every interval at level 1 − 0.05/m, order statistics of the median (exact, "
              "distribution-free), its achieved level recorded")
#: the effect the sample size is chosen to detect (numeric.statistics.networks_for)
FRACTION_ABOVE = 0.9
POWER = 0.8
SAMPLE_SIZE_RULE = (f"per condition, the least n at which a condition where {FRACTION_ABOVE:.0%} of the networks "
                    f"exceed the threshold is found supported with probability ≥ {POWER:.0%}, its interval at the "
                    "run's family level (numeric.statistics.networks_for); verify: --networks, too few networks "
                    "when n cannot reach the level")
#: a condition learned when the upper end of the interval of the median test error ratio (test error / the
#: constant baseline's: 1 − accuracy over 1 − the majority-class rate for class data, test loss over the zero
#: predictor's for teacher data) lies below this: the networks at least halve the baseline's error
LEARNED_BELOW = 0.5
#: network seeds: seed0 = CONFIRMATORY_BASE + 1,000,000 · --seed + SEED_BLOCK · condition index, networks seed0 + k
#: (k < SEED_BLOCK, so no two conditions of a run share a seed; conditions added later take the next indices)
CONFIRMATORY_BASE = 2_000_000_000
SEED_BLOCK = 1000
EXPLORATORY_SEEDS = (0, 1_999_999_999)
SEEN_BEFORE = ("Exploratory, seen before this registration: the first design's CPU run (reports/dnfa-study-cpu at "
               "commit ac931ba, 184 networks, network seeds 0–34,003, i.e. --seed 0 below 1,000,000) and every "
               "earlier `verify` run (--seed 0, seeds below 1,000,000). The small-init conditions, the expected "
               "verdicts (ansatz conditional, isotropy unsupported) and the choice of statistics came from them. "
               "Then the 2026-12-03 revision's runs on seeds 1,000,000,000–1,000,999,999: its CPU study (commit "
               "ddb657f: ansatz conditional, holding only at small init on the rank-1 teacher; isotropy unsupported), "
               "the reference report's `verify` (whose 20 networks per condition were set after that run was seen, "
               "on the same seeds) and a trial of the conditions added on 2026-12-04 (calibration ≈ 0.57, width 256 "
               "≈ 0.45, MNIST-1D at 256 samples did not learn), and one more on 1,000,014,000–1,000,014,021: the official "
               "scaling and mean loss under the training criterion, where none of 22 networks reached it within 4,000 "
               "steps (median test accuracy 0.961), so the official-training conditions train the official 500 epochs "
               "instead. The confirmatory run of this revision uses network "
               "seeds from 2,000,000,000 on, never used before.")

CLAIMS = {  # claim → (primary metric, what it measures)
    "dnfa.ansatz-holds-trained": ("ansatz_cos", "uncentred cos(W_lᵀW_l, AGOP_l)"),
    "dnfa.isotropy-holds-trained": ("isotropy_cos", "uncentred cos(G_l, I) of the pre-activation gradients"),
}
#: why cos(WᵀW, AGOP) is primary
PRIMARY_WHY = ("The claim's quote is about W_iᵀW_i and AGOP_i themselves (no power, no initialisation removed): "
               "the seed states the ansatz as W_iᵀW_i highly correlated with AGOP_i. The paper's own statistics "
               "(the official code's cosine on (W − W₀)ᵀ(W − W₀); the Science-era Pearson against AGOP^½) answer "
               "neighbouring questions and are reported beside it for every condition, as secondary.")

METRICS = {  # per hidden layer l, on the training data, at the network's criterion point
    "ansatz_cos": "uncentred cos(W_lᵀW_l, AGOP_l) — primary for dnfa.ansatz-holds-trained (the seed's statement)",
    "ansatz_null": "spectrum-matched null: uncentred cos(W_lᵀW_l, Q Λ Qᵀ), Λ the AGOP's eigenvalues, Q a random "
                   "orthogonal matrix (Haar, seeded per network and layer)",
    "ansatz_beyond_null": "ansatz_cos − ansatz_null: the alignment beyond what the spectra alone give",
    "paper_metric": "official code (arXiv:2212.13881 repository), bugs fixed: uncentred cos((W_l − W_l⁰)ᵀ(W_l − "
                    "W_l⁰), AGOP_l), power 1, the trained network's AGOP at layer l's own inputs",
    "paper_metric_centred": "the same with the centred AGOP (gradients minus their mean per output), the official "
                            "code's 'centered' variant",
    "science_pearson": "Science-era statistic (the authors' agop_feature_learning code): Pearson correlation of the "
                       "entries of (W_l − W_l⁰)ᵀ(W_l − W_l⁰) and AGOP_l^{1/2}",
    "ansatz_pearson": "Pearson correlation of the entries of W_lᵀW_l and AGOP_l",
    "ansatz_cos_sqrt_agop": "uncentred cos(W_lᵀW_l, AGOP_l^{1/2})",
    "isotropy_cos": "uncentred cos(G_l, I) — primary for dnfa.isotropy-holds-trained",
    "isotropy_rank_bound": "√(rank G_l / k_l): the largest cos(G_l, I) the rank of G_l allows (cos(G, I) = tr G / "
                           "(‖G‖_F √k) ≤ √(rank G / k)); numerical rank, eigenvalues above k·ε·λ_max (float64 ε)",
    "isotropy_cos_on_range": "uncentred cos(P G_l P, P), P the orthogonal projector onto range(W_l)",
    "feature_movement": "‖W_l − W_l⁰‖_F / ‖W_l⁰‖_F (how far the layer moved from its initialisation)",
}
#: statistics also measured at initialisation (trained − initial is reported for each, with an interval); the
#: official code's and the Science-era statistics need W − W⁰ ≠ 0 and are undefined at initialisation
INIT_KEYS = ("ansatz_cos", "ansatz_null", "ansatz_beyond_null", "ansatz_pearson", "ansatz_cos_sqrt_agop",
             "isotropy_cos", "isotropy_rank_bound", "isotropy_cos_on_range")
NEGATIVE_CONTROLS = {  # the same pipeline on inputs where the effect is absent; each can come out either way
    "control_ansatz_other": "uncentred cos(W_lᵀW_l, AGOP_l of another network of the condition): its own seed, "
                            "data and teacher (network k paired with k + 1 of its shard, cyclically)",
    "control_isotropy_agop": "uncentred cos(AGOP_l, I): the isotropy statistic on the layer's input-side gradient "
                             "outer product, isotropic only when the layer's weights are",
    "ansatz_cos_init / isotropy_cos_init": "the primary statistics of the untrained networks (at_initialisation)",
}
NETWORK_METRICS = {  # per network
    "test": "test accuracy (class data) or test loss / zero-predictor test loss (teacher data), held-out samples",
    "test_error_ratio": "test error over the constant baseline's: (1 − accuracy) / (1 − majority-class rate) for "
                        "class data, test loss / zero-predictor test loss for teacher data (1: no better than the "
                        "baseline)",
    "train_relative_loss": "training loss / loss of the constant-zero predictor at the criterion point",
    "steps": "steps to the criterion (the cap where it was not met)",
}
CALIBRATION_METRICS = {
    "paper_code_replica": "LITERAL REPLICA of the official verify_deep_NFA.py computation, bugs kept: its load_nn "
                          "subtracts W⁰ in place, so the AGOP is that of the network with W_l − W_l⁰ in layer l, and "
                          "for layer index ≥ 2 its get_layer_output returns the inputs of layer l + 1",
}

RULE = ("Per condition, over the networks that met the training criterion (n of them): each statistic's median "
        "with its order-statistic interval at the family level 1 − 0.05/m (m = every decision of the run, "
        "Bonferroni), the achieved level recorded. A condition whose n cannot reach that level is 'too few "
        "networks'; one whose median test error ratio's interval does not lie below 0.5 (the networks do not halve "
        "the constant baseline's error) is 'did not learn'; for isotropy, one where at some layer the interval of "
        "the median rank bound √(rank G / k) lies below 0.9 (cos(G, I) ≤ √(rank G / k) in every network, so the "
        "rank caps the median below 0.9) is 'undecidable by design'. None of these is evidence either way. "
        "Otherwise the ansatz holds in the condition when at every hidden layer the interval of cos(WᵀW, AGOP) "
        "lies at or above 0.9 AND the interval of its excess over the spectrum-matched null lies above 0; isotropy "
        "holds when at every layer the interval of cos(G, I) lies at or above 0.9. The claim is supported when it "
        "holds in every preregistered condition, conditional (naming them) when in some, unsupported when in "
        "none (numeric.statistics.one_rule). Isotropy explains the ansatz when isotropy holds wherever the ansatz "
        "does.")


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
    """Sizes of one run of the design (the networks per condition follow from the family: :func:`replicates`).
    ``added``: the conditions added in this revision (issue 26), run after the sweep so that every earlier
    condition keeps its index and seeds; ``axis_widths``: the widths of the calibration's width axis."""

    name: str
    d: int  # teacher input dimension
    width: int  # hidden width (the sweep and the named conditions)
    wide: int  # the 'wide' condition's width
    n: int  # training samples per network
    n_test: int
    cap: int  # step cap
    scales: tuple  # the sweep's initial scales (× PyTorch's default)
    depths: tuple  # the sweep's depths
    named: tuple  # which named conditions run
    paper_width: int
    paper_n: int
    added: tuple = ()
    axis_widths: tuple = ()


def sweep_scales(levels: int) -> tuple:
    """``levels`` initial scales log-spaced from 0.05 to 2 (× the default), rounded to 3 significant digits;
    11 levels contain the 6 levels."""
    return tuple(float(f"{0.05 * 40 ** (i / (levels - 1)):.3g}") for i in range(levels))


NAMED = ("paper (calibration)", "base: rank-1 teacher, SGD", "full-rank teacher", "no bias", "Adam",
         "SGD, smaller learning rate (0.02)", "small init (x0.1), SGD", "small init (x0.1), full-rank teacher",
         "MSE, digits", "small init (x0.1), MSE, digits", "cross-entropy, digits",
         "small init (x0.1), cross-entropy, digits", "cross-entropy, breast cancer", "wide")
#: the CPU profile keeps n at the sample-size rule and drops conditions to stay within 15 minutes on 2 cores
CPU_DROPPED = ("no bias", "SGD, smaller learning rate (0.02)", "cross-entropy, breast cancer",
               "the sweep's depths 1, 3, 4 and scales ×0.105, ×0.457, ×2")
CPU_NAMED = tuple(n for n in NAMED if n not in CPU_DROPPED)
#: the official code's training as far as it can be followed here (issue 26): raw [0, 1] pixels, the mean loss
#: (torch.mean((f - y)^2)) and its training length, OFFICIAL_EPOCHS epochs of mini-batches of 128 (main.py: num_epochs
#: 500; its loop runs 501) instead of the training criterion; no best-validation checkpoint (no validation split here)
OFFICIAL_TRAINING = "paper, official training (raw inputs, mean loss, 500 epochs)"
OFFICIAL_EPOCHS = 500
#: conditions added in this revision (issue 26), after the sweep (new seed indices); the width axes follow them
ADDED = (OFFICIAL_TRAINING, "paper, raw inputs", "paper, mean loss", "MSE, MNIST-1D", "small init (x0.1), MSE, MNIST-1D",
         "paper setting, MNIST-1D", "paper setting, MNIST-1D, official training (raw inputs, mean loss, 500 epochs)")
CPU_ADDED = (OFFICIAL_TRAINING, "MSE, MNIST-1D", "small init (x0.1), MSE, MNIST-1D")
CPU_DROPPED_ADDED = tuple(n for n in ADDED if n not in CPU_ADDED)


#: the differences from the paper's setting whose effect study.md measures (exploratory, never a verdict): a label
#: and the pair of conditions that differ in it (the second has the paper's choice or the changed factor); a pair is
#: shown where both conditions are in the profile.  The width axis adds (calibration → each axis width).
GAP_CONTRASTS = (
    ("official training: raw inputs, mean loss, 500 epochs", "paper (calibration)", OFFICIAL_TRAINING),
    ("input scaling: standardised → raw [0, 1]", "paper (calibration)", "paper, raw inputs"),
    ("loss: ½ Σ over outputs → mean (the official code's)", "paper (calibration)", "paper, mean loss"),
    ("data: digits → MNIST-1D (MSE, default init)", "MSE, digits", "MSE, MNIST-1D"),
    ("data: digits → MNIST-1D (MSE, init ×0.1)", "small init (x0.1), MSE, digits", "small init (x0.1), MSE, MNIST-1D"),
    ("loss: MSE → cross-entropy (digits)", "MSE, digits", "cross-entropy, digits"),
    ("init ×1 → ×0.1 (MSE, digits)", "MSE, digits", "small init (x0.1), MSE, digits"),
    ("init ×1 → ×0.1 (cross-entropy, digits)", "cross-entropy, digits", "small init (x0.1), cross-entropy, digits"),
    ("init ×1 → ×0.1 (MSE, MNIST-1D)", "MSE, MNIST-1D", "small init (x0.1), MSE, MNIST-1D"),
    ("init ×1 → ×0.1 (rank-1 teacher, SGD)", "base: rank-1 teacher, SGD", "small init (x0.1), SGD"),
    ("init ×1 → ×0.1 (full-rank teacher)", "full-rank teacher", "small init (x0.1), full-rank teacher"),
    ("teacher rank 1 → full", "base: rank-1 teacher, SGD", "full-rank teacher"),
    ("optimiser SGD → Adam (rank-1 teacher)", "base: rank-1 teacher, SGD", "Adam"),
    ("width ×4 (rank-1 teacher)", "base: rank-1 teacher, SGD", "wide"),
)
#: the statistics each contrast is measured with: the primary one and the paper's own two
GAP_STATISTICS = (("ansatz_cos", "cos(WᵀW, AGOP)"), ("paper_metric", "official code's cosine, bugs fixed"),
                  ("science_pearson", "Science-era Pearson"))


def width_name(data: str, width: int) -> str:
    """A condition of the calibration's width axis: the paper's setting on ``data`` at hidden width ``width``."""
    return f"paper, width {width}" if data == "digits" else f"paper setting, MNIST-1D, width {width}"

PROFILES = {
    "verify": Profile("verify", d=8, width=32, wide=64, n=128, n_test=128, cap=2000, scales=(), depths=(),
                      named=("paper (calibration)", "base: rank-1 teacher, SGD", "small init (x0.1), SGD",
                             "cross-entropy, digits"), paper_width=64, paper_n=256),
    # the reproducibility test's profile: three conditions at the verify sizes, small enough for CI
    "ci": Profile("ci", d=8, width=32, wide=64, n=128, n_test=128, cap=2000, scales=(), depths=(),
                  named=("base: rank-1 teacher, SGD", "small init (x0.1), SGD", "cross-entropy, digits"),
                  paper_width=64, paper_n=256),
    "cpu": Profile("cpu", d=16, width=64, wide=256, n=256, n_test=256, cap=4000, scales=(0.05, 0.219, 0.956),
                   depths=(2,), named=CPU_NAMED, paper_width=128, paper_n=512, added=CPU_ADDED,
                   axis_widths=((("digits", 256),))),
    "gpu": Profile("gpu", d=32, width=256, wide=1024, n=1024, n_test=512, cap=8000, scales=sweep_scales(11),
                   depths=(1, 2, 3, 4), named=NAMED, paper_width=1024, paper_n=1000, added=ADDED,
                   axis_widths=tuple((data, w) for data in ("digits", "mnist1d") for w in (128, 256, 512))),
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
    mnist1d = dict(d=40, q=10, data="mnist1d", n=min(p.n, 4000), n_test=min(p.n_test, 1000))  # 5,000 signals
    # the paper's main.py: ReLU, no biases, depth 3, SGD lr 0.1, batch 128, MSE on one-hot targets, default init
    paper = dict(widths=(p.paper_width,) * 3, bias=False, lr=0.1, batch_size=128)
    cal = r(b, **paper, **{**digits, "n": min(p.paper_n, 1000), "n_test": min(p.n_test, 797)})
    cal1d = r(b, **paper, **{**mnist1d, "n": min(p.paper_n, 4000)})

    def official(spec):  # the official code's scaling, loss and length: 500 epochs (n // 128 steps each), no criterion
        return r(spec, inputs="raw", loss_norm="mean", target=0.0, steps=OFFICIAL_EPOCHS * (spec.n // spec.batch_size))
    axis = {width_name(data, w): r(cal if data == "digits" else cal1d, widths=(w,) * 3) for data, w in p.axis_widths}
    return {
        "paper (calibration)": cal,
        "base: rank-1 teacher, SGD": b,
        "full-rank teacher": r(b, teacher_rank=p.d),
        "no bias": r(b, bias=False),
        "Adam": r(b, optimizer="adam", lr=1e-3),
        "SGD, smaller learning rate (0.02)": r(b, lr=0.02, steps=2 * p.cap),  # 2.5x fewer per step: twice the cap
        "small init (x0.1), SGD": r(b, init_scale=0.1),
        "small init (x0.1), full-rank teacher": r(b, teacher_rank=p.d, init_scale=0.1),
        "MSE, digits": r(b, lr=0.1, **digits),
        "small init (x0.1), MSE, digits": r(b, lr=0.1, init_scale=0.1, **digits),
        "cross-entropy, digits": r(b, loss="xent", lr=0.1, **digits),
        "small init (x0.1), cross-entropy, digits": r(b, loss="xent", lr=0.1, init_scale=0.1, **digits),
        "cross-entropy, breast cancer": r(b, d=30, q=2, data="breast-cancer", loss="xent", lr=0.1,
                                          n=min(p.n, 400), n_test=min(p.n_test, 169)),
        "wide": r(b, widths=(p.wide, p.wide)),
        OFFICIAL_TRAINING: official(cal),
        "paper, raw inputs": r(cal, inputs="raw"),
        # the mean loss's gradient is 2/q = 1/5 of ours: the step cap x q/2 (as the smaller learning rate's is doubled)
        "paper, mean loss": r(cal, loss_norm="mean", steps=p.cap * cal.q // 2),
        "MSE, MNIST-1D": r(b, lr=0.1, **mnist1d),
        "small init (x0.1), MSE, MNIST-1D": r(b, lr=0.1, init_scale=0.1, **mnist1d),
        "paper setting, MNIST-1D": cal1d,
        "paper setting, MNIST-1D, official training (raw inputs, mean loss, 500 epochs)": official(cal1d),
        **axis,
    }


def _factors(spec) -> dict:
    return {"depth": len(spec.widths), "width": spec.widths[0], "bias": spec.bias, "init_scale": spec.init_scale,
            "optimizer": spec.optimizer, "lr": spec.lr, "loss": spec.loss,
            "data": (f"teacher rank {spec.teacher_rank}" if spec.data == "teacher" else spec.data),
            "batch": spec.batch_size or "full", "inputs": spec.inputs, "loss_norm": spec.loss_norm}


def _group(spec) -> str:
    return repr(dataclasses.replace(spec, init_scale=1.0))


def sweep_name(depth: int, scale: float) -> str:
    return f"sweep: depth {depth}, init x{scale:g}"


def condition_names(profile: str) -> tuple:
    """The profile's condition names, in order (computed without building any spec): the named conditions, the
    sweep, then the conditions added in this revision and the width axis (new seed indices, :func:`seed0`)."""
    p = PROFILES[profile]
    return (tuple(p.named) + tuple(sweep_name(depth, s) for depth in p.depths for s in p.scales) + tuple(p.added)
            + tuple(width_name(data, w) for data, w in p.axis_widths))


def family(profile: str) -> dict:
    """The multiple-comparison family of one run of ``profile``: every decision it makes
    (:data:`DECISIONS_PER_CONDITION` per condition), Bonferroni.

    >>> f = family("cpu"); f["size"], round(f["level"], 5)
    (54, 0.99907)
    """
    from .statistics import FAMILY_METHOD, family_level

    size = len(DECISIONS_PER_CONDITION) * len(condition_names(profile))
    return {"method": FAMILY_METHOD, "alpha": ALPHA, "size": size, "level": family_level(size, alpha=ALPHA),
            "decisions": list(DECISIONS_PER_CONDITION), "conditions": len(condition_names(profile))}


def replicates(profile: str) -> int:
    """Networks per condition by :data:`SAMPLE_SIZE_RULE` at the profile's family level.

    >>> replicates("cpu"), replicates("ci")
    (22, 19)
    """
    from .statistics import networks_for

    return networks_for(family(profile)["level"], fraction_above=FRACTION_ABOVE, power=POWER)


def seed0(index: int, seed: int = 0) -> int:
    """The first network seed of condition ``index`` in a run with ``--seed seed`` (confirmatory range)."""
    return CONFIRMATORY_BASE + 1_000_000 * seed + SEED_BLOCK * index


def conditions(profile: str, replicates_: int | None = None, seed: int = 0) -> tuple:
    """The profile's conditions: the named ones, then the sweep (Adam, lr 1e-3, rank-1 teacher; init scale ×
    depth).  Seeds are disjoint across conditions and lie in the confirmatory range (:func:`seed0`).
    ``replicates_`` overrides the sample-size rule (``verify`` takes it from ``--networks``)."""
    p = PROFILES[profile]
    R = replicates_ or (replicates(profile) if profile != "verify" else 16)
    if R > SEED_BLOCK:
        raise ValueError(f"at most {SEED_BLOCK} networks per condition (its block of seeds; got {R})")
    out = []
    named = _named(p)

    def add(name):
        spec = named[name]
        out.append(Condition(name, spec, R, _group(spec), _factors(spec), calibration=name.startswith("paper"),
                             seed0=seed0(len(out), seed)))
    for name in p.named:
        add(name)
    b = _base(p)
    for depth in p.depths:
        for s in p.scales:
            spec = dataclasses.replace(b, widths=(p.width,) * depth, optimizer="adam", lr=1e-3, init_scale=s)
            out.append(Condition(sweep_name(depth, s), spec, R, _group(spec), _factors(spec),
                                 seed0=seed0(len(out), seed)))
    for name in tuple(p.added) + tuple(width_name(data, w) for data, w in p.axis_widths):
        add(name)
    if [c.name for c in out] != list(condition_names(profile)):
        raise AssertionError("condition names out of step with condition_names")
    return tuple(out)


def seed_range(conds) -> tuple[int, int]:
    """The first and last network seed a run of ``conds`` uses."""
    return min(c.seed0 for c in conds), max(c.seed0 + c.replicates - 1 for c in conds)


def networks(profile: str, replicates_: int | None = None) -> int:
    """Networks the profile trains."""
    return sum(c.replicates for c in conditions(profile, replicates_))


def all_condition_names() -> tuple:
    """Every condition name of every profile, without repeats."""
    seen = {}
    for prof in PROFILES:
        for name in condition_names(prof):
            seen.setdefault(name, None)
    return tuple(seen)


def preregistration(claim_id: str):
    """The catalogue's :class:`~nnclaims.proofs.catalogue.Preregistration` for one of :data:`CLAIMS`: the
    conditions ``nnclaims verify`` decides (the ``verify`` profile's), what was seen before, the seed ranges."""
    from nnclaims.proofs.registry import Preregistration

    metric, what = CLAIMS[claim_id]
    return Preregistration(statistic=f"per condition, the median over networks of the {what} at every hidden layer, "
                                     "order-statistic interval at the run's family level",
                           threshold=THRESHOLD, rule=RULE, date=DESIGN_DATE, conditions=condition_names("verify"),
                           seen_before=SEEN_BEFORE, exploratory_seeds=EXPLORATORY_SEEDS,
                           confirmatory_seeds=(CONFIRMATORY_BASE, CONFIRMATORY_BASE + 999_999_999),
                           sample_size=SAMPLE_SIZE_RULE,
                           gates=tuple(f"learned: {name}" for name in condition_names("verify")))
