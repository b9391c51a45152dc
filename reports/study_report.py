"""The DNFA study's outputs: ``study.json`` (canonical), ``study.md`` and the headline figures with their data.

Everything is derived from the dict :func:`nnclaims.numeric.dnfa_study.run_study` returns; :func:`study_files`
gives the files' contents, and :class:`nnclaims.reports.study_folder.StudyFolder` writes them (each atomically,
only into a folder of ours, never over a file of the user's).
"""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nnclaims.numeric.dnfa_study import gap_contrasts  # noqa: E402
from nnclaims.numeric.statistics import percent  # noqa: E402

__all__ = ["study_files", "study_file_names", "render_study_md", "phase_data", "curve_data", "REFERENCE"]

REFERENCE = {"repository": "https://github.com/aradha/deep_neural_feature_ansatz",
             "commit": "2736023c725d4f1031c622f5297fbc861fd7d4f9",
             "head": "db722e6d6f38a07283022c1f0bc703b0ad0aafca",
             "paper": "Radhakrishnan, Beaglehole, Pandit, Belkin, arXiv:2212.13881"}
FIGURE_METRICS = ("ansatz_cos", "paper_metric", "isotropy_cos")
LABELS = {"ansatz_cos": "cos(WᵀW, AGOP)", "paper_metric": "paper: cos((W−W₀)ᵀ(W−W₀), AGOP)",
          "isotropy_cos": "isotropy cos(G, I)"}


def _least(c: dict, metric: str, part: str = "metrics") -> tuple[float, list, float]:
    """A condition's least-layer median of ``metric`` with that layer's interval and its achieved level."""
    rows = c[part][metric]
    i = min(range(len(rows)), key=lambda k: rows[k]["median"] if math.isfinite(rows[k]["median"]) else math.inf)
    return rows[i]["median"], rows[i]["interval"], rows[i]["ci_level"]


def _sweep(study: dict) -> list[dict]:
    return [c for c in study["conditions"] if c["name"].startswith("sweep:")]


def phase_data(study: dict) -> dict:
    """The phase diagram's data: per metric a depth × init-scale grid of least-layer medians (None where the cell
    is excluded), and the per-cell decisions of both claims."""
    cells = _sweep(study)
    scales = sorted({c["factors"]["init_scale"] for c in cells})
    depths = sorted({c["factors"]["depth"] for c in cells})
    at = {(c["factors"]["depth"], c["factors"]["init_scale"]): c for c in cells}
    out = {"scales": scales, "depths": depths, "threshold": study["threshold"], "metrics": {}, "decisions": {}}
    for metric in FIGURE_METRICS:
        out["metrics"][metric] = [[(_least(at[(d, s)], metric)[0] if at[(d, s)]["criterion_met"] else None)
                                   for s in scales] for d in depths]
    for claim in ("dnfa.ansatz-holds-trained", "dnfa.isotropy-holds-trained"):
        out["decisions"][claim] = [[at[(d, s)]["decisions"][claim]["status"] for s in scales] for d in depths]
    return out


def curve_data(study: dict) -> dict:
    """Metric against initial scale, one curve per depth: least-layer median with that layer's 95 % interval."""
    cells = _sweep(study)
    out = {"threshold": study["threshold"], "curves": {}}
    for metric in FIGURE_METRICS:
        per = {}
        for c in sorted(cells, key=lambda c: (c["factors"]["depth"], c["factors"]["init_scale"])):
            if not c["criterion_met"]:
                continue
            med, ci, _ = _least(c, metric)
            per.setdefault(str(c["factors"]["depth"]), []).append(
                {"init_scale": c["factors"]["init_scale"], "median": med, "ci": ci, "networks": c["criterion_met"]})
        out["curves"][metric] = per
    return out


