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

__all__ = ["study_files", "study_file_names", "render_study_md", "phase_data", "curve_data", "REFERENCE"]

REFERENCE = {"repository": "https://github.com/aradha/deep_neural_feature_ansatz",
             "commit": "2736023c725d4f1031c622f5297fbc861fd7d4f9",
             "head": "db722e6d6f38a07283022c1f0bc703b0ad0aafca",
             "paper": "Radhakrishnan, Beaglehole, Pandit, Belkin, arXiv:2212.13881"}
FIGURE_METRICS = ("ansatz_cos", "paper_metric", "isotropy_cos")
LABELS = {"ansatz_cos": "cos(WᵀW, AGOP)", "paper_metric": "paper: cos((W−W₀)ᵀ(W−W₀), AGOP)",
          "isotropy_cos": "isotropy cos(G, I)"}


def _least(c: dict, metric: str) -> tuple[float, list, list]:
    """A condition's least-layer median of ``metric`` with that layer's 95 % and corrected intervals."""
    rows = c["metrics"][metric]
    i = min(range(len(rows)), key=lambda k: rows[k]["median"] if math.isfinite(rows[k]["median"]) else math.inf)
    return rows[i]["median"], rows[i]["ci"], rows[i]["ci_corrected"]


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
                            " ex" if status == "excluded" else "")
                    ax.text(j, i, f"{v:.2f}{mark}", ha="center", va="center", fontsize=6,
                            color="white" if v < 0.6 else "black")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("least-layer median over the networks that met the criterion (*: the claim supported in that cell by "
                 "the preregistered rule; ex: cell excluded, too few networks met the criterion)", fontsize=8)
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
    axes[0][0].set_ylabel("least-layer median (95 % interval)", fontsize=8)
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
    return "–" if ci is None or any(not math.isfinite(v) for v in ci) else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _layers(c: dict, metric: str) -> str:
    return "; ".join(f"{r['median']:.3f} {_fmt_ci(r['ci_corrected'])}" for r in c["metrics"][metric])


def _short(f: dict) -> str:
    return (f"{f['depth']}×{f['width']}, {'bias' if f['bias'] else 'no bias'}, init ×{f['init_scale']:g}, "
            f"{f['optimizer']} lr {f['lr']:g}, {f['loss']}, {f['data']}, batch {f['batch']}")


