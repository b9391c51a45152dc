"""Render a results payload (the JSON of ``nnclaims verify --json``) as Markdown and self-contained HTML.

JSON is canonical; the other formats and the figures are derived from it.  The HTML works offline: math
is MathML (converted from each step's LaTeX by latex2mathml, rendered natively by browsers), figures are
embedded as base64 PNG.

Writing never touches what the tool did not write.  A report folder holds a marker file, :data:`MARKER`,
listing the report's own files; :func:`check_report_target` (run before any work) refuses an existing file,
a non-empty folder without the marker and a place that cannot be written; :func:`write_report` builds the
new report in a staging folder inside the target, moves each of its files into place (one atomic rename
each) and removes only the previous report's own files that the new one does not have: a user's other files
in the folder, and the folder's permissions, stay as they are.
"""

from __future__ import annotations

import ast
import base64
import html
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from nnclaims.inputs import InputError, folder_entries
from nnclaims.numeric.statistics import percent

from .figures import figures_for, png_bytes

__all__ = ["render_markdown", "render_html", "write_report", "to_mathml", "check_report_target",
           "check_file_target", "write_json", "save_rescue", "validate_results", "readable", "readable_evidence",
           "step_mark", "layer_summary", "witness_lines", "panel_table", "ReportTargetError", "ResultsFormatError",
           "MARKER"]

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