def _phase_figure(data: dict):
    fig, axes = plt.subplots(1, len(FIGURE_METRICS), figsize=(4.2 * len(FIGURE_METRICS), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], FIGURE_METRICS):
        grid = [[math.nan if v is None else v for v in row] for row in data["metrics"][metric]]
        im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(data["scales"])), [f"{s:g}" for s in data["scales"]], fontsize=7, rotation=45)
        ax.set_yticks(range(len(data["depths"])), [str(d) for d in data["depths"]], fontsize=7)
        ax.set_xlabel("initial scale (× default)", fontsize=8)
        ax.set_ylabel("hidden layers", fontsize=8)
        ax.set_title(LABELS[metric], fontsize=8)
        claim = "dnfa.isotropy-holds-trained" if metric == "isotropy_cos" else "dnfa.ansatz-holds-trained"
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if not math.isnan(v):
                    status = data["decisions"][claim][i][j]
                    mark = ("*" if metric != "paper_metric" and status == "supported" else
                            "" if status in ("supported", "unsupported") else " ne")
                    ax.text(j, i, f"{v:.2f}{mark}", ha="center", va="center", fontsize=6,
                            color="white" if v < 0.6 else "black")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("least-layer median over the networks that met the criterion (*: the claim supported in that cell by "
                 "the preregistered rule; ne: not evidence — too few networks, did not learn or undecidable by design)", fontsize=8)
    fig.tight_layout()
    return fig