def render_study_md(study: dict) -> str:
    """``study.md``: the answers first, then every condition, the calibration and the design."""
    claims = study["claims"]
    ans, iso = claims["dnfa.ansatz-holds-trained"], claims["dnfa.isotropy-holds-trained"]
    conds = study["conditions"]
    t = study["timing"]
    lines = [f"# DNFA study — profile `{study['profile']}`", "",
             f"{study['networks']} networks in {len(conds)} preregistered conditions on `{study['device']}` "
             f"({t['threads']} thread(s)); wall time {t['total_seconds']:.0f} s (training {t['train_seconds']:.0f} s, "
             f"{t['networks_per_second']:.2f} networks/s; metrics {t['metric_seconds']:.1f} s), CPU time "
             f"{t.get('cpu_seconds', float('nan')):.0f} s, on {t.get('cpus')} CPUs with a 1-minute load average of "
             f"{t.get('load_average_start')} at the start and {t.get('load_average_end')} at the end"
             f"{' (measured under load: other processes shared the CPUs)' if (t.get('load_average_start') or 0) > (t.get('cpus') or 1) / 2 else ''}. "
             "Design, written "
             "before the run: [`numeric/dnfa_study_design.md`](../../numeric/dnfa_study_design.md) "
             "(machine-readable: `numeric/dnfa_design.py`).", "",
             "## Answers", ""]
    sweep = [c for c in conds if c["name"].startswith("sweep:")]
    named = [c for c in conds if not c["name"].startswith("sweep:")]

    def where(claim):
        held = [c for c in conds if c["decisions"][claim]["status"] == "supported"]
        return held
    held = where("dnfa.ansatz-holds-trained")
    lines.append(f"- **`dnfa.ansatz-holds-trained`: {ans['verdict']}** by the preregistered rule (every hidden layer's "
                 f"median cos(WᵀW, AGOP) with its Bonferroni-corrected interval ≥ {study['threshold']} — level "
                 f"{study['corrected_level']:.4f}, m = {study['conditions_in_family']}). It holds in "
                 f"{len(held)} of {ans['conditions_counted']} counted conditions"
                 + (f" ({len(ans['excluded'])} excluded: too few networks met the criterion)" if ans["excluded"] else "")
                 + ".")
    if sweep:
        by_depth = {}
        for c in sweep:
            if c["decisions"]["dnfa.ansatz-holds-trained"]["status"] == "supported":
                by_depth.setdefault(c["factors"]["depth"], []).append(c["factors"]["init_scale"])
        desc = "; ".join(f"depth {d}: init ×{', ×'.join(f'{s:g}' for s in sorted(v))}" for d, v in sorted(by_depth.items()))
        lines.append(f"  - In the sweep (Adam, rank-1 teacher) the rule supports it at {desc or 'no cell'}.")
        high = {}
        for c in sweep:
            if c["criterion_met"] and _least(c, "ansatz_cos")[0] >= study["threshold"]:
                high.setdefault(c["factors"]["depth"], []).append(c["factors"]["init_scale"])
        desc = "; ".join(f"depth {d}: ×{', ×'.join(f'{s:g}' for s in sorted(v))}" for d, v in sorted(high.items()))
        big = [_least(c, "ansatz_cos")[0] for c in sweep if c["criterion_met"] and c["factors"]["init_scale"] >= 0.9]
        lines.append(f"  - Descriptively (least-layer median ≥ {study['threshold']}, not the rule): {desc or 'no cell'}"
                     + (f"; at the default scale and above (×0.9 or more) the least-layer medians are at most "
                        f"{max(big):.2f}." if big else "."))
    nm = [c["name"] for c in named if c["decisions"]["dnfa.ansatz-holds-trained"]["status"] == "supported"]
    lines.append(f"  - Named conditions where it holds: {', '.join(f'`{n}`' for n in nm) or 'none'}.")
    lines.append(f"- **`dnfa.isotropy-holds-trained`: {iso['verdict']}** (cos(G, I) ≥ {study['threshold']} at every "
                 f"layer): supported in {len(iso['supported_in'])} of {iso['conditions_counted']} counted conditions"
                 + (f": {', '.join(f'`{n}`' for n in iso['supported_in'])}" if iso["supported_in"] else "") + ".")
    ex = claims["isotropy_explains_ansatz"]
    lines.append(f"- **Does isotropy explain the ansatz?** {'Yes' if ex['answer'] else 'No'}: "
                 + (f"the ansatz holds without isotropy in {len(ex['ansatz_without_isotropy'])} condition(s) "
                    f"({', '.join(f'`{n}`' for n in ex['ansatz_without_isotropy'][:8])}"
                    f"{', …' if len(ex['ansatz_without_isotropy']) > 8 else ''})."
                    if ex["ansatz_without_isotropy"] else "isotropy is supported wherever the ansatz is."))
    cal = next((c for c in conds if c["calibration"]), None)
    if cal:
        lines += ["", "## Calibration against the paper", "",
                  f"Condition `{cal['name']}` ({_short(cal['factors'])}; {cal['criterion_met']} of {cal['networks']} "
                  f"networks met the criterion; test accuracy {cal['network_metrics']['test']['median']:.3f}). "
                  f"Reference code: {REFERENCE['repository']} at `{REFERENCE['commit']}` (HEAD `{REFERENCE['head']}` "
                  "changes only the README and an environment file).", "",
                  "| layer | paper metric cos((W−W₀)ᵀ(W−W₀), AGOP) | centred | official code, literally | "
                  "cos(WᵀW, AGOP) | cos(WᵀW, AGOP) at init | isotropy cos(G, I) |", "|---|---|---|---|---|---|---|"]
        for i in range(len(cal["metrics"]["ansatz_cos"])):
            m = cal["metrics"]
            cell = lambda k: f"{m[k][i]['median']:.3f} {_fmt_ci(m[k][i]['ci'])}" if k in m else "–"  # noqa: E731
            init = cal["at_initialisation"]["ansatz_cos"][i]
            lines.append(f"| {i} | {cell('paper_metric')} | {cell('paper_metric_centred')} | "
                         f"{cell('paper_code_replica')} | {cell('ansatz_cos')} | {init['median']:.3f} | "
                         f"{cell('isotropy_cos')} |")
        lines += ["", "(medians over networks, 95 % bootstrap intervals.) The paper reports that after training the "
                  "neural feature matrix and the AGOP of fully connected networks are highly correlated at every "
                  "layer, far more than at initialisation; its official code measures the first column. This session "
                  "could read the paper's abstract and code but not its figures' values, so the comparison is with "
                  "that statement, not with digits from its figures. 'Official code, literally' reproduces its two "
                  "defects (the initialisation subtracted in place, so the AGOP is of a network with W − W₀ in the "
                  "layer; and for layer index ≥ 2 the inputs of the next layer) — the difference from the first "
                  "column is their effect.", ""]
    lines += ["## Figures", "", "![phase diagram](phase_diagram.png)", "",
              "Data: [`phase_diagram.json`](phase_diagram.json).", "",
              "![metric against initial scale](metric_vs_init_scale.png)", "",
              "Data: [`metric_vs_init_scale.json`](metric_vs_init_scale.json).", "",
              "## Conditions", "",
              "Per layer: median over the networks that met the criterion, Bonferroni-corrected interval. "
              "Decision: the preregistered rule (every layer's corrected interval ≥ threshold).", "",
              "| condition | factors | met / trained | cos(WᵀW, AGOP) per layer | ansatz | cos(G, I) per layer | "
              "isotropy | paper metric (least layer) | test (accuracy; teacher: relative loss) | steps (median) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for c in conds:
        d = c["decisions"]
        pm = min(r["median"] for r in c["metrics"]["paper_metric"]) if c["criterion_met"] else float("nan")
        lines.append(f"| {c['name']}{' (calibration)' if c['calibration'] and 'calibration' not in c['name'] else ''} | "
                     f"{_short(c['factors'])} | {c['criterion_met']} / {c['networks']} | {_layers(c, 'ansatz_cos')} | "
                     f"{d['dnfa.ansatz-holds-trained']['status']} | {_layers(c, 'isotropy_cos')} | "
                     f"{d['dnfa.isotropy-holds-trained']['status']} | {pm:.3f} | "
                     f"{c['network_metrics']['test']['median']:.3f} | {c['network_metrics']['steps']['median']:.0f} |")
    lines += ["", "Other metrics (Pearson, √AGOP, isotropy on range(W), feature movement, the negative controls) are in "
              "`study.json` for every condition and layer, each with `median`, `ci` (95 %) and `ci_corrected`.", "",
              "## Training criterion", "",
              "Training loss ≤ 1 % of the constant-zero predictor's, checked every 20 steps; "
              f"{sum(c['criterion_not_met'] for c in conds)} of {study['networks']} networks did not meet it within the "
              "step cap (per condition in the table); results are for the networks that did.", "",
              "## Rule", "", study["rule"], "", f"Correction: {study['correction']}.", ""]
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
