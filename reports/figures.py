"""Figures for the report, drawn from a claim's JSON record (matplotlib, Agg backend).

Each function takes the claim's ``results.json`` entry and returns a figure or ``None`` when the record
carries nothing to draw.  :func:`figures_for` lists every figure for a claim.

Reproducible bytes: every figure is drawn under matplotlib's default style (a user's ``matplotlibrc`` does not
leak in), with the fonts matplotlib ships, and saved as PNG, which carries no date — only the ``Software``
text, which names the matplotlib version.  So the same ``results.json`` gives the same PNG bytes with the same
matplotlib and FreeType (``tests/test_report.py`` checks both, against the committed reference figures too).
The numbers in ``results.json`` are another matter: see docs/reading-a-report.md on thread counts.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nnclaims.inputs import InputError  # noqa: E402

__all__ = ["figures_for", "png_bytes", "FigureInputError"]

FLOOR = 1e-18  # errors of exactly 0 are drawn at this floor on the log axis


class FigureInputError(InputError):
    """A record whose details cannot be drawn (a results file that is not one)."""


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    with plt.style.context("default"):  # savefig reads rcParams too (savefig.*)
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _finite(xs) -> list[float]:
    return [float(x) for x in xs if isinstance(x, (int, float)) and math.isfinite(x)]


def _errors_vs_tolerance(c: dict):
    num = c.get("numeric") or {}
    vals = (num.get("details") or {}).get("per_network")
    tol = num.get("tolerance")
    if not isinstance(vals, list) or not _finite(vals) or not _finite([tol]):
        return None
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    ys = sorted(max(v, FLOOR) for v in _finite(vals))
    ax.plot(range(len(ys)), ys, "o", ms=3, color="#246")
    ax.axhline(max(tol, FLOOR), color="#a00", lw=1, label=f"tolerance {tol:.1e}")
    lo, hi = min(ys + [max(tol, FLOOR)]), max(ys + [max(tol, FLOOR)])
    if lo == hi:  # one value everywhere (all errors 0 and tolerance 0): a decade either side
        ax.set_ylim(lo / 10, hi * 10)
    ax.set_yscale("log")
    ax.set_xlabel("network (sorted)")
    ax.set_ylabel("relative error")
    zeros = sum(v == 0 for v in vals)
    ax.set_title(f"{c['id']}: {num.get('status')}" + (f" ({zeros} exactly 0, drawn at {FLOOR:g})" if zeros else ""),
                 fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _dnfa_cosines(c: dict):
    det = (c.get("numeric") or {}).get("details") or {}
    per = det.get("per_network")
    if not isinstance(per, dict) or "ansatz_cos trained layer 1" not in per:
        return None
    layers = sorted({int(k.rsplit(" ", 1)[1]) for k in per})
    fig, axes = plt.subplots(1, len(layers), figsize=(3.2 * len(layers), 2.8), squeeze=False, sharey=True)
    bins = [i / 40 for i in range(41)]
    thr = (c.get("numeric") or {}).get("threshold")
    for ax, layer in zip(axes[0], layers):
        for key, color in (("ansatz_cos", "#246"), ("isotropy_cos", "#c60"), ("isotropy_cos_on_range", "#4a4")):
            ax.hist(per[f"{key} trained layer {layer}"], bins=bins, histtype="step", color=color,
                    label=f"{key} (trained)")
            ax.hist(per[f"{key} init layer {layer}"], bins=bins, histtype="step", color=color, ls=":",
                    label=f"{key} (init)")
        if thr is not None:
            ax.axvline(thr, color="#a00", lw=1, label=f"threshold {thr}")
        ax.set_xlabel("uncentred cosine")
        ax.set_title(f"layer {layer}", fontsize=8)
    axes[0][0].set_ylabel("networks")
    fig.suptitle("DNFA: ansatz vs isotropy of pre-activation gradients, same networks", fontsize=8)
    axes[0][0].legend(fontsize=6, ncol=4, loc="upper left", bbox_to_anchor=(0.0, -0.22))
    return fig


def _match_vs_eps(c: dict):
    det = (c.get("numeric") or {}).get("details") or {}
    sim = det.get("similarity_median")
    if not isinstance(sim, dict):
        return None
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    for layer, series in sim.items():
        eps = sorted(series, key=float)
        ax.plot([float(e) for e in eps], [series[e] for e in eps], "o-", ms=3, label=layer)
    ax.set_xlabel("ε")
    ax.set_ylabel("max-match similarity (median over pairs)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Subspace match per layer vs ε (pairs trained from different seeds)", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _similarity_groups(c: dict):
    """subspace.similarity-answers-question: every measure's median for twins, same-task pairs, unrelated pairs."""
    det = (c.get("numeric") or {}).get("details") or {}
    by = det.get("by_measure")
    if not isinstance(by, dict):
        return None
    groups = ("twin", "same task", "unrelated")
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    names = list(by)
    for g_i, (g, color) in enumerate(zip(groups, ("#4a4", "#c60", "#a00"))):
        ax.bar([i + (g_i - 1) * 0.27 for i in range(len(names))], [by[m].get(f"median {g}", 0) for m in names],
               width=0.27, color=color, label=g)
    ax.set_xticks(range(len(names)), [m.replace("_", " ") for m in names], fontsize=6, rotation=20)
    ax.set_ylabel("median similarity (hidden layer)")
    ax.set_ylim(0, 1.05)
    ax.set_title("The seed's question: which measures call twins similar and unrelated networks dissimilar", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _spectrum(c: dict):
    det = (c.get("numeric") or {}).get("details") or {}
    spec = det.get("spectrum_network0")
    if not spec:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    ax.semilogy(range(len(spec)), [max(v, FLOOR) for v in spec], "o", ms=3, color="#246", label="|eigenvalues of H|")
    ax.axhline(det["weyl_threshold_network0"], color="#a00", lw=1, label="‖R‖₂ + τ (Weyl threshold)")
    ax.axvline(det["expected_zero_network0"] - 0.5, color="#4a4", lw=1, label="P − rank J (feature rank line)")
    ax.set_xlabel("index (sorted)")
    ax.set_title("Hessian spectrum at the trained point, network 0", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _zero_counts(c: dict):
    det = (c.get("numeric") or {}).get("details") or {}
    keys = [k for k in det if k.startswith("n=")]
    if not keys:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    ax.bar(range(len(keys)), [det[k] for k in keys], color=["#246" if "independent" in k else "#c60" for k in keys])
    ax.set_xticks(range(len(keys)), keys, fontsize=7)
    if "P" in det:
        ax.axhline(det["P"], color="#777", lw=1, ls=":", label=f"P = {det['P']}")
        ax.legend(fontsize=7)
    ax.set_ylabel("#zero eigenvalues (median)")
    ax.set_title("Information loss vs broadness: shared vs independent input parts", fontsize=8)
    return fig


def figures_for(c: dict) -> list[tuple[str, object]]:
    """``[(name, figure), …]`` for one claim record; a record whose details cannot be drawn raises
    :class:`FigureInputError` naming the claim and the figure."""
    out = []
    for name, fn in (("errors", _errors_vs_tolerance), ("cosines", _dnfa_cosines), ("match", _match_vs_eps),
                     ("measures", _similarity_groups),
                     ("spectrum", _spectrum), ("zero-counts", _zero_counts)):
        try:
            with plt.style.context("default"):
                fig = fn(c)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
            plt.close("all")
            raise FigureInputError(f"{c.get('id')}: numeric.details cannot be drawn as the '{name}' figure "
                                   f"({type(e).__name__}: {e})") from None
        if fig is not None:
            out.append((name, fig))
    return out