def _curve_figure(data: dict):
    fig, axes = plt.subplots(1, len(FIGURE_METRICS), figsize=(4.2 * len(FIGURE_METRICS), 3.0), squeeze=False,
                             sharey=True)
    for ax, metric in zip(axes[0], FIGURE_METRICS):
        for depth, pts in sorted(data["curves"][metric].items()):
            xs = [p["init_scale"] for p in pts]
            ys = [p["median"] for p in pts]
            err = [[y - p["ci"][0] for y, p in zip(ys, pts)], [p["ci"][1] - y for y, p in zip(ys, pts)]]
            ax.errorbar(xs, ys, yerr=err, marker="o", ms=3, capsize=2, lw=1, label=f"depth {depth}")
        ax.axhline(data["threshold"], color="#a00", lw=0.8, ls="--", label=f"threshold {data['threshold']}")
        ax.set_xscale("log")
        ax.set_xlabel("initial scale (× default)", fontsize=8)
        ax.set_title(LABELS[metric], fontsize=8)
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("least-layer median (order-statistic interval, family level)", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _fmt_ci(ci) -> str:
    return "–" if ci is None or any(v is None or not math.isfinite(v) for v in ci) else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _cell(row: dict) -> str:
    return f"{row['median']:.3f} {_fmt_ci(row['interval'])}" if math.isfinite(row["median"]) else "–"


def _layers(c: dict, metric: str, part: str = "metrics") -> str:
    return "; ".join(_cell(r) for r in c[part][metric])


def _short(f: dict) -> str:
    return (f"{f['depth']}×{f['width']}, {'bias' if f['bias'] else 'no bias'}, init ×{f['init_scale']:g}, "
            f"{f['optimizer']} lr {f['lr']:g}, {f['loss']}, {f['data']}, batch {f['batch']}")


def _names(names) -> str:
    return ", ".join(f"`{n}`" for n in names) or "none"


def _status(c: dict, claim: str) -> str:
    d = c["decisions"][claim]
    return d["status"]


PAPER_STATISTICS = (("ansatz_cos", "cos(WᵀW, AGOP) — primary (the seed's statement)"),
                    ("ansatz_cos_sqrt_agop", "cos(WᵀW, AGOP^½)"),
                    ("paper_metric", "official code, bugs fixed: cos((W−W₀)ᵀ(W−W₀), AGOP)"),
                    ("paper_metric_centred", "official code, centred AGOP"),
                    ("science_pearson", "Science-era: Pearson((W−W₀)ᵀ(W−W₀), AGOP^½)"),
                    ("paper_code_replica", "official code, LITERAL replica (its two bugs kept)"))


def render_study_md(study: dict) -> str:
    """``study.md``: the answers first, then the rule and corrections, what was exploratory, every condition
    (statistics, nulls, controls, trained − initial, test accuracy), the calibration and the design."""
    claims = study["claims"]
    A, I = "dnfa.ansatz-holds-trained", "dnfa.isotropy-holds-trained"
    ans, iso = claims[A], claims[I]
    conds = study["conditions"]
    t = study["timing"]
    fam = study["family"]
    loaded = (t.get("load_average_start") or 0) > (t.get("cpus") or 1) / 2
    resumed = t.get("shards_resumed") or 0
    lines = [f"# DNFA study — profile `{study['profile']}` (confirmatory run)", "",
             f"{study['networks']} networks in {len(conds)} preregistered conditions on `{study['device']}` "
             + (f"({t['threads']} thread(s)); written by a rerun that resumed {resumed} of {t.get('shards')} shards "
                f"from the first pass (the wall and CPU time below are the rerun's; the training and metric seconds "
                f"are the shards' own, wall-clock): " if resumed else f"({t['threads']} thread(s)); ")
             + f"wall time {t['total_seconds']:.0f} s (training {t['train_seconds']:.0f} s, "
             f"{t['networks_per_second']:.2f} networks/s; metrics {t['metric_seconds']:.1f} s), CPU time "
             f"{t.get('cpu_seconds', float('nan')):.0f} s, on {t.get('cpus')} CPUs with a 1-minute load average of "
             f"{t.get('load_average_start')} at the start and {t.get('load_average_end')} at the end"
             f"{' (measured under load: other processes shared the CPUs)' if loaded else ''}. "
             "Design: [`numeric/dnfa_study_design.md`](../../numeric/dnfa_study_design.md) "
             "(machine-readable: `numeric/dnfa_design.py`).", "",
             f"Network seeds of this run: {study['seeds']['confirmatory'][0]:,}–{study['seeds']['confirmatory'][1]:,} "
             f"(never used before). {study['seeds']['seen_before']}", "",
             "## Answers", ""]

    def held(claim):
        return [c["name"] for c in conds if _status(c, claim) == "supported"]

    def noev(claim):
        return {c["name"]: _status(c, claim) for c in conds if _status(c, claim) not in ("supported", "unsupported")}

    lines.append(f"- **`{A}`: {ans['verdict']}** by the one rule. Statistic: cos(WᵀW, AGOP) at every hidden layer, "
                 f"interval ≥ {study['threshold']} and its excess over the spectrum-matched null > 0. It holds in "
                 f"{len(ans['supported_in'])} of {len(conds)} conditions: {_names(ans['supported_in'])}; "
                 f"not evidence: {_names(f'{k} ({v})' for k, v in noev(A).items())}.")
    for c in conds:
        if _status(c, A) == "supported":
            lines.append(f"  - `{c['name']}` ({c['factors']['data']}): cos {c['decisions'][A]['value']:.3f} "
                         f"{_fmt_ci(c['decisions'][A]['interval'])}, null {c['decisions'][A]['null']['value']:.3f}, "
                         f"beyond the null {c['decisions'][A]['beyond_null']['value']:.3f} "
                         f"{_fmt_ci(c['decisions'][A]['beyond_null']['interval'])}.")
    lines.append(f"- **`{I}`: {iso['verdict']}** (cos(G, I) ≥ {study['threshold']} at every layer): holds in "
                 f"{_names(iso['supported_in'])}; not evidence: "
                 f"{_names(f'{k} ({v})' for k, v in noev(I).items())}.")
    ex = claims["isotropy_explains_ansatz"]
    lines.append(f"- **Does isotropy explain the ansatz?** {'Yes' if ex['answer'] else 'No'}"
                 + (f": the ansatz holds without isotropy in {_names(ex['ansatz_without_isotropy'])}."
                    if ex["ansatz_without_isotropy"] else "."))
    best = max((c for c in conds if c["criterion_met"]), key=lambda c: c["decisions"][A]["value"], default=None)
    if best is not None:
        lines.append(f"- Highest least-layer median of cos(WᵀW, AGOP): {best['decisions'][A]['value']:.3f} in "
                     f"`{best['name']}` ({best['factors']['data']}, init ×{best['factors']['init_scale']:g}). "
                     "Every other number is in the tables below; each names its data and teacher.")
    default = [c for c in conds if c["criterion_met"] and c["factors"].get("init_scale") == 1]
    if default:
        top = max(default, key=lambda c: c["decisions"][A]["value"])
        holds = [c["name"] for c in default if _status(c, A) == "supported"]
        lines.append(f"- **\"Highly correlated\" at PyTorch's default initial scale (×1)?** The rule holds in "
                     f"{_names(holds) if holds else 'none'} of the {len(default)} default-scale conditions; their "
                     f"highest least-layer median of cos(WᵀW, AGOP) is {top['decisions'][A]['value']:.3f} "
                     f"{_fmt_ci(top['decisions'][A]['interval'])} in `{top['name']}` ({top['factors']['data']}). "
                     "What each difference from the paper's setting changes: 'Gap to the paper, measured' below.")
    lines += ["", "## Rule, corrections, sample size", "",
              study["rule"], "",
              f"Family: {fam['method']} over the run's {fam['size']} decisions ({', '.join(fam.get('decisions', []))} "
              f"per condition): each interval at level {study['corrected_level']:.5f}. Interval method: "
              f"{study['ci_method']}; each interval records the level it achieves at its n (`ci_level` in "
              "`study.json`). A condition with too few networks for that level is `too few networks`, never "
              "supported.", "",
              f"Sample size: {study['sample_size_rule']}.", "",
              f"Primary statistic: {study['primary_why']}", ""]
    # exploratory vs confirmatory
    exp = study.get("exploratory") or {}
    if exp:
        lines += ["## Exploratory and confirmatory side by side", "",
                  f"Exploratory: {exp['run']}, {exp['networks']} networks, network seeds {exp['seeds'][0]:,}–"
                  f"{exp['seeds'][1]:,}, {exp['interval_then']} intervals (their coverage at n = 4 or 8 was "
                  f"87.5 % or 99.2 %, not 99.86 %); verdicts then: "
                  + ", ".join(f"`{k}` {v}" for k, v in exp["verdicts_then"].items()) + ". Those results were seen "
                  "before this design; only the confirmatory run decides.", "",
                  "| condition | exploratory: n, cos(WᵀW, AGOP), cos(G, I), test, ansatz decision then | "
                  "confirmatory: n, cos(WᵀW, AGOP), cos(G, I), test, ansatz / isotropy decision |",
                  "|---|---|---|"]
        for c in conds:
            e = exp["conditions"].get(c["name"])
            left = (f"{e['criterion_met']}/{e['networks']}, {e['ansatz_cos']:.3f}, {e['isotropy_cos']:.3f}, "
                    f"{e['test']:.3f}, {e['decisions_then'][A]}" if e else "not run (new condition)")
            right = (f"{c['criterion_met']}/{c['networks']}, {c['decisions'][A]['value']:.3f}, "
                     f"{c['decisions'][I]['value']:.3f}, {c['network_metrics']['test']['median']:.3f}, "
                     f"{_status(c, A)} / {_status(c, I)}")
            lines.append(f"| {c['name']} | {left} | {right} |")
        lines.append("")
    prev = study.get("exploratory_previous") or {}
    if prev:
        lines += [f"Also seen before this design: {prev['run']}, {prev['networks']} networks, network seeds "
                  f"{prev['seeds'][0]:,}–{prev['seeds'][1]:,}, {prev['interval_then']} intervals; verdicts then: "
                  + ", ".join(f"`{k}` {v}" for k, v in prev["verdicts_then"].items()) + ".", "",
                  "| condition | 2026-12-03 run: n, cos(WᵀW, AGOP) [interval], cos(G, I), test, ansatz / isotropy "
                  "decision then | this run: cos(WᵀW, AGOP), ansatz / isotropy decision |", "|---|---|---|"]
        for c in conds:
            e = prev["conditions"].get(c["name"])
            left = (f"{e['criterion_met']}/{e['networks']}, {e['ansatz_cos']:.3f} {_fmt_ci(e['ansatz_interval'])}, "
                    f"{e['isotropy_cos']:.3f}, {e['test']:.3f}, {e['decisions_then'][A]} / {e['decisions_then'][I]}"
                    if e else "not run (new condition)")
            lines.append(f"| {c['name']} | {left} | {c['decisions'][A]['value']:.3f}, {_status(c, A)} / "
                         f"{_status(c, I)} |")
        lines.append("")
    cal = next((c for c in conds if c["calibration"]), None)
    lines += ["## The paper's statistics, every condition", "",
              "Least-layer median and its interval (family level). Primary: cos(WᵀW, AGOP), the statistic the "
              "claim's quote is about; the others are the paper's own, each named for its source.", "",
              "| condition | " + " | ".join(label for _, label in PAPER_STATISTICS) + " |",
              "|---|" + "---|" * len(PAPER_STATISTICS)]
    for c in conds:
        cells = []
        for key, _ in PAPER_STATISTICS:
            if key in c["metrics"] and c["criterion_met"]:
                med, ci, _lvl = _least(c, key)
                cells.append(f"{med:.3f} {_fmt_ci(ci)}")
            else:
                cells.append("–")
        lines.append(f"| {c['name']} | " + " | ".join(cells) + " |")
    lines += ["", "## Nulls, controls and the rank bound", "",
              "Spectrum-matched null: cos(WᵀW, QΛQᵀ), Λ the AGOP's eigenvalues, Q Haar-random (seeded per network "
              "and layer). Controls, computed by the same pipeline and able to come out either way: negative — "
              "cos(WᵀW, AGOP of another network of the condition), cos(AGOP, I); positive — the AGOP an isotropic "
              "sampled G would give (WᵀG̃W), cos(G̃, I); the untrained networks are the `at initialisation` "
              "columns. Rank bound: √(rank G / k), the largest cos(G, I) the rank allows.", "",
              "| condition | null (least layer) | beyond the null | other network's AGOP | cos(AGOP, I) | "
              "positive: WᵀG̃W | positive: cos(G̃, I) | rank bound √(rank G/k) | cos(WᵀW, AGOP) at init | "
              "cos(G, I) at init | control decisions (ansatz −/+, isotropy −/+) |", "|---|" + "---|" * 10]
    for c in conds:
        if not c["criterion_met"]:
            lines.append(f"| {c['name']} |" + " – |" * 10)
            continue
        ctl = c["controls"]
        mn = lambda rows: f"{min(r['median'] for r in rows):.3f}"  # noqa: E731
        cd = c["control_decisions"]
        lines.append(f"| {c['name']} | {mn(c['metrics']['ansatz_null'])} | {mn(c['metrics']['ansatz_beyond_null'])} | "
                     f"{mn(ctl['control_ansatz_other'])} | {mn(ctl['control_isotropy_agop'])} | "
                     f"{mn(ctl['positive_ansatz'])} | {mn(ctl['positive_isotropy'])} | "
                     f"{mn(c['metrics']['isotropy_rank_bound'])} | {mn(c['at_initialisation']['ansatz_cos'])} | "
                     f"{mn(c['at_initialisation']['isotropy_cos'])} | {cd[A]['negative']}/{cd[A]['positive']}, "
                     f"{cd[I]['negative']}/{cd[I]['positive']} |")
    lines += ["", "## Trained minus initial", "",
              "Per network, the trained statistic minus the same network's at initialisation; least-layer median "
              "and interval (family level). The paper says alignment grows with training: a positive interval "
              "says so for that condition. (The official code's and the Science-era statistics use W − W₀, which "
              "is zero at initialisation: no difference is defined for them.)", "",
              "| condition | cos(WᵀW, AGOP) | beyond the null | Pearson(WᵀW, AGOP) | cos(WᵀW, AGOP^½) | cos(G, I) |",
              "|---|---|---|---|---|---|"]
    for c in conds:
        if not c["criterion_met"]:
            continue
        cells = []
        for key in ("ansatz_cos", "ansatz_beyond_null", "ansatz_pearson", "ansatz_cos_sqrt_agop", "isotropy_cos"):
            med, ci, _ = _least(c, key, "trained_minus_initial")
            cells.append(f"{med:+.3f} {_fmt_ci(ci)}")
        lines.append(f"| {c['name']} | " + " | ".join(cells) + " |")
    lines += ["", "## Conditions", "",
              "Per layer: median over the networks that met the criterion with its interval (family level). "
              "Learned: the median test error ratio (test error over the constant predictor's) has its interval "
              "below 0.5.", "",
              "| condition | factors | met / trained | seeds | test (accuracy; teacher: relative loss) | learned | "
              "cos(WᵀW, AGOP) per layer | ansatz | cos(G, I) per layer | isotropy | steps (median) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in conds:
        nmx = c["network_metrics"]
        lines.append(f"| {c['name']} | {_short(c['factors'])} | {c['criterion_met']} / {c['networks']} | "
                     f"{c['seeds'][0]:,}–{c['seeds'][1]:,} | {_cell(nmx['test'])} | {c['learned']['status']} | "
                     f"{_layers(c, 'ansatz_cos')} | {_status(c, A)} | {_layers(c, 'isotropy_cos')} | "
                     f"{_status(c, I)} | {nmx['steps']['median']:.0f} |")
    if cal:
        lines += ["", "## Calibration against the paper", "",
                  f"Condition `{cal['name']}` ({_short(cal['factors'])}; {cal['criterion_met']} of {cal['networks']} "
                  f"networks met the criterion; test accuracy {cal['network_metrics']['test']['median']:.3f}). "
                  f"Reference code: {REFERENCE['repository']} at `{REFERENCE['commit']}`.", "",
                  "| layer | " + " | ".join(label for _, label in PAPER_STATISTICS) + " |",
                  "|---|" + "---|" * len(PAPER_STATISTICS)]
        for i in range(len(cal["metrics"]["ansatz_cos"])):
            lines.append(f"| {i} | " + " | ".join(_cell(cal["metrics"][k][i]) if k in cal["metrics"] else "–"
                                                for k, _ in PAPER_STATISTICS) + " |")
        lines += ["", "The paper reports that after training the neural feature matrix and the AGOP of fully "
                  "connected networks are highly correlated at every layer. The differences between this condition "
                  "and the paper's setting, and what is known of their effect, are in the design document's "
                  "'Gap to the paper' section; every such comparison is exploratory.", ""]
    gap = gap_contrasts(study)
    if gap:
        lines += ["## Gap to the paper, measured (exploratory)", "",
                  "Each difference between this study's conditions and the paper's setting, measured as the shift from "
                  "the first condition to the second in each network's least-layer value: the Hodges–Lehmann "
                  "estimate with its exact distribution-free (Mann–Whitney) interval at 95 %, its achieved level "
                  "recorded. **Exploratory**: these pairs were chosen to explain the gap, the intervals are not "
                  "corrected for their number, and no verdict reads them. n: networks that met the criterion in each "
                  "condition; a condition that did not learn says so.", "",
                  "| difference | from → to | statistic | from (n) | to (n) | shift [95 % interval] |",
                  "|---|---|---|---|---|---|"]
        for r in gap:
            flag = lambda i: "" if r["learned"][i] == "learned" else f", {r['learned'][i]}"  # noqa: E731
            lines.append(f"| {r['difference']} | `{r['from']}` → `{r['to']}` | {r['statistic']} | "
                         f"{r['from_median']:.3f} ({r['n'][0]}{flag(0)}) | {r['to_median']:.3f} ({r['n'][1]}{flag(1)}) | "
                         f"{r['shift']:+.3f} {_fmt_ci(r['interval'])}"
                         + ("" if r["enough"] else f" (too few networks: {percent(r['ci_level'])})") + " |")
        lines.append("")
    lines += ["## Figures", ""]
    if any(c["name"].startswith("sweep:") for c in conds):
        lines += ["![phase diagram](phase_diagram.png)", "", "Data: [`phase_diagram.json`](phase_diagram.json).", "",
                  "![metric against initial scale](metric_vs_init_scale.png)", "",
                  "Data: [`metric_vs_init_scale.json`](metric_vs_init_scale.json).", ""]
    lines += ["## Training criterion", "",
              "Training loss ≤ 1 % of the constant-zero predictor's, checked every 20 steps; "
              f"{sum(c['criterion_not_met'] for c in conds)} of {study['networks']} networks did not meet it within the "
              "step cap (per condition above); results are for the networks that did.", "",
              f"Correction: {study['correction']}.", ""]
    return "\n".join(lines)


def study_file_names(study: dict) -> list[str]:
    """The names :func:`study_files` gives, without rendering anything."""
    sweep = ["phase_diagram.json", "phase_diagram.png", "metric_vs_init_scale.json", "metric_vs_init_scale.png"]
    return ["study.json", *(sweep if _sweep(study) else []), "study.md"]


def study_files(study: dict) -> dict:
    """The study's files, ``{name: contents}``: ``study.json``, ``study.md`` and, with a sweep, the phase diagram
    and the metric-vs-scale curves (PNG and their data)."""
    files = {"study.json": json.dumps(study, indent=1, default=str)}
    if _sweep(study):
        pd, cd = phase_data(study), curve_data(study)
        files["phase_diagram.json"] = json.dumps(pd, indent=1)
        files["phase_diagram.png"] = _png(_phase_figure(pd))
        files["metric_vs_init_scale.json"] = json.dumps(cd, indent=1)
        files["metric_vs_init_scale.png"] = _png(_curve_figure(cd))
    files["study.md"] = render_study_md(study)
    return files
