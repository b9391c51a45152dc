"""Render a results payload (the JSON of ``nnclaims verify --json``) as Markdown and self-contained HTML.

JSON is canonical; the other formats and the figures are derived from it.  The HTML works offline: math
is MathML (converted from each step's LaTeX by latex2mathml, rendered natively by browsers), figures are
embedded as base64 PNG.  :func:`write_report` builds the whole report in a sibling folder and swaps it in,
so a crash never leaves a half-written report that looks whole.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import tempfile
from pathlib import Path

from .figures import figures_for, png_bytes

__all__ = ["render_markdown", "render_html", "write_report", "to_mathml"]

LAYERS = ("symbolic", "search", "numeric")


def to_mathml(latex: str) -> str:
    """Inline MathML for a LaTeX string; falls back to escaped code when the converter rejects it."""
    from latex2mathml.converter import convert

    try:
        return convert(latex)
    except Exception:  # the converter raises many types on unsupported input
        return f"<code class='tex'>{html.escape(latex)}</code>"


_INLINE_TEX = re.compile(r"\\\((.+?)\\\)")


def _text_with_math(text: str) -> str:
    """Escape ``text`` and render the seed's inline ``\\(…\\)`` TeX as MathML."""
    out, last = [], 0
    for m in _INLINE_TEX.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(to_mathml(m.group(1)))
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def layer_summary(name: str, rec: dict) -> tuple[str, str]:
    """``(status, details)`` of one layer record, shared by the Markdown and HTML renderings."""
    status = rec.get("status", "absent")
    extra = ""
    if name == "symbolic" and "generality" in rec:
        extra = f" — {rec['generality']}"
        if rec.get("condition"):
            extra += f"; condition: {rec['condition']}"
    if name == "numeric" and rec.get("statistic"):
        lim = f"tolerance {rec['tolerance']:.2g}" if rec.get("tolerance") is not None else f"threshold {rec.get('threshold')}"
        val = rec.get("value")
        extra = (f" — {rec['statistic']} = {val:.4g}" if isinstance(val, (int, float)) else f" — {rec['statistic']}")
        extra += f" ({lim}; {rec.get('networks')} networks on {rec.get('device')})"
    if name == "search" and rec.get("bounds"):
        extra = f" — bounds {rec['bounds']}; re-checked: {rec.get('rechecked')}; {rec.get('seconds')} s"
    if status == "error":
        extra = f" — {rec.get('error') or (rec.get('details') or {}).get('error')}"
    return status, extra


CONDITION_HEAD = ("condition", "statistic", "status", "per layer, trained", "per layer, init", "median loss",
                  "variants (least per-layer median)")


def condition_rows(c: dict) -> list[tuple[str, ...]]:
    """The numeric statistic under each designed condition (``details["conditions"]``), as table rows."""
    conds = ((c.get("numeric") or {}).get("details") or {}).get("conditions") or {}
    return [(name, f"{d['value']:.4g}", d["status"], ", ".join(f"{v:.3g}" for v in d.get("per_layer_trained", [])),
             ", ".join(f"{v:.3g}" for v in d.get("per_layer_init", [])), f"{d.get('loss_median', float('nan')):.3g}",
             ", ".join(f"{k} {v:.3g}" for k, v in (d.get("variants") or {}).items()))
            for name, d in conds.items()]


def _layer_line(name: str, rec: dict) -> str:
    status, extra = layer_summary(name, rec)
    return f"**{name}**: `{status}`{extra}"


def _fig_name(claim_id: str, name: str) -> str:
    return f"{claim_id}.{name}.png"


