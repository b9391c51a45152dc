"""Render a results payload (the JSON of ``nnclaims verify --json``) as Markdown and HTML.

JSON is canonical; the other formats are derived from it.  Writes are atomic.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

__all__ = ["render_markdown", "render_html", "write_report"]


def _layer_line(name: str, rec: dict) -> str:
    status = rec.get("status", "absent")
    extra = ""
    if name == "symbolic" and "generality" in rec:
        extra = f" — {rec['generality']}"
        if rec.get("condition"):
            extra += f"; condition: {rec['condition']}"
    if name == "numeric" and rec.get("statistic"):
        extra = f" — {rec['statistic']} = {rec.get('value')} (tol {rec.get('tolerance')}, threshold {rec.get('threshold')}, {rec.get('networks')} networks, {rec.get('device')})"
    if name == "search" and rec.get("bounds"):
        extra = f" — bounds {rec['bounds']}, re-checked: {rec.get('rechecked')}"
    if status == "error":
        extra = f" — {rec.get('error')}"
    return f"- **{name}**: `{status}`{extra}"


def render_markdown(payload: dict) -> str:
    claims = payload["claims"]
    lines = ["# nnclaims report", ""]
    counts = payload.get("counts") or {}
    lines.append("Verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines += ["", "| claim | seed | verdict | evidence |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| [{c['id']}](#{c['id'].replace('.', '')}) | {c['seed']} | **{c['verdict']}** | {c['evidence']} |")
    for c in claims:
        lines += ["", f"## {c['id']}", "", f"> {c['quote']}", "", f"*Statement:* {c['statement']}", "",
                  f"**Verdict: {c['verdict']}** — {c['evidence']}"]
        if c.get("disagreement"):
            lines += ["", f"**DISAGREEMENT:** {c['disagreement']}"]
        lines.append("")
        for layer in ("symbolic", "search", "numeric"):
            lines.append(_layer_line(layer, c.get(layer) or {}))
        steps = (c.get("symbolic") or {}).get("steps") or []
        if steps:
            lines += ["", "Derivation:", ""]
            for n, s in enumerate(steps, 1):
                mark = "✓" if s["holds"] else "✗"
                lines.append(f"{n}. {mark} {s['description']}: $`{s['latex']}`$ ({s['check']})")
        cex = (c.get("symbolic") or {}).get("counterexample")
        if cex:
            lines += ["", "Counterexample:", "", "```json", json.dumps(cex, indent=1), "```"]
    prov = payload.get("provenance")
    if prov:
        lines += ["", "## Provenance", "", "```json", json.dumps(prov, indent=1), "```"]
    return "\n".join(lines) + "\n"


def render_html(payload: dict) -> str:
    """Self-contained HTML (no external assets); math is shown as LaTeX source for now."""
    esc = html.escape
    rows = "".join(
        f"<tr><td><a href='#{esc(c['id'])}'>{esc(c['id'])}</a></td><td>{esc(c['seed'])}</td>"
        f"<td class='v {esc(c['verdict'])}'>{esc(c['verdict'])}</td><td>{esc(c['evidence'])}</td></tr>"
        for c in payload["claims"]
    )
    sections = []
    for c in payload["claims"]:
        steps = (c.get("symbolic") or {}).get("steps") or []
        items = "".join(
            f"<li>{'✓' if s['holds'] else '✗'} {esc(s['description'])}: <code>{esc(s['latex'])}</code></li>"
            for s in steps
        )
        layers = "".join(f"<li>{esc(_layer_line(n, c.get(n) or {}))}</li>" for n in ("symbolic", "search", "numeric"))
        dis = f"<p class='dis'>DISAGREEMENT: {esc(c['disagreement'])}</p>" if c.get("disagreement") else ""
        sections.append(
            f"<section id='{esc(c['id'])}'><h2>{esc(c['id'])}</h2><blockquote>{esc(c['quote'])}</blockquote>"
            f"<p>{esc(c['statement'])}</p><p><b>Verdict: {esc(c['verdict'])}</b> — {esc(c['evidence'])}</p>{dis}"
            f"<ul>{layers}</ul>{'<ol>' + items + '</ol>' if items else ''}</section>"
        )
    style = ("body{font-family:sans-serif;max-width:70em;margin:auto}td{padding:2px 6px;border-bottom:1px solid #ddd}"
             ".true,.supported{color:#070}.false,.unsupported{color:#a00}.conditional{color:#a60}.open{color:#777}"
             ".dis{color:#a00;font-weight:bold}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>nnclaims report</title><style>{style}</style>"
            f"</head><body><h1>nnclaims report</h1><table><tr><th>claim</th><th>seed</th><th>verdict</th>"
            f"<th>evidence</th></tr>{rows}</table>{''.join(sections)}</body></html>\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_report(payload: dict, out_dir: Path) -> list[Path]:
    """Write ``results.json``, ``report.md`` and ``index.html`` into ``out_dir``; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "report.md", out_dir / "index.html"]
    texts = [json.dumps(payload, indent=2, default=str), render_markdown(payload), render_html(payload)]
    for p, t in zip(paths, texts):
        _atomic_write(p, t)
    return paths