def readable(v) -> str:
    """A JSON value as text for people: ``key=value`` pairs, lists in brackets, no quotes, ``yes``/``no``.

    >>> readable({"inputs": 2, "hidden": [2], "biases": False, "note": None, "x": 0.1234567})
    'inputs=2, hidden=[2], biases=no, note=none, x=0.1235'
    >>> readable([["3/5", "-4/5"], ["4/5", "3/5"]])
    '[[3/5, -4/5], [4/5, 3/5]]'
    """
    if isinstance(v, bool):
        return "yes" if v else "no"
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={readable(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(readable(x) for x in v) + "]"
    return str(v)


def _braced(text: str, start: int) -> int:
    """Index just past the brace that closes the one at ``start`` (or -1)."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return -1


def readable_evidence(text: str) -> str:
    """Evidence with any Python ``dict`` written inside it (e.g. a search's bounds) as :func:`readable` text.

    >>> readable_evidence("witness re-checked ({'inputs': 2, 'biases': False})")
    'witness re-checked (inputs=2, biases=no)'
    """
    out, i = [], 0
    while (j := text.find("{", i)) != -1:
        end = _braced(text, j)
        if end == -1:
            break
        try:
            value = ast.literal_eval(text[j:end])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
        out.append(text[i:j] + (readable(value) if isinstance(value, dict) else text[j:end]))
        i = end
    return "".join(out) + text[i:]


def step_mark(step: dict) -> tuple[str, str]:
    """``(mark, css class)`` of a derivation step by its role: a confirmed counterexample refutes the claim, so
    it is shown as one, never with a ✓.

    >>> step_mark({"holds": True, "role": "refutes"}), step_mark({"holds": True, "role": "derives"})
    (('✗ counterexample (confirmed)', 'refutes'), ('✓', 'ok'))
    >>> step_mark({"holds": False, "role": "refutes"})[0], step_mark({"holds": True, "role": "assumes"})[0]
    ('? counterexample not confirmed', '✓ assuming')
    """
    role, holds = step.get("role", "derives"), bool(step.get("holds"))
    if role == "refutes":
        return ("✗ counterexample (confirmed)", "refutes") if holds else ("? counterexample not confirmed", "bad")
    if not holds:
        return "✗ fails", "bad"
    return ("✓ assuming", "ok") if role == "assumes" else ("✓", "ok")


VERDICT_LEGEND = {
    "true": "the claim as stated holds: proved in general, or (existence) a witness found and re-checked exactly",
    "false": "the claim as stated fails: a counterexample checked exactly",
    "conditional": "identity: holds only under a condition the seed omits (proved under it), as stated it fails; "
                   "empirical: supported in some preregistered conditions (named) and not in others",
    "supported": "empirical: in every preregistered condition the statistic's interval, at the run's family-wide "
                 "(Bonferroni) level, lies at or above its threshold (and above its null, where it has one)",
    "unsupported": "empirical: in no preregistered condition that can be evidence does the interval lie at or above "
                   "the threshold",
    "open": "not settled: no proof and no checked counterexample, or the layers disagree (see DISAGREEMENT)",
}
"""What each verdict means, printed as the report's legend."""

LAYER_LEGEND = ("numeric layer: `consistent`/`violated` is the check of what the suite holds true (the statement, "
                "or for a conditional claim its conditional form); `the claim as stated` is its reading of the seed's "
                "own statement")
"""How to read a layer line's status next to the claim-as-stated reading (one line under the legend)."""


def legend_lines() -> list[str]:
    """The legend as ``verdict: meaning`` lines."""
    return [f"{k}: {v}" for k, v in VERDICT_LEGEND.items()]


def _num(v, fmt: str = ".4g") -> str:
    return format(v, fmt) if isinstance(v, (int, float)) and not isinstance(v, bool) else readable(v)


def layer_summary(name: str, rec: dict, verdict: str | None = None) -> tuple[str, str]:
    """``(status, details)`` of one layer record as readable text, shared by the CLI, the Markdown and the HTML.
    ``verdict`` (the claim's): on a conditional or false claim the numeric layer's ``consistent`` is the check of
    the conditional form and says so, and a violated as-stated reading says that the verdict expects it.

    >>> layer_summary("numeric", {"status": "consistent", "as_stated": "violated"}, "conditional")
    ('conditional form consistent', ' — the claim as stated: violated (as the verdict expects)')
    >>> layer_summary("numeric", {"status": "consistent", "as_stated": "holds"}, "true")
    ('consistent', ' — the claim as stated: holds')
    """
    status = rec.get("status", "absent")
    expects_violation = verdict in ("conditional", "false")
    if name == "numeric" and verdict == "conditional" and status in ("consistent", "violated"):
        status = f"conditional form {status}"
    parts = []
    if name == "symbolic" and rec.get("generality"):
        parts.append(str(rec["generality"]))
        if rec.get("condition"):
            parts.append(f"condition: {rec['condition']}")
    if name == "numeric" and rec.get("statistic"):
        lim = (f"tolerance {_num(rec['tolerance'], '.2g')}" if rec.get("tolerance") is not None
               else f"threshold {_num(rec.get('threshold'), 'g')}")
        val = rec.get("value")
        parts.append(f"{rec['statistic']} = {_num(val)}" if val is not None else str(rec["statistic"]))
        parts[-1] += f" ({lim}; {rec.get('networks')} networks on {rec.get('device')})"
        if rec.get("interval"):
            lo, hi = rec["interval"]
            level = rec.get("ci_level")
            at = f" at {percent(level)} (achieved)" if level else " (level not stated)"
            parts.append(f"interval [{_num(lo, '.3g')}, {_num(hi, '.3g')}]{at}")
    if name == "numeric" and status not in ("absent", "not run", "error"):
        as_stated = rec.get("as_stated") or "not checked"
        if as_stated == "violated" and expects_violation:
            as_stated += " (as the verdict expects)"
        parts.append(f"the claim as stated: {as_stated}")
    if name == "numeric" and rec.get("control"):
        c = rec["control"]
        verdict = "fails, as it must" if c.get("fails") else "DOES NOT FAIL, so this check carries no evidence"
        parts.append(f"negative control ({c.get('description')}): {_num(c.get('value'))}, {verdict}")
    if name == "search" and rec.get("bounds"):
        parts.append(f"bounds {readable(rec['bounds'])}")
        if status == "found":
            parts.append(f"witness re-checked exactly: {readable(rec.get('rechecked'))}")
        if rec.get("resources") is not None:  # the deterministic count (Z3 resource units or draws)
            parts.append(f"resources used {rec['resources']}")
        if rec.get("seconds") is not None:
            parts.append(f"{_num(rec['seconds'], '.3g')} s")
        if rec.get("note"):
            parts.append(str(rec["note"]))
    if status == "error":
        parts = [str(rec.get("error") or (rec.get("details") or {}).get("error"))]
    return status, (" — " + "; ".join(parts)) if parts else ""


def witness_lines(w) -> list[str]:
    """A search witness or counterexample as lines of text: networks layer by layer, other fields one per line."""
    if not isinstance(w, dict):
        return [readable(w)]
    lines = []
    for key, v in w.items():
        if key in ("net_a", "net_b") and isinstance(v, dict) and isinstance(v.get("weights"), list):
            layers = "; ".join(f"W{i + 1} = {readable(W)}" for i, W in enumerate(v["weights"]))
            lines.append(f"{key}: {layers}; biases {readable(v.get('biases'))}")
        elif key == "inputs" and isinstance(v, list):
            lines.append(f"data points: {', '.join(readable(x) for x in v)}")
        elif isinstance(v, dict):
            lines.append(f"{key}: {readable(v)}")
        else:
            lines.append(f"{key}: {readable(v)}")
    return lines


CONDITION_HEAD = ("condition", "statistic", "status", "per layer, trained", "per layer, init", "median loss",
                  "variants (least per-layer median)")


def condition_rows(c: dict) -> list[tuple[str, ...]]:
    """The numeric statistic under each designed condition (``details["conditions"]``), as table rows."""
    conds = ((c.get("numeric") or {}).get("details") or {}).get("conditions") or {}
    return [(name, f"{d['value']:.4g}", d["status"], ", ".join(f"{v:.3g}" for v in d.get("per_layer_trained", [])),
             ", ".join(f"{v:.3g}" for v in d.get("per_layer_init", [])), f"{d.get('loss_median', float('nan')):.3g}",
             ", ".join(f"{k} {v:.3g}" for k, v in (d.get("variants") or {}).items()))
            for name, d in conds.items()]


RUN_HEAD = ("condition", "exploratory (seen before)", "confirmatory (decides)", "achieved level", "networks")


def _iv(d: dict) -> str:
    iv = d.get("interval")
    return f"{d.get('value', float('nan')):.4g}" + (f" [{iv[0]:.3g}, {iv[1]:.3g}]" if iv else "") + f" {d.get('status', '')}"


def run_rows(c: dict) -> list[tuple[str, ...]]:
    """Exploratory values (seen before the registration, ``details["exploratory"]``) beside the confirmatory run's,
    per preregistered condition (or the one statistic), as table rows; none when the record has no exploratory
    values."""
    num = c.get("numeric") or {}
    det = num.get("details") or {}
    seen = det.get("exploratory")
    if not isinstance(seen, dict):
        return []
    conds = det.get("conditions") or {"the statistic": {"value": num.get("value"), "interval": num.get("interval"),
                                                        "status": num.get("status"), "ci_level": num.get("ci_level"),
                                                        "n": det.get("pairs", num.get("networks"))}}
    run = f"{det.get('run', '?')} seeds {det.get('seeds', '?')}"
    rows = []
    for name in list(conds) + [k for k in seen if k not in conds]:
        new, old = conds.get(name) or {}, seen.get(name) or {}
        level = new.get("ci_level")
        rows.append((name, (_iv(old) + f" ({old.get('ci_method', '')}, n = {old.get('n', '?')})") if old else "—",
                     (_iv(new) + f" ({run})") if new else "—",
                     percent(level) if level else "—", str(new.get("n", "—"))))
    return rows


def _is_cell_table(t) -> bool:
    return (isinstance(t, dict) and bool(t) and all(isinstance(r, dict) and r for r in t.values())
            and all(isinstance(x, dict) for r in t.values() for x in r.values()))


def _table_cell(d: dict) -> str:
    """One cell: the median with its interval and status (a cell with no value: its status and reason)."""
    v, iv, st = d.get("value"), d.get("interval"), d.get("status")
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return " ".join(str(x) for x in (st or "—", f"({d['reason']})" if d.get("reason") else "") if x)
    text = f"{v:.3g}" + (f" [{iv[0]:.3g}, {iv[1]:.3g}]" if isinstance(iv, list) and len(iv) == 2 else "")
    return text + (f" {st}" if st else "")


def panel_table(c: dict) -> tuple[list[str], list[tuple[str, ...]], str] | None:
    """A numeric record's ``details["table"]`` (row → column → cell ``{value, interval, ci_level, status, …}``,
    e.g. measure × pair kind) as ``(header, rows, caption)``; ``None`` when the details carry no such table.
    The caption says what the cells are (``details["table_note"]`` when recorded) and the intervals' achieved
    level(s), read from the cells' ``ci_level``, beside the per-decision level asked for (``table_level``).

    >>> h, r, cap = panel_table({"numeric": {"details": {"table": {"cka": {"twin": {"value": 0.5, "interval": [0.4, 0.6],
    ...     "ci_level": 0.99, "status": "supported"}}}}}})
    >>> h, r, cap
    (['', 'twin'], [('cka', '0.5 [0.4, 0.6] supported')], 'Each cell: median [interval] status; intervals at 99% (achieved).')
    """
    det = (c.get("numeric") or {}).get("details") or {}
    table = det.get("table")
    if not _is_cell_table(table):
        return None
    cols = list(dict.fromkeys(k for r in table.values() for k in r))
    rows = [(str(name), *(_table_cell(r[k]) if k in r else "—" for k in cols)) for name, r in table.items()]
    levels = sorted({x["ci_level"] for r in table.values() for x in r.values()
                     if isinstance(x.get("ci_level"), (int, float)) and not isinstance(x.get("ci_level"), bool)})
    at = ("level not stated" if not levels else f"{percent(levels[0])} (achieved)" if len(levels) == 1
          else f"{percent(levels[0])} to {percent(levels[-1])} (achieved, by each cell's n)")
    asked = det.get("table_level")
    cells = sum(len(r) for r in table.values())
    asked = (f", asked {percent(asked)} per cell (the table's own correction over its {cells} cells, not the claims' "
             "family): the cells describe, they are not judged; the verdict reads only the preregistered conditions"
             if isinstance(asked, (int, float)) and not isinstance(asked, bool) else "")
    what = det.get("table_note") if isinstance(det.get("table_note"), str) else "median [interval] status"
    return ["", *map(str, cols)], rows, f"Each cell: {what}; intervals at {at}{asked}."


def _layer_line(name: str, rec: dict, verdict: str | None = None) -> str:
    status, extra = layer_summary(name, rec, verdict)
    return f"**{name}**: `{status}`{extra}"


def _fig_name(claim_id: str, name: str) -> str:
    return f"{claim_id}.{name}.png"


def _cell(text: str) -> str:
    """Text for a Markdown table cell (a ``|`` would end the cell)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def study_links(payload: dict, out_dir: Path | None) -> dict[str, str]:
    """Claim ID → the study report its numeric record cites (``details["study_report"]``), as a path relative to
    ``out_dir`` when that file exists (so the link works from the report), else as cited."""
    links = {}
    for c in payload["claims"]:
        cited = ((c.get("numeric") or {}).get("details") or {}).get("study_report")
        if isinstance(cited, str) and cited:
            target = Path(cited)
            links[c["id"]] = (os.path.relpath(target.resolve(), Path(out_dir).resolve())
                              if out_dir is not None and target.is_file() else cited)
    return links


def render_markdown(payload: dict, figures: dict[str, list[str]] | None = None,
                    links: dict[str, str] | None = None) -> str:
    """Markdown for a code host: math as ``$`…`$``, figures linked from ``figures/``, each study a claim cites
    linked (``links``: :func:`study_links`)."""
    figures = figures or {}
    links = links or {}
    claims = payload["claims"]
    lines = ["# nnclaims report", ""]
    counts = payload.get("counts") or {}
    lines.append("Verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines += ["", "Legend:", ""] + [f"- **{k}**: {v}" for k, v in VERDICT_LEGEND.items()] + [f"- {LAYER_LEGEND}"]
    lines += ["", "| claim | seed | verdict | evidence |", "|---|---|---|---|"]
    for c in claims:
        lines.append(f"| [{c['id']}](#{c['id'].replace('.', '')}) | {_cell(c['source'])} | **{c['verdict']}** | "
                     f"{_cell(readable_evidence(c['evidence']))} |")
    for c in claims:
        lines += ["", f"## {c['id']}", "", f"> {c['quote']}", "", f"*Statement:* {c['statement']}", "",
                  f"**Verdict: {c['verdict']}** — {readable_evidence(c['evidence'])}"]
        if c.get("disagreement"):
            lines += ["", f"**DISAGREEMENT:** {c['disagreement']}"]
        if c["id"] in links:
            lines += ["", f"The full study behind this verdict: [{links[c['id']]}]({links[c['id']]})"]
        lines.append("")
        lines += [f"- {_layer_line(layer, c.get(layer) or {}, c.get('verdict'))}" for layer in LAYERS]
        steps = (c.get("symbolic") or {}).get("steps") or []
        if steps:
            lines += ["", "Derivation:", ""]
            for n, s in enumerate(steps, 1):
                lines.append(f"{n}. {step_mark(s)[0]} {s['description']}: $`{s['latex']}`$ ({s['check']})")
        rows = condition_rows(c)
        if rows:
            lines += ["", "The same statistic under designed conditions:", "",
                      "| " + " | ".join(CONDITION_HEAD) + " |", "|" + "---|" * len(CONDITION_HEAD)]
            lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
        runs = run_rows(c)
        if runs:
            lines += ["", "Exploratory and confirmatory runs:", "",
                      "| " + " | ".join(RUN_HEAD) + " |", "|" + "---|" * len(RUN_HEAD)]
            lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in runs]
        panel = panel_table(c)
        if panel:
            head, prow, caption = panel
            lines += ["", caption, "", "| " + " | ".join(_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in prow]
        cex = (c.get("symbolic") or {}).get("counterexample")
        if cex:
            lines += ["", "Counterexample (checked exactly):", "", "```text", *witness_lines(cex), "```"]
        wit = (c.get("search") or {}).get("witness")
        if wit:
            lines += ["", "Search witness (re-checked exactly):", "", "```text", *witness_lines(wit), "```"]
        for f in figures.get(c["id"], []):
            lines += ["", f"![{f}](figures/{f})"]
    prov = payload.get("provenance")
    if prov:
        lines += ["", "## Provenance", "", "```json", json.dumps(prov, indent=1), "```"]
    return "\n".join(lines) + "\n"


def _matrix_table(M) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(readable(v))}</td>" for v in (row if isinstance(row, list) else [row]))
                   + "</tr>" for row in (M if isinstance(M, list) else [M]))
    return f"<table class='mat'>{rows}</table>"


def _witness_html(w: dict) -> str:
    if not isinstance(w, dict):
        return ""
    parts = []
    if "inputs" in w:
        parts.append(f"<p>inputs (points × features):</p>{_matrix_table(w['inputs'])}")
    for net in ("net_a", "net_b"):
        if isinstance(w.get(net), dict) and isinstance(w[net].get("weights"), list):
            mats = "".join(f"<div class='w'>W{i + 1}{_matrix_table(W)}</div>" for i, W in enumerate(w[net]["weights"]))
            biases = html.escape(readable(w[net].get("biases")))
            parts.append(f"<p>{net} (h = relu(W h + b), W out × in; output {html.escape(str(w.get('output_activation')))}; "
                         f"biases {biases})</p><div class='ws'>{mats}</div>")
    shown = {"inputs"} | {n for n in ("net_a", "net_b") if isinstance(w.get(n), dict)}
    rest = {k: v for k, v in w.items() if k not in shown}
    if rest:
        parts.append(f"<pre>{html.escape(chr(10).join(witness_lines(rest)))}</pre>")
    return "".join(parts)


_CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  document.body.dataset.images = imgs.length;
  document.body.dataset.brokenImages = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.dataset.math = document.getElementsByTagName('math').length;
});
</script>"""


def render_html(payload: dict, figures: dict[str, list[tuple[str, bytes]]] | None = None,
                links: dict[str, str] | None = None) -> str:
    """Self-contained HTML: MathML math, embedded PNG figures, no external assets (a cited study is a link)."""
    figures = figures or {}
    links = links or {}
    esc = html.escape
    counts = payload.get("counts") or {}
    rows = "".join(
        f"<tr><td><a href='#{esc(c['id'])}'>{esc(c['id'])}</a></td><td>{esc(c['source'])}</td>"
        f"<td class='v {esc(c['verdict'])}'>{esc(c['verdict'])}</td><td>{esc(readable_evidence(c['evidence']))}</td></tr>"
        for c in payload["claims"])
    sections = []
    for c in payload["claims"]:
        sym = c.get("symbolic") or {}
        steps = sym.get("steps") or []
        items = "".join(f"<li class='{step_mark(s)[1]}'>{esc(step_mark(s)[0])} "
                        f"{esc(s['description'])}: {to_mathml(s['latex'])} <small>({esc(s['check'])})</small></li>"
                        for s in steps)
        layers = "".join(f"<li><b>{n}</b>: <code>{esc(st)}</code>{esc(rest)}</li>"
                         for n in LAYERS for st, rest in [layer_summary(n, c.get(n) or {}, c.get("verdict"))])
        dis = f"<p class='dis'>DISAGREEMENT: {esc(c['disagreement'])}</p>" if c.get("disagreement") else ""
        if c["id"] in links:
            dis += f"<p>The full study behind this verdict: <a href='{esc(links[c['id']])}'>{esc(links[c['id']])}</a></p>"
        statement = f"<p class='stmt'>{to_mathml(sym['statement'])}</p>" if sym.get("statement") else ""
        cex = (f"<details><summary>counterexample (checked exactly)</summary>"
               f"<pre>{esc(chr(10).join(witness_lines(sym['counterexample'])))}</pre></details>") if sym.get("counterexample") else ""
        wit = c.get("search") or {}
        witness = (f"<details open><summary>search witness (re-checked: {esc(str(wit.get('rechecked')))})</summary>"
                   f"{_witness_html(wit['witness'])}</details>") if wit.get("witness") else ""
        crow = condition_rows(c)
        conds = ("<p>The same statistic under designed conditions:</p><table><tr>"
                 + "".join(f"<th>{esc(h)}</th>" for h in CONDITION_HEAD) + "</tr>"
                 + "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in crow)
                 + "</table>") if crow else ""
        rrow = run_rows(c)
        conds += ("<p>Exploratory and confirmatory runs:</p><table><tr>"
                  + "".join(f"<th>{esc(h)}</th>" for h in RUN_HEAD) + "</tr>"
                  + "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in rrow)
                  + "</table>") if rrow else ""
        panel = panel_table(c)
        if panel:
            head, prow, caption = panel
            conds += (f"<table class='panel'><caption>{esc(caption)}</caption><tr>"
                      + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"
                      + "".join("<tr><th>" + esc(r[0]) + "</th>" + "".join(f"<td>{esc(v)}</td>" for v in r[1:])
                                + "</tr>" for r in prow) + "</table>")
        imgs = "".join(f"<figure><img alt='{esc(name)}' src='data:image/png;base64,{base64.b64encode(data).decode()}'>"
                       f"<figcaption>{esc(name)}</figcaption></figure>" for name, data in figures.get(c["id"], []))
        sections.append(
            f"<section id='{esc(c['id'])}'><h2>{esc(c['id'])} <span class='v {esc(c['verdict'])}'>"
            f"{esc(c['verdict'])}</span></h2><blockquote>{_text_with_math(c['quote'])}</blockquote><p>{esc(c['statement'])}</p>"
            f"{statement}<p><b>Verdict: {esc(c['verdict'])}</b> — {esc(readable_evidence(c['evidence']))}</p>{dis}<ul>{layers}</ul>"
            f"{conds}{'<ol>' + items + '</ol>' if items else ''}{cex}{witness}{imgs}</section>")
    prov = payload.get("provenance") or {}
    prov_rows = "".join(f"<tr><td>{esc(k)}</td><td><code>{esc(json.dumps(v))}</code></td></tr>" for k, v in prov.items())
    style = ("body{font-family:sans-serif;max-width:72em;margin:auto;padding:0 1em}td{padding:2px 6px;"
             "border-bottom:1px solid #ddd;vertical-align:top}.true,.supported{color:#070}.false,.unsupported{color:#a00}"
             ".conditional{color:#a60}.open{color:#777}.dis{color:#a00;font-weight:bold}li.bad{color:#a00}"
             "li.refutes{color:#a00;font-weight:bold}"
             "table.mat{display:inline-table;border-collapse:collapse;margin:0 .3em}table.mat td{border:1px solid #bbb;"
             "text-align:right}.ws{display:flex;flex-wrap:wrap;gap:1em}figure{display:inline-block;margin:.5em}"
             "h2 .v{font-size:70%}")
    summary = ", ".join(f"<span class='v {esc(k)}'>{esc(k)} {v}</span>" for k, v in counts.items())
    summary += ("</p><dl class='legend'>" + "".join(f"<dt class='v {esc(k)}'>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                                   for k, v in VERDICT_LEGEND.items())
                + f"</dl><p><small>{esc(LAYER_LEGEND.replace('`', ''))}</small>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>nnclaims report</title><style>{style}</style>"
            f"</head><body><h1>nnclaims report</h1><p>{summary}</p><table><tr><th>claim</th><th>seed</th>"
            f"<th>verdict</th><th>evidence</th></tr>{rows}</table>{''.join(sections)}<h2>Provenance</h2>"
            f"<table>{prov_rows}</table>{_CHECK_SCRIPT}</body></html>\n")


MARKER = ".nnclaims-report"
"""The file that marks a folder as a report written by nnclaims; it lists the report's own files."""

_OWN_NAME = re.compile(r"^(results\.json|report\.md|index\.html|figures/[A-Za-z0-9_.+-]+\.png)$")
_LEGACY_HTML = "<!doctype html><html><head><meta charset='utf-8'><title>nnclaims report"


class ReportTargetError(InputError):
    """A place a report or a results file must not or cannot be written to."""


class ResultsFormatError(InputError):
    """A results file (``report --from``) that is not one; the message names the field."""


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _own_files(folder: Path) -> set[str] | None:
    """The files of the nnclaims report in ``folder`` (paths relative to it), or ``None`` when the folder holds
    no report of ours.  A report written before the marker existed is recognised by its exact contents."""
    marker = folder / MARKER
    if marker.is_file():
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = data.get("files") if isinstance(data, dict) and data.get("nnclaims_report") else None
        return {f for f in files if isinstance(f, str) and _OWN_NAME.match(f)} if isinstance(files, list) else None
    try:  # a report of an earlier version: exactly our files, our page
        names = {p.name for p in folder.iterdir()}
        figs = [p for p in (folder / "figures").iterdir()] if (folder / "figures").is_dir() else []
        page = (folder / "index.html").read_text(encoding="utf-8", errors="replace")[:len(_LEGACY_HTML)]
    except OSError:
        return None
    if not {"results.json", "index.html"} <= names <= {"results.json", "report.md", "index.html", "figures"} \
            or page != _LEGACY_HTML or not all(f.is_file() and _OWN_NAME.match(f"figures/{f.name}") for f in figs):
        return None
    return {n for n in names if n != "figures"} | {f"figures/{f.name}" for f in figs}


def check_report_target(out_dir, option: str = "--out") -> None:
    """Refuse, before any work, a report folder that is an existing file, a non-empty folder that holds no
    report of ours (no :data:`MARKER`), a folder of ours whose report names are taken by other files, or a
    place that cannot be written.  Raises :class:`ReportTargetError` (one line)."""
    out = Path(out_dir)
    where = f"{option} {out}"
    entries = folder_entries(out, where, ReportTargetError, "report")
    if entries is not None:
        own = _own_files(out) if entries else set()
        if own is None:
            raise ReportTargetError(f"{where}: the folder is not empty and holds no nnclaims report (no {MARKER} "
                                    "file); choose a new or empty folder")
        for name in ("results.json", "report.md", "index.html", "figures"):
            if os.path.lexists(out / name) and name not in own and not (name == "figures" and (out / name).is_dir()):
                raise ReportTargetError(f"{where}: holds a '{name}' that is not from the report there; "
                                        "it would be replaced, so nothing was written")
        if not _writable(out):
            raise ReportTargetError(f"{where}: the folder is not writable")
        return
    base = _nearest_existing(out)
    if not base.is_dir():
        raise ReportTargetError(f"{where}: cannot make the folder: {base} is a file")
    if not _writable(base):
        raise ReportTargetError(f"{where}: cannot make the folder: {base} is not writable")


def check_file_target(path, option: str) -> None:
    """Refuse, before any work, an output file that cannot be written (a folder, an unwritable place).
    An existing file named by the user is replaced (that is what the option asks for)."""
    p = Path(path)
    where = f"{option} {p}"
    if p.is_dir():
        raise ReportTargetError(f"{where}: is a folder; give a file name")
    if os.path.lexists(p) and not os.access(p, os.W_OK):
        raise ReportTargetError(f"{where}: the file is not writable")
    base = _nearest_existing(p.parent if str(p.parent) else Path("."))
    if not base.is_dir():
        raise ReportTargetError(f"{where}: cannot write there: {base} is a file")
    if not _writable(base):
        raise ReportTargetError(f"{where}: cannot write there: {base} is not writable")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, data: bytes | str) -> None:
    """Write ``path`` through a new hidden temporary file beside it (created exclusively, so it is never a file
    that exists) and one rename: a crash never leaves a half-written file that looks whole, and no other file is
    touched.  The file keeps the mode it had (a new one gets the usual mode)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path, payload) -> None:
    """Write JSON atomically (:func:`atomic_write`), making the parent folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(payload, indent=2, default=str))


def save_rescue(payload) -> str | None:
    """Save computed results to a new file in the system's temporary folder (when the real target failed);
    returns its path, or ``None`` if even that failed."""
    try:
        fd, name = tempfile.mkstemp(prefix="nnclaims-results-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(payload, indent=2, default=str))
        return name
    except OSError:
        return None


def _write_marker(folder: Path, files: set[str]) -> None:
    write_json(folder / MARKER, {"nnclaims_report": 1, "files": sorted(files),
                                 "note": "written by nnclaims report; only the files listed here are replaced"})


def write_report(payload: dict, out_dir: Path) -> list[Path]:
    """Write ``results.json``, ``report.md``, ``index.html``, ``figures/*.png`` and :data:`MARKER` into ``out_dir``.

    The new report is built in a staging folder inside ``out_dir`` (removed afterwards, also on failure), then
    each file is moved into place with one atomic rename; the previous report's own files that the new one
    does not have are removed; nothing else in the folder is touched and its permissions stay as they are.
    """
    out_dir = Path(out_dir)
    check_report_target(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    had_marker = (out_dir / MARKER).is_file()
    old = (_own_files(out_dir) or set()) if not created else set()
    if not had_marker:  # mark the folder first: a run killed halfway leaves a folder that is still ours
        _write_marker(out_dir, old)
    for leftover in out_dir.glob(".nnclaims-staging-*"):  # from a run that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(prefix=".nnclaims-staging-", dir=out_dir))
    mode = 0o666 & ~_umask()
    done = False
    try:
        (stage / "figures").mkdir()
        figs: dict[str, list[tuple[str, bytes]]] = {}
        for c in payload["claims"]:
            for name, fig in figures_for(c):
                data = png_bytes(fig)
                fname = _fig_name(c["id"], name)
                (stage / "figures" / fname).write_bytes(data)
                figs.setdefault(c["id"], []).append((fname, data))
        (stage / "results.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        links = study_links(payload, out_dir)
        (stage / "report.md").write_text(render_markdown(payload, {k: [n for n, _ in v] for k, v in figs.items()},
                                                         links), encoding="utf-8")
        (stage / "index.html").write_text(render_html(payload, figs, links), encoding="utf-8")
        new = {"results.json", "report.md", "index.html"} | {f"figures/{n}" for v in figs.values() for n, _ in v}
        taken = sorted(n for n in new - old if os.path.lexists(out_dir / n))
        if taken:
            raise ReportTargetError(f"--out {out_dir}: holds a '{taken[0]}' that is not from the report there; "
                                    "it would be replaced, so nothing was written")
        _write_marker(out_dir, old | new)  # while files move, the marker lists both reports' files
        if any(n.startswith("figures/") for n in new):
            (out_dir / "figures").mkdir(exist_ok=True)
        for rel in sorted(new, key=lambda n: (n == "index.html", n)):  # the page last
            os.chmod(stage / rel, mode)
            os.replace(stage / rel, out_dir / rel)
        for rel in sorted(old - new):
            (out_dir / rel).unlink(missing_ok=True)
        figures_dir = out_dir / "figures"
        if any(n.startswith("figures/") for n in old) and figures_dir.is_dir() and not any(figures_dir.iterdir()):
            figures_dir.rmdir()  # the folder our earlier report made, now empty
        _write_marker(out_dir, new)
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done and not had_marker:
            (out_dir / MARKER).unlink(missing_ok=True)
            if created:
                try:
                    out_dir.rmdir()  # only if empty: the folder this call made
                except OSError:
                    pass
    return [out_dir / "results.json", out_dir / "report.md", out_dir / "index.html"]


VERDICTS = ("true", "false", "conditional", "supported", "unsupported", "open")
ROLES = ("derives", "assumes", "fact", "refutes")
_NUM = "a number"


class _Check:
    """Field checks for :func:`validate_results`; every failure names the field (``claims[2].numeric.value``)."""

    def __init__(self, what: str):
        self.what = what

    def fail(self, where: str, msg: str):
        raise ResultsFormatError(f"{self.what}: {where}: {msg}")

    def field(self, obj: dict, key: str, where: str, kind, *, required=False):
        path = f"{where}.{key}" if where else key
        if key not in obj or obj[key] is None:
            if required:
                self.fail(path, "missing")
            return None
        v = obj[key]
        ok = {"str": isinstance(v, str), "bool": isinstance(v, bool), "dict": isinstance(v, dict),
              "list": isinstance(v, list),
              _NUM: isinstance(v, (int, float)) and not isinstance(v, bool),
              "an integer": isinstance(v, int) and not isinstance(v, bool)}.get(kind)
        if isinstance(kind, tuple):
            ok = v in kind
            kind = "one of " + ", ".join(kind)
        if not ok:
            self.fail(path, f"{str(v)[:40]!r} is not {kind if kind in (_NUM, 'an integer') else 'a ' + kind}")
        return v

    def numbers(self, v, where: str, length: int | None = None):
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            self.fail(where, "is not a list of numbers")
        if length is not None and len(v) != length:
            self.fail(where, f"must have {length} entries")
        return v


def validate_results(payload, what: str = "--from") -> dict:
    """Check a results file field by field (the fields the report reads), and return it with the field names of
    earlier versions updated (``seed`` → ``source``).  Raises :class:`ResultsFormatError` naming the field.

    >>> validate_results({"claims": "x"})
    Traceback (most recent call last):
    ...
    nnclaims.reports.render.ResultsFormatError: --from: claims: 'x' is not a list
    """
    from nnclaims.inputs import refused_in

    ck = _Check(what)
    if not isinstance(payload, dict):
        ck.fail("the top level", "is not a JSON object with 'claims'")
    hit = refused_in(payload)
    if hit is not None:
        ck.fail(hit[0], hit[1].reason)
    ck.field(payload, "claims", "", "list", required=True)
    ck.field(payload, "counts", "", "dict")
    ck.field(payload, "provenance", "", "dict")
    for k, v in (payload.get("counts") or {}).items():
        if isinstance(v, bool) or not isinstance(v, int):
            ck.fail(f"counts.{k}", "is not an integer")
    claims = []
    for i, c in enumerate(payload["claims"]):
        where = f"claims[{i}]"
        if not isinstance(c, dict):
            ck.fail(where, "is not an object")
        if "source" not in c and isinstance(c.get("seed"), str):
            c = {**c, "source": c["seed"]}  # results written before the field was renamed
        for key in ("id", "source", "quote", "statement", "evidence"):
            ck.field(c, key, where, "str", required=True)
        ck.field(c, "verdict", where, VERDICTS, required=True)
        ck.field(c, "disagreement", where, "str")
        for layer in ("symbolic", "search", "numeric"):
            rec = ck.field(c, layer, where, "dict")
            if rec is not None:
                _check_layer(ck, layer, rec, f"{where}.{layer}")
        claims.append(c)
    return {**payload, "claims": claims}


def _check_layer(ck: _Check, layer: str, rec: dict, where: str) -> None:
    ck.field(rec, "status", where, "str")
    ck.field(rec, "error", where, "str")
    if layer == "symbolic":
        for key in ("generality", "condition", "statement"):
            ck.field(rec, key, where, "str")
        for n, s in enumerate(ck.field(rec, "steps", where, "list") or []):
            sw = f"{where}.steps[{n}]"
            if not isinstance(s, dict):
                ck.fail(sw, "is not an object")
            for key in ("description", "latex", "check"):
                ck.field(s, key, sw, "str", required=True)
            ck.field(s, "holds", sw, "bool", required=True)
            ck.field(s, "role", sw, ROLES)
    elif layer == "search":
        ck.field(rec, "bounds", where, "dict")
        ck.field(rec, "rechecked", where, "bool")
        ck.field(rec, "seconds", where, _NUM)
        ck.field(rec, "resources", where, "an integer")
        ck.field(rec, "note", where, "str")
        w = ck.field(rec, "witness", where, "dict")
        for net in ("net_a", "net_b"):
            if w is not None and net in w:
                n = ck.field(w, net, f"{where}.witness", "dict", required=True)
                ck.field(n, "weights", f"{where}.witness.{net}", "list", required=True)
    else:
        for key in ("statistic", "device", "as_stated"):
            ck.field(rec, key, where, "str")
        for key in ("value", "tolerance", "threshold"):
            ck.field(rec, key, where, _NUM)
        ck.field(rec, "networks", where, "an integer")
        if ck.field(rec, "interval", where, "list") is not None:
            ck.numbers(rec["interval"], f"{where}.interval", 2)
        control = ck.field(rec, "control", where, "dict")
        if control is not None:
            ck.field(control, "description", f"{where}.control", "str")
            ck.field(control, "value", f"{where}.control", _NUM)
            ck.field(control, "fails", f"{where}.control", "bool")
        details = ck.field(rec, "details", where, "dict")
        if details is not None:
            _check_details(ck, details, f"{where}.details")


def _check_details(ck: _Check, d: dict, where: str) -> None:
    """The detail fields the report's tables and figures read."""
    per = d.get("per_network")
    if isinstance(per, dict):
        for k, v in per.items():
            ck.numbers(v, f"{where}.per_network.{k}")
    elif per is not None:
        ck.numbers(per, f"{where}.per_network")
    for name, cond in (ck.field(d, "conditions", where, "dict") or {}).items():
        cw = f"{where}.conditions.{name}"
        if not isinstance(cond, dict):
            ck.fail(cw, "is not an object")
        ck.field(cond, "value", cw, _NUM, required=True)
        ck.field(cond, "status", cw, "str", required=True)
        ck.field(cond, "loss_median", cw, _NUM)
        for key in ("per_layer_trained", "per_layer_init", "interval"):
            if cond.get(key) is not None:
                ck.numbers(cond[key], f"{cw}.{key}", 2 if key == "interval" else None)
        for k, v in (ck.field(cond, "variants", cw, "dict") or {}).items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                ck.fail(f"{cw}.variants.{k}", "is not a number")
    for layer, series in (ck.field(d, "similarity_median", where, "dict") or {}).items():
        sw = f"{where}.similarity_median.{layer}"
        if not isinstance(series, dict):
            ck.fail(sw, "is not an object")
        for eps, v in series.items():
            try:
                float(eps)
            except ValueError:
                ck.fail(f"{sw}.{eps}", "the key is not a number (ε)")
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                ck.fail(f"{sw}.{eps}", "is not a number")
    table = ck.field(d, "table", where, "dict")
    for name, row in (table or {}).items():
        rw = f"{where}.table.{name}"
        if not isinstance(row, dict):
            ck.fail(rw, "is not an object (a table row: column → cell)")
        for col, cell in row.items():
            cw = f"{rw}.{col}"
            if not isinstance(cell, dict):
                ck.fail(cw, "is not an object (a table cell: value, interval, ci_level, status)")
            ck.field(cell, "status", cw, "str", required=True)
            for key in ("value", "ci_level", "median similarity"):
                ck.field(cell, key, cw, _NUM)
            ck.field(cell, "networks", cw, "an integer")
            ck.field(cell, "reason", cw, "str")
            if cell.get("interval") is not None:
                ck.numbers(cell["interval"], f"{cw}.interval", 2)
    ck.field(d, "table_level", where, _NUM)
    ck.field(d, "table_note", where, "str")
    if d.get("spectrum_network0") is not None:
        ck.numbers(d["spectrum_network0"], f"{where}.spectrum_network0")
        for key in ("weyl_threshold_network0", "expected_zero_network0"):
            ck.field(d, key, where, _NUM, required=True)
    for key in [k for k in d if k.startswith("n=")] + ["P"]:
        ck.field(d, key, where, _NUM)