def render_markdown(payload: dict, figures: dict[str, list[str]] | None = None) -> str:
    """Markdown for a code host: math as ``$`…`$``, figures linked from ``figures/``."""
    figures = figures or {}
    claims = payload["claims"]
    lines = ["# nnclaims report", ""]
    counts = payload.get("counts") or {}
    lines.append("Verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines += ["", "| claim | seed | verdict | evidence |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| [{c['id']}](#{c['id'].replace('.', '')}) | {c['source']} | **{c['verdict']}** | {c['evidence']} |")
    for c in claims:
        lines += ["", f"## {c['id']}", "", f"> {c['quote']}", "", f"*Statement:* {c['statement']}", "",
                  f"**Verdict: {c['verdict']}** — {c['evidence']}"]
        if c.get("disagreement"):
            lines += ["", f"**DISAGREEMENT:** {c['disagreement']}"]
        lines.append("")
        lines += [f"- {_layer_line(layer, c.get(layer) or {})}" for layer in LAYERS]
        steps = (c.get("symbolic") or {}).get("steps") or []
        if steps:
            lines += ["", "Derivation:", ""]
            for n, s in enumerate(steps, 1):
                mark = "✓" if s["holds"] else "✗"
                lines.append(f"{n}. {mark} {s['description']}: $`{s['latex']}`$ ({s['check']})")
        rows = condition_rows(c)
        if rows:
            lines += ["", "The same statistic under designed conditions:", "",
                      "| " + " | ".join(CONDITION_HEAD) + " |", "|" + "---|" * len(CONDITION_HEAD)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        cex = (c.get("symbolic") or {}).get("counterexample")
        if cex:
            lines += ["", "Counterexample:", "", "```json", json.dumps(cex, indent=1), "```"]
        wit = (c.get("search") or {}).get("witness")
        if wit:
            lines += ["", "Search witness (re-checked exactly):", "", "```json", json.dumps(wit), "```"]
        for f in figures.get(c["id"], []):
            lines += ["", f"![{f}](figures/{f})"]
    prov = payload.get("provenance")
    if prov:
        lines += ["", "## Provenance", "", "```json", json.dumps(prov, indent=1), "```"]
    return "\n".join(lines) + "\n"


def _matrix_table(M) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in M)
    return f"<table class='mat'>{rows}</table>"


def _witness_html(w: dict) -> str:
    if not isinstance(w, dict):
        return ""
    parts = []
    if "inputs" in w:
        parts.append(f"<p>inputs (points × features):</p>{_matrix_table(w['inputs'])}")
    for net in ("net_a", "net_b"):
        if net in w:
            mats = "".join(f"<div class='w'>W{i + 1}{_matrix_table(W)}</div>" for i, W in enumerate(w[net]["weights"]))
            parts.append(f"<p>{net} (h = relu(W h + b), W out × in; output {html.escape(str(w.get('output_activation')))})"
                         f"</p><div class='ws'>{mats}</div>")
    if not parts:
        parts.append(f"<pre>{html.escape(json.dumps(w, indent=1))}</pre>")
    return "".join(parts)


_CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  document.body.dataset.images = imgs.length;
  document.body.dataset.brokenImages = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.dataset.math = document.getElementsByTagName('math').length;
});
</script>"""


def render_html(payload: dict, figures: dict[str, list[tuple[str, bytes]]] | None = None) -> str:
    """Self-contained HTML: MathML math, embedded PNG figures, no external assets."""
    figures = figures or {}
    esc = html.escape
    counts = payload.get("counts") or {}
    rows = "".join(
        f"<tr><td><a href='#{esc(c['id'])}'>{esc(c['id'])}</a></td><td>{esc(c['source'])}</td>"
        f"<td class='v {esc(c['verdict'])}'>{esc(c['verdict'])}</td><td>{esc(c['evidence'])}</td></tr>"
        for c in payload["claims"])
    sections = []
    for c in payload["claims"]:
        sym = c.get("symbolic") or {}
        steps = sym.get("steps") or []
        items = "".join(f"<li class='{'ok' if s['holds'] else 'bad'}'>{'✓' if s['holds'] else '✗'} "
                        f"{esc(s['description'])}: {to_mathml(s['latex'])} <small>({esc(s['check'])})</small></li>"
                        for s in steps)
        layers = "".join(f"<li><b>{n}</b>: <code>{esc(st)}</code>{esc(rest)}</li>"
                         for n in LAYERS for st, rest in [layer_summary(n, c.get(n) or {})])
        dis = f"<p class='dis'>DISAGREEMENT: {esc(c['disagreement'])}</p>" if c.get("disagreement") else ""
        statement = f"<p class='stmt'>{to_mathml(sym['statement'])}</p>" if sym.get("statement") else ""
        cex = (f"<details><summary>counterexample</summary><pre>{esc(json.dumps(sym['counterexample'], indent=1))}"
               f"</pre></details>") if sym.get("counterexample") else ""
        wit = c.get("search") or {}
        witness = (f"<details open><summary>search witness (re-checked: {esc(str(wit.get('rechecked')))})</summary>"
                   f"{_witness_html(wit['witness'])}</details>") if wit.get("witness") else ""
        crow = condition_rows(c)
        conds = ("<p>The same statistic under designed conditions:</p><table><tr>"
                 + "".join(f"<th>{esc(h)}</th>" for h in CONDITION_HEAD) + "</tr>"
                 + "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in crow)
                 + "</table>") if crow else ""
        imgs = "".join(f"<figure><img alt='{esc(name)}' src='data:image/png;base64,{base64.b64encode(data).decode()}'>"
                       f"<figcaption>{esc(name)}</figcaption></figure>" for name, data in figures.get(c["id"], []))
        sections.append(
            f"<section id='{esc(c['id'])}'><h2>{esc(c['id'])} <span class='v {esc(c['verdict'])}'>"
            f"{esc(c['verdict'])}</span></h2><blockquote>{_text_with_math(c['quote'])}</blockquote><p>{esc(c['statement'])}</p>"
            f"{statement}<p><b>Verdict: {esc(c['verdict'])}</b> — {esc(c['evidence'])}</p>{dis}<ul>{layers}</ul>"
            f"{conds}{'<ol>' + items + '</ol>' if items else ''}{cex}{witness}{imgs}</section>")
    prov = payload.get("provenance") or {}
    prov_rows = "".join(f"<tr><td>{esc(k)}</td><td><code>{esc(json.dumps(v))}</code></td></tr>" for k, v in prov.items())
    style = ("body{font-family:sans-serif;max-width:72em;margin:auto;padding:0 1em}td{padding:2px 6px;"
             "border-bottom:1px solid #ddd;vertical-align:top}.true,.supported{color:#070}.false,.unsupported{color:#a00}"
             ".conditional{color:#a60}.open{color:#777}.dis{color:#a00;font-weight:bold}li.bad{color:#a00}"
             "table.mat{display:inline-table;border-collapse:collapse;margin:0 .3em}table.mat td{border:1px solid #bbb;"
             "text-align:right}.ws{display:flex;flex-wrap:wrap;gap:1em}figure{display:inline-block;margin:.5em}"
             "h2 .v{font-size:70%}")
    summary = ", ".join(f"<span class='v {esc(k)}'>{esc(k)} {v}</span>" for k, v in counts.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>nnclaims report</title><style>{style}</style>"
            f"</head><body><h1>nnclaims report</h1><p>{summary}</p><table><tr><th>claim</th><th>seed</th>"
            f"<th>verdict</th><th>evidence</th></tr>{rows}</table>{''.join(sections)}<h2>Provenance</h2>"
            f"<table>{prov_rows}</table>{_CHECK_SCRIPT}</body></html>\n")


def write_report(payload: dict, out_dir: Path) -> list[Path]:
    """Write ``results.json``, ``report.md``, ``index.html`` and ``figures/*.png`` into ``out_dir``.

    Everything is built in a temporary sibling folder first and then swapped in.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / "figures").mkdir()
        figs: dict[str, list[tuple[str, bytes]]] = {}
        for c in payload["claims"]:
            for name, fig in figures_for(c):
                data = png_bytes(fig)
                fname = _fig_name(c["id"], name)
                (tmp / "figures" / fname).write_bytes(data)
                figs.setdefault(c["id"], []).append((fname, data))
        (tmp / "results.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        (tmp / "report.md").write_text(render_markdown(payload, {k: [n for n, _ in v] for k, v in figs.items()}),
                                       encoding="utf-8")
        (tmp / "index.html").write_text(render_html(payload, figs), encoding="utf-8")
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / "results.json", out_dir / "report.md", out_dir / "index.html"]
